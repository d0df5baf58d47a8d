package dump

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/server/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// target is a fresh database on the shared server.
type target struct {
	*server.Database
	db *sql.DB // handle with the database as default
}

func newTarget(t testing.TB) target {
	t.Helper()
	d, db := servertest.NewDatabase(t)
	return target{d, db}
}

// clientConfig returns a defaults file for the stock clients, so no
// password is ever on a command line, and the parsed server DSN.
func clientConfig(t testing.TB) (string, map[string]string) {
	t.Helper()
	srv := servertest.Server(t)
	cfg, err := dsn.Parse(srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{"user": cfg.User}
	if cfg.Passwd != "" {
		kv["password"] = cfg.Passwd
	}
	switch cfg.Net {
	case "unix":
		kv["socket"] = cfg.Addr
	default:
		host, port, _ := strings.Cut(cfg.Addr, ":")
		kv["host"], kv["port"] = host, port
	}
	var b strings.Builder
	b.WriteString("[client]\n")
	for _, k := range []string{"user", "password", "host", "port", "socket"} {
		if v, ok := kv[k]; ok {
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
	}
	b.WriteString("max_allowed_packet=1G\ndefault-character-set=utf8mb4\n")
	p := filepath.Join(t.TempDir(), "client.cnf")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, kv
}

// tool runs a stock client (mariadb, mariadb-dump) with the server's
// defaults file, stdin from in, and returns stdout.
func tool(t testing.TB, in io.Reader, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed: %v (apt-get install mariadb-client)", name, err)
	}
	cnf, _ := clientConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append([]string{"--defaults-extra-file=" + cnf}, args...)...)
	cmd.Stdin = in
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// sakilaPaths locates the Sakila files without failing.
func sakilaPaths() (schema, data string, ok bool) {
	root, err := fixture.ModuleRoot()
	if err != nil {
		return "", "", false
	}
	base := filepath.Join(filepath.Dir(root), "shared", "data", "sakila")
	schema, data = filepath.Join(base, "sakila-schema.sql"), filepath.Join(base, "sakila-data.sql.gz")
	for _, p := range []string{schema, data} {
		if _, err := os.Stat(p); err != nil {
			return schema, data, false
		}
	}
	return schema, data, true
}

func servertest_required() bool { return servertest.Required() }

// sakila returns the schema and data files of the Sakila sample database
// from ../shared/data/sakila beside the module root, skipping the test
// when they are absent (failing under CI).
func sakila(t testing.TB) (schema, data string) {
	t.Helper()
	schema, data, ok := sakilaPaths()
	if !ok {
		if servertest.Required() {
			t.Fatalf("sakila sample database missing: want %s and %s (the shared test data beside the module)", schema, data)
		}
		t.Skipf("sakila sample database not found at %s (the shared test data beside the module)", filepath.Dir(data))
	}
	return schema, data
}

// restoreFile restores a file with Restore.
func restoreFile(t testing.TB, tg target, path string, opts ...RestoreOption) Stats {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := Restore(context.Background(), tg.db, tg.Name, f, opts...)
	if err != nil {
		t.Fatalf("restore %s: %v", filepath.Base(path), err)
	}
	return st
}

func gunzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// definition is everything compared about a database.
type definition struct {
	Tables    map[string]string // name -> type
	Create    map[string]string // SHOW CREATE TABLE / SEQUENCE
	Checksums map[string]string
	Counts    map[string]int64
	Views     []map[string]string
	Triggers  []map[string]string
	Routines  []map[string]string
	Params    []map[string]string
	Events    []map[string]string
	Sequences map[string]string
}

// describe reads the definition of database, with its name replaced by
// "<db>" so that two databases compare.
func describe(t testing.TB, db *sql.DB, database string) definition {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	norm := func(s string) string {
		s = strings.ReplaceAll(s, "`"+database+"`", "`<db>`")
		return strings.ReplaceAll(s, "'"+database+"'", "'<db>'")
	}
	q := func(query string, args ...any) []map[string]string {
		rows, err := conn.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []map[string]string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for i, c := range cols {
				v := vals[i].String
				if !vals[i].Valid {
					v = "<NULL>"
				}
				m[c] = norm(v)
			}
			out = append(out, m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	d := definition{Tables: map[string]string{}, Create: map[string]string{}, Checksums: map[string]string{}, Counts: map[string]int64{}, Sequences: map[string]string{}}
	for _, r := range q("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database) {
		d.Tables[r["TABLE_NAME"]] = r["TABLE_TYPE"]
	}
	var names []string
	for n := range d.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		qn := quoteIdent(database) + "." + quoteIdent(n)
		switch d.Tables[n] {
		case "VIEW":
			continue
		case "SEQUENCE":
			d.Create[n] = q("SHOW CREATE SEQUENCE " + qn)[0]["Create Table"]
			d.Sequences[n] = q("SELECT next_not_cached_value FROM " + qn)[0]["next_not_cached_value"]
			continue
		}
		d.Create[n] = q("SHOW CREATE TABLE " + qn)[0]["Create Table"]
		d.Checksums[n] = q("CHECKSUM TABLE " + qn + " EXTENDED")[0]["Checksum"]
		var c int64
		if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+qn).Scan(&c); err != nil {
			t.Fatal(err)
		}
		d.Counts[n] = c
	}
	// information_schema.VIEWS has ALGORITHM on MariaDB only (MySQL keeps it in SHOW CREATE VIEW).
	algorithm := ", ALGORITHM"
	if v := q("SELECT VERSION() AS v"); len(v) == 1 && !strings.Contains(strings.ToLower(v[0]["v"]), "mariadb") {
		algorithm = ""
	}
	d.Views = q("SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, IS_UPDATABLE, DEFINER, SECURITY_TYPE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION"+algorithm+" FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", database)
	d.Triggers = q("SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_ORDER, ACTION_STATEMENT, ACTION_TIMING, SQL_MODE, DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER", database)
	d.Routines = q("SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_DEFINITION, IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, SQL_MODE, ROUTINE_COMMENT, DEFINER, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_TYPE, ROUTINE_NAME", database)
	d.Params = q("SELECT SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER, ROUTINE_TYPE FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = ? ORDER BY SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION", database)
	d.Events = q("SELECT EVENT_NAME, DEFINER, TIME_ZONE, EVENT_DEFINITION, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, SQL_MODE, STARTS, ENDS, STATUS, ON_COMPLETION, EVENT_COMMENT, CHARACTER_SET_CLIENT, COLLATION_CONNECTION, DATABASE_COLLATION FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", database)
	return d
}

// sameDatabase fails the test when two databases differ in tables, data
// (CHECKSUM TABLE), views, triggers, routines or events.
func sameDatabase(t testing.TB, db *sql.DB, want, got string) {
	t.Helper()
	a, b := describe(t, db, want), describe(t, db, got)
	if len(a.Tables) == 0 {
		t.Fatalf("database %s is empty: nothing compared", want)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("database %s differs from %s (-want +got):\n%s", got, want, diff)
	}
}

// queryStrings runs q and returns its one text column, row by row.
func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
