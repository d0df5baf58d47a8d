// Package ddllint warns about DDL statements before they reach production:
// statements that rebuild a big table, drop a column or a table holding
// data, add a NOT NULL column without a default to a table with rows,
// narrow a column's type, or rename what the application may still use.
//
// A Linter is connected to a database with the schema the statements run
// on (a rehearsal's, or production's for a plan) and reads the per-table row
// counts once. Whether an ALTER TABLE rebuilds its table is not guessed: the
// Linter asks the server, running the ALTER on an empty copy of the table
// (CREATE TABLE ... LIKE, in a scratch database of its own) with
// ALGORITHM=INSTANT, then NOCOPY, then INPLACE appended, and takes the first
// the server accepts (COPY when none is); the answer is cached per table
// definition and change. Other statements (DML, unknown DDL) give no
// findings and cost no round trip.
//
// Severities:
//
//   - error: blocks writes on a big table for a long time, or loses data:
//     ALGORITHM=COPY on a table above the threshold (WithThreshold, 100,000
//     rows by default); a lossy type change (varchar(140) to varchar(40),
//     bigint to int, fewer decimals, text to varchar, utf8mb4 to utf8mb3...)
//     on a table with rows.
//   - warn: needs a decision: an online rebuild (INPLACE, not INSTANT or
//     NOCOPY) of a big table; DROP COLUMN or DROP TABLE of a table with rows;
//     ADD COLUMN ... NOT NULL without DEFAULT on a table with rows; NULL to
//     NOT NULL on a table with rows; a renamed table or column (tables whose
//     name starts with "_", the migration's own, are left out).
//   - info: what would matter on a big table, on a small one: a COPY or
//     INPLACE rebuild of a table with rows under the threshold, an index
//     build (NOCOPY) on a big table, a probe that failed.
//
// On MariaDB the lint's own statements wait at most 5 s for a metadata lock
// (a patch's connection may hold one while the hook runs); what it cannot
// read then becomes an info finding of rule "lint". On MySQL there is no
// NOCOPY: an ALTER that is not INSTANT but INPLACE counts as a rebuild.
//
// Row counts are information_schema estimates; WithRowCounts gives the
// production counts (from a snapshot) so that a rehearsal on a small fixture
// judges "big" as production would.
package ddllint

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// Severities of a Finding.
const (
	Info  = "info"
	Warn  = "warn"
	Error = "error"
)

// Rules of a Finding.
const (
	RuleRebuild          = "rebuild"             // the ALTER rebuilds or copies the table
	RuleDropData         = "drop-data"           // DROP COLUMN or DROP TABLE of a table with rows
	RuleNotNullNoDefault = "not-null-no-default" // ADD COLUMN ... NOT NULL without DEFAULT
	RuleLossyType        = "lossy-type"          // MODIFY/CHANGE to a type that cannot hold every value
	RuleNullToNotNull    = "null-to-not-null"    // MODIFY/CHANGE of a nullable column to NOT NULL
	RuleRename           = "rename"              // RENAME of a table or column
	RuleLint             = "lint"                // the lint could not check something
)

// DefaultThreshold is the row count above which a table is big.
const DefaultThreshold = 100_000

// Finding is one thing the lint has to say about a statement.
type Finding struct {
	Severity  string // Info, Warn or Error
	Rule      string // one of the Rule constants
	Table     string
	Statement string
	Message   string
}

