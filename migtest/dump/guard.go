package dump

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// The guard keeps a restore inside its target database whatever the dump
// says, even when the restoring user could do more (root): statements that
// act on the server (accounts, grants, global settings, replication,
// plugins), that read or write files on the server host, that run SQL the
// loader cannot see (PREPARE/EXECUTE), or that name another database that
// exists on the server are refused before they run. A site user with
// rights on its own database only is contained by the server as well.

// serverVerbs are statement heads that act outside any one database.
var serverVerbs = map[string]bool{
	"GRANT": true, "REVOKE": true, "PREPARE": true, "EXECUTE": true, "DEALLOCATE": true,
	"INSTALL": true, "UNINSTALL": true, "SHUTDOWN": true, "KILL": true, "FLUSH": true, "RESET": true,
	"PURGE": true, "CHANGE": true, "HANDLER": true, "BINLOG": true, "CACHE": true,
}

// serverObjects are the objects of CREATE/ALTER/DROP/RENAME that are not
// in a database.
var serverObjects = map[string]bool{"USER": true, "ROLE": true, "SERVER": true, "TABLESPACE": true, "LOGFILE": true}

// errOutside marks a statement the guard refused.
var errOutside = errors.New("it would act outside the target database")

// errSkip marks a statement the guard drops without running: mysqldump's
// SET @@GLOBAL.GTID_PURGED, which only matters to a replica.
var errSkip = errors.New("skipped")

// loadDatabases reads the names of the server's databases other than the
// target, for the guard.
func (l *loader) loadDatabases(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return fmt.Errorf("list databases: %w", err)
	}
	defer rows.Close()
	l.others = map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if n != l.target && !strings.EqualFold(n, "information_schema") {
			l.others[n] = true
		}
	}
	return rows.Err()
}

// guard returns why statement it must not run, or nil. c is its class.
func (l *loader) guard(it *item, c class) error {
	if up := strings.ToUpper(it.text); strings.HasPrefix(strings.TrimSpace(up), "SET") && strings.Contains(up, "GTID_PURGED") {
		return errSkip
	}
	if c.op == opSet && c.global {
		return stmtErr(it, fmt.Errorf("%w: SET GLOBAL changes the whole server; remove it from the dump", errOutside))
	}
	lx := newLexer(it.text, l.version, l.mariadb, l.ansi)
	var prev token
	first := true
	body := false // inside a routine, trigger or event body: statements start anywhere
	for i := 0; ; i++ {
		t, ok := lx.next()
		if !ok {
			break
		}
		head := first || body && (prev.kind == tPunct && prev.text == ";" || prev.is("BEGIN") || prev.is("DO") || prev.is("THEN") || prev.is("ELSE") || prev.is("ROW"))
		first = false
		if t.is("BEGIN") || t.is("DO") || t.is("TRIGGER") || t.is("PROCEDURE") || t.is("FUNCTION") || t.is("EVENT") {
			body = true
		}
		switch {
		case head && t.kind == tWord && serverVerbs[t.text]:
			return stmtErr(it, fmt.Errorf("%w: %s acts on the server, not on a database; remove it from the dump", errOutside, t.text))
		case t.kind == tWord && serverObjects[t.text] && (prev.is("CREATE") || prev.is("DROP") || prev.is("ALTER") || prev.is("RENAME")):
			return stmtErr(it, fmt.Errorf("%w: %s %s changes server accounts or storage; remove it from the dump", errOutside, prev.text, t.text))
		case t.is("LOAD") && i < 2, t.is("INFILE"), t.is("OUTFILE"), t.is("DUMPFILE"), t.is("LOAD_FILE"):
			return stmtErr(it, fmt.Errorf("%w: it reads or writes files on the server host (%s)", errOutside, t.text))
		case t.is("GLOBAL") && (prev.is("SET") || prev.kind == tPunct && prev.text == ","), t.is("PERSIST") && prev.is("SET"),
			t.kind == tVar && (strings.HasPrefix(strings.ToUpper(t.text), "@@GLOBAL.") || strings.HasPrefix(strings.ToUpper(t.raw), "@@GLOBAL")):
			return stmtErr(it, fmt.Errorf("%w: it changes a global setting of the server", errOutside))
		case t.is("PASSWORD") && prev.is("SET"):
			return stmtErr(it, fmt.Errorf("%w: SET PASSWORD changes a server account", errOutside))
		}
		prev = t
	}
	return l.guardQualifiers(it)
}

// guardQualifiers refuses a statement that names another database that
// exists on the server: "x.y" where a table or routine goes, "x.y.z", or
// "x.y" whose x is no table or alias of the statement or the dump (then it
// is a column of table x, and x is not a database).
func (l *loader) guardQualifiers(it *item) error {
	refs, locals := schemaRefs(newLexer(it.text, l.version, l.mariadb, l.ansi).all())
	for _, r := range refs {
		if !l.namesOther(r.name) || !r.surely && (locals[r.name] || l.known(r.name)) {
			continue
		}
		return stmtErr(it, fmt.Errorf("%w: it names the database %s, which exists on this server and is not the target %s; Restore does not write to other databases",
			errOutside, quoteIdent(r.name), quoteIdent(l.target)))
	}
	return nil
}

// known reports whether name is a table or view the dump created, or an
// object of the target.
func (l *loader) known(name string) bool {
	l.mu.Lock()
	_, t := l.tableMap[name]
	l.mu.Unlock()
	_, bt := l.before["TABLE "+name]
	_, bv := l.before["VIEW "+name]
	return t || l.views[name] || bt || bv
}

// namesOther reports whether n is an existing database other than the
// target and the dump's own.
func (l *loader) namesOther(n string) bool {
	return n != l.source && n != l.target && l.others[n]
}