// String gives the finding on one line, the statement shortened.
func (f Finding) String() string {
	return fmt.Sprintf("%s [%s] %s: %s (in: %s)", f.Severity, f.Rule, f.Table, f.Message, shorten(f.Statement, 120))
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

// Linter checks statements against one database. It is safe for
// concurrent use. Close it to drop its scratch database.
type Linter struct {
	db        *sql.DB
	database  string
	server    string // "MariaDB 10.11.19"
	mariadb   bool
	threshold int64
	given     map[string]int64 // WithRowCounts
	rows      map[string]int64 // estimates read by New

	mu         sync.Mutex
	scratch    string // the scratch database; "" until needed
	ownScratch bool   // created by the Linter, dropped by Close
	scratchErr error  // why there is none
	cache      map[string]probeResult
	seq        int
	probes     int // probes run, for tests
}

// Option configures a Linter.
type Option func(*Linter)

// WithThreshold sets the row count above which a table is big (default
// DefaultThreshold).
func WithThreshold(rows int64) Option { return func(l *Linter) { l.threshold = rows } }

// WithRowCounts gives row counts by table name (e.g. production's, from a
// snapshot) that replace the database's own for the tables named.
func WithRowCounts(rows map[string]int64) Option {
	return func(l *Linter) {
		l.given = make(map[string]int64, len(rows))
		for t, n := range rows {
			l.given[t] = n
		}
	}
}

// WithScratchDatabase makes the probes use an existing database (where the
// user may create and drop tables) instead of creating one.
func WithScratchDatabase(name string) Option {
	return func(l *Linter) { l.scratch = name }
}

// New returns a Linter for database (the connection's current one when
// empty) on db; it reads the server version and the per-table row counts.
func New(ctx context.Context, db *sql.DB, database string, opts ...Option) (*Linter, error) {
	l := &Linter{db: db, database: database, threshold: DefaultThreshold, cache: map[string]probeResult{}, rows: map[string]int64{}}
	for _, o := range opts {
		o(l)
	}
	var version string
	var current sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), DATABASE()").Scan(&version, &current); err != nil {
		return nil, fmt.Errorf("ddllint: read the server version: %w", err)
	}
	if l.database == "" {
		if !current.Valid {
			return nil, errors.New("ddllint: no database given and the connection has none selected: pass the database name")
		}
		l.database = current.String
	}
	l.mariadb = strings.Contains(strings.ToLower(version), "mariadb")
	num, _, _ := strings.Cut(version, "-")
	l.server = "MySQL " + num
	if l.mariadb {
		l.server = "MariaDB " + num
	}
	rs, err := db.QueryContext(ctx, "SELECT TABLE_NAME, COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", l.database)
	if err != nil {
		return nil, fmt.Errorf("ddllint: read the row counts of %s: %w", l.database, err)
	}
	defer rs.Close()
	for rs.Next() {
		var t string
		var n int64
		if err := rs.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("ddllint: read the row counts of %s: %w", l.database, err)
		}
		l.rows[t] = n
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("ddllint: read the row counts of %s: %w", l.database, err)
	}
	return l, nil
}

// Server names the server and its version, e.g. "MariaDB 10.11.19".
func (l *Linter) Server() string { return l.server }

// Check returns the findings for stmt (one statement, or several separated
// by semicolons), to be called before the statement runs: it reads the
// schema as it is then. Statements it does not understand give none.
func (l *Linter) Check(ctx context.Context, stmt string) []Finding {
	var out []Finding
	r := rules{threshold: l.threshold, server: l.server}
	for _, st := range parse(stmt) {
		cache := map[tableRef]*tableFacts{}
		var lintErr error
		facts := func(t tableRef) *tableFacts {
			if f, ok := cache[t]; ok {
				return f
			}
			f, err := l.facts(ctx, t)
			if err != nil && lintErr == nil {
				lintErr = err
			}
			cache[t] = f
			return f
		}
		pr := probeResult{}
		if st.kind == stmtAlter && facts(st.table).exists {
			pr = l.probe(ctx, st)
		}
		out = append(out, r.evaluate(st, facts, pr)...)
		if lintErr != nil {
			out = append(out, Finding{Severity: Info, Rule: RuleLint, Statement: st.text, Message: lintErr.Error()})
		}
	}
	return out
}

// Close drops the scratch database the Linter created, if any.
func (l *Linter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ownScratch || l.scratch == "" {
		return nil
	}
	name := l.scratch
	l.scratch, l.ownScratch = "", false
	if _, err := l.db.Exec("DROP DATABASE IF EXISTS " + sqltext.QuoteIdent(name)); err != nil {
		return fmt.Errorf("ddllint: drop the scratch database %s: %w", name, err)
	}
	return nil
}

// lockWait is how long the lint's own statements wait for a metadata lock
// (on MariaDB) before giving up: the lint runs before a patch's statement,
// possibly while the patch's connection holds a lock.
const lockWait = 5

// timed bounds the metadata lock wait of q on MariaDB.
func (l *Linter) timed(q string) string {
	if !l.mariadb {
		return q
	}
	return fmt.Sprintf("SET STATEMENT lock_wait_timeout=%d FOR %s", lockWait, q)
}

func (l *Linter) qualified(t tableRef) string {
	schema := t.schema
	if schema == "" {
		schema = l.database
	}
	return sqltext.QuoteIdent(schema) + "." + sqltext.QuoteIdent(t.name)
}

// facts reads what the rules need of table t: its columns, and its row
// count (given, estimated at New, or estimated now for a table New did not
// see) with an exact "has rows" when the estimate is 0.
func (l *Linter) facts(ctx context.Context, t tableRef) (*tableFacts, error) {
	f := &tableFacts{columns: map[string]column{}}
	schema := t.schema
	if schema == "" {
		schema = l.database
	}
	rs, err := l.db.QueryContext(ctx, l.timed("SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COALESCE(CHARACTER_SET_NAME, '') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"), schema, t.name)
	if err != nil {
		return f, fmt.Errorf("read the columns of %s: %w", t, err)
	}
	defer rs.Close()
	for rs.Next() {
		var c column
		var typ, nullable string
		if err := rs.Scan(&c.name, &typ, &nullable, &c.charset); err != nil {
			return f, fmt.Errorf("read the columns of %s: %w", t, err)
		}
		c.typ = parseColumnType(typ)
		c.nullable = nullable == "YES"
		f.columns[strings.ToLower(c.name)] = c
	}
	if err := rs.Err(); err != nil {
		return f, fmt.Errorf("read the columns of %s: %w", t, err)
	}
	f.exists = len(f.columns) > 0
	if !f.exists {
		return f, nil
	}
	local := schema == l.database
	if n, ok := l.given[t.name]; ok && local {
		f.rows, f.hasRows = n, n > 0
		return f, nil
	}
	n, ok := l.rows[t.name]
	if !ok || !local {
		if err := l.db.QueryRowContext(ctx, l.timed("SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"), schema, t.name).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return f, fmt.Errorf("read the row count of %s: %w", t, err)
		}
	}
	f.rows, f.hasRows = n, n > 0
	if !f.hasRows {
		var one int
		err := l.db.QueryRowContext(ctx, l.timed("SELECT 1 FROM "+l.qualified(t)+" LIMIT 1")).Scan(&one)
		switch {
		case err == nil:
			f.hasRows = true
		case !errors.Is(err, sql.ErrNoRows):
			return f, fmt.Errorf("look for rows in %s: %w", t, err)
		}
	}
	return f, nil
}

// probe asks the server how it would run st's changes, on an empty copy of
// the table in the scratch database; the answer is cached by the table's
// definition and the changes.
func (l *Linter) probe(ctx context.Context, st *statement) probeResult {
	if len(st.probe) == 0 {
		return probeResult{algo: algoInstant}
	}
	var name, create string
	if err := l.db.QueryRowContext(ctx, l.timed("SHOW CREATE TABLE "+l.qualified(st.table))).Scan(&name, &create); err != nil {
		return probeResult{algo: algoUnknown, reason: fmt.Sprintf("SHOW CREATE TABLE %s: %v", st.table, err)}
	}
	_, body, _ := strings.Cut(create, "\n") // without the table's name
	clauses := strings.Join(st.probe, ", ")
	key := body + "\x00" + clauses

	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.cache[key]; ok {
		return r
	}
	r := l.probeOnce(ctx, st, clauses)
	if r.algo != algoUnknown || l.scratchErr != nil {
		l.cache[key] = r
	}
	return r
}

// probeOnce runs the probe; l.mu is held.
func (l *Linter) probeOnce(ctx context.Context, st *statement, clauses string) probeResult {
	if err := l.ensureScratch(ctx); err != nil {
		return probeResult{algo: algoUnknown, reason: err.Error()}
	}
	l.probes++
	l.seq++
	probe := sqltext.QuoteIdent(l.scratch) + "." + sqltext.QuoteIdent(fmt.Sprintf("probe_%d", l.seq))
	if _, err := l.db.ExecContext(ctx, l.timed("CREATE TABLE "+probe+" LIKE "+l.qualified(st.table))); err != nil {
		return probeResult{algo: algoUnknown, reason: fmt.Sprintf("copy the definition of %s: %v", st.table, err)}
	}
	defer l.db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+probe) //nolint:errcheck // best effort; Close drops the database
	tries := []algorithm{algoInstant, algoNoCopy, algoInplace}
	if !l.mariadb {
		tries = []algorithm{algoInstant, algoInplace} // MySQL has no NOCOPY: INPLACE may or may not rebuild
	}
	for _, a := range tries {
		_, err := l.db.ExecContext(ctx, "ALTER TABLE "+probe+" "+clauses+", ALGORITHM="+algoNames[a])
		if err == nil {
			return probeResult{algo: a}
		}
		if !unsupported(err) {
			return probeResult{algo: algoUnknown, reason: err.Error()}
		}
	}
	return probeResult{algo: algoCopy}
}

// unsupported reports the server's "ALGORITHM=X is not supported" errors
// (ER_ALTER_OPERATION_NOT_SUPPORTED and ..._REASON, on MariaDB and MySQL).
func unsupported(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1845 || me.Number == 1846)
}

// ensureScratch creates the scratch database on first use; l.mu is held.
func (l *Linter) ensureScratch(ctx context.Context) error {
	if l.scratch != "" || l.scratchErr != nil {
		return l.scratchErr
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "ddllint_" + hex.EncodeToString(b[:])
	if _, err := l.db.ExecContext(ctx, "CREATE DATABASE "+sqltext.QuoteIdent(name)); err != nil {
		l.scratchErr = fmt.Errorf("create a scratch database for the algorithm probe (or pass WithScratchDatabase): %w", err)
		return l.scratchErr
	}
	l.scratch, l.ownScratch = name, true
	return nil
}
