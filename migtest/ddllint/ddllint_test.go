package ddllint

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/server/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// newTestDB returns a database with `tabGL Entry` (2,000 rows) and
// `tabEmpty` (none, same columns).
func newTestDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	d, db := servertest.NewDatabase(t)
	for _, q := range []string{
		"CREATE TABLE `tabGL Entry` (`name` varchar(140) NOT NULL, `account` varchar(140) DEFAULT NULL, `debit` decimal(21,9) NOT NULL DEFAULT 0, `posting_date` date DEFAULT NULL, `notes` text DEFAULT NULL, PRIMARY KEY (`name`), KEY `account` (`account`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		"INSERT INTO `tabGL Entry` SELECT CONCAT('GL-', seq), CONCAT('Account ', seq % 7), seq / 3, '2023-01-01' + INTERVAL seq % 365 DAY, NULL FROM " + numbers(2000),
		"CREATE TABLE `tabEmpty` LIKE `tabGL Entry`",
		"ANALYZE TABLE `tabGL Entry`, `tabEmpty`",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return d.Name, db
}

// numbers is a derived table of the integers 1..n as column seq, on
// MariaDB and MySQL alike (MariaDB's seq_1_to_n tables are its own).
func numbers(n int) string {
	d := "(SELECT 0 AS i UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
	return fmt.Sprintf("(SELECT a.i + 10 * b.i + 100 * c.i + 1000 * e.i + 1 AS seq FROM %s a, %s b, %s c, %s e HAVING seq <= %d) AS nums", d, d, d, d, n)
}

func newLinter(t *testing.T, db *sql.DB, database string, opts ...Option) *Linter {
	t.Helper()
	l, err := New(context.Background(), db, database, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// TestProbeAlgorithms checks what the probe learns from the server, on every
// server of the matrix: MariaDB has NOCOPY; 11.2+ copies online where it
// can (online COPY); MySQL has neither, and INSTANT ADD/DROP COLUMN anywhere.
func TestProbeAlgorithms(t *testing.T) {
	t.Parallel()
	name, db := newTestDB(t)
	l := newLinter(t, db, name)
	ctx := context.Background()
	v := l.Version()
	online := algoCopy // a copy MariaDB 11.2+ runs with LOCK=NONE
	if holds(ruleOnlineCopy, v) {
		online = algoCopyOnline
	}
	index := algoNoCopy // MySQL has no NOCOPY: index changes are INPLACE there
	if !v.MariaDB {
		index = algoInplace
	}
	varcharGrow := algoInstant // MariaDB 10.4+: a longer VARCHAR with the same length bytes
	if !v.MariaDB {
		varcharGrow = algoInplace // MySQL: in place, no rebuild, not INSTANT
	}
	tests := []struct {
		stmt string
		want algorithm
	}{
		{"ALTER TABLE `tabGL Entry` ADD COLUMN x int", algoInstant},
		{"ALTER TABLE `tabGL Entry` ADD COLUMN x int NOT NULL AFTER `name`", algoInstant},
		{"ALTER TABLE `tabGL Entry` DROP COLUMN notes", algoInstant},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(200)", varcharGrow},
		{"ALTER TABLE `tabGL Entry` ADD INDEX posting (posting_date)", index},
		{"CREATE INDEX posting ON `tabGL Entry` (posting_date, debit)", index},
		{"DROP INDEX account ON `tabGL Entry`", index},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(140) NOT NULL", algoInplace},
		{"ALTER TABLE `tabGL Entry` FORCE", algoInplace},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(40)", online},
		{"ALTER TABLE `tabGL Entry` MODIFY debit decimal(21,2)", online},
		{"ALTER TABLE `tabGL Entry` CONVERT TO CHARACTER SET utf8mb3", online},
		{"ALTER TABLE `tabGL Entry` DROP PRIMARY KEY", online},
		{"ALTER TABLE `tabGL Entry` ADD INDEX nosuch (nosuch)", algoUnknown},
	}
	for _, tt := range tests {
		sts := parse(tt.stmt)
		if len(sts) != 1 {
			t.Fatalf("parse(%q) gave %d statements", tt.stmt, len(sts))
		}
		if got := l.probe(ctx, sts[0]); got.algo != tt.want {
			t.Errorf("%s on %s: probe says %v (%s), want %v", tt.stmt, l.Server(), algoName(got.algo), got.reason, algoName(tt.want))
		}
	}
	// The probes leave no table behind, and nothing in the test database.
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", l.scratch).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d tables left in the scratch database %s (%v)", n, l.scratch, err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", name).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d tables in the test database, want 2 (%v)", n, err)
	}
	var cols string
	db.QueryRow("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'tabGL Entry'", name).Scan(&cols)
	if cols != "name,account,debit,posting_date,notes" {
		t.Errorf("the probed table changed: columns %s", cols)
	}
}

// algoName names an algorithm in test messages, online COPY apart.
func algoName(a algorithm) string {
	switch a {
	case algoCopyOnline:
		return "COPY LOCK=NONE"
	case algoUnknown:
		return "unknown"
	}
	return algoNames[a]
}

func kinds(fs []Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Severity+" "+f.Rule)
	}
	return strings.Join(s, ", ")
}

func TestCheck(t *testing.T) {
	t.Parallel()
	name, db := newTestDB(t)
	l := newLinter(t, db, name, WithThreshold(1000))
	if !l.mariadb {
		t.Skipf("the expected algorithms are MariaDB's; the server is %s", l.Server())
	}
	ctx := context.Background()
	copyBig := "error rebuild" // writes blocked for the copy
	if holds(ruleOnlineCopy, l.Version()) {
		copyBig = "warn rebuild" // MariaDB 11.2+ copies online
	}
	tests := []struct{ stmt, want string }{
		{"ALTER TABLE `tabGL Entry` ADD COLUMN region varchar(140) DEFAULT NULL", ""},
		{"ALTER TABLE `tabGL Entry` ADD COLUMN region varchar(140) NOT NULL", "warn not-null-no-default"},
		{"ALTER TABLE `tabEmpty` ADD COLUMN region varchar(140) NOT NULL", ""},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(40)", copyBig + ", error lossy-type"},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(40), ALGORITHM=INSTANT", ""},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(40), ALGORITHM=INPLACE", ""},
		{"ALTER TABLE `tabGL Entry` MODIFY account varchar(140) NOT NULL", "warn rebuild, warn null-to-not-null"},
		{"ALTER TABLE `tabGL Entry` ADD INDEX posting (posting_date)", "info rebuild"},
		{"ALTER TABLE `tabEmpty` FORCE", ""},
		{"ALTER TABLE `tabGL Entry` DROP COLUMN notes", "info rebuild, warn drop-data"}, // INSTANT here, a rebuild before MariaDB 10.4
		{"ALTER TABLE `tabGL Entry` RENAME COLUMN account TO acct", "warn rename"},
		{"DROP TABLE IF EXISTS `tabGL Entry`, `tabEmpty`, `tabMissing`", "warn drop-data"},
		{"RENAME TABLE `tabGL Entry` TO `tabGeneral Ledger`", "warn rename"},
		{"UPDATE `tabGL Entry` SET account = NULL", ""},
		{"ALTER TABLE `tabMissing` DROP COLUMN x", ""},
		{"ALTER TABLE " + name + ".`tabGL Entry` MODIFY debit decimal(21,2)", copyBig + ", error lossy-type"},
	}
	for _, tt := range tests {
		fs := l.Check(ctx, tt.stmt)
		if got := kinds(fs); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.stmt, got, tt.want)
			for _, f := range fs {
				t.Log(f)
			}
		}
	}

	// Given production counts make a small table big.
	l2 := newLinter(t, db, name, WithRowCounts(map[string]int64{"tabEmpty": 5_000_000}))
	if got := kinds(l2.Check(ctx, "ALTER TABLE `tabEmpty` FORCE")); got != "warn rebuild" {
		t.Errorf("with tabEmpty at 5 M rows, FORCE gives %q, want warn rebuild", got)
	}
	if got := kinds(l2.Check(ctx, "ALTER TABLE `tabGL Entry` FORCE")); got != "info rebuild" {
		t.Errorf("with the default threshold, FORCE on 2,000 rows gives %q, want info rebuild", got)
	}
}

func TestProbeCache(t *testing.T) {
	t.Parallel()
	name, db := newTestDB(t)
	l := newLinter(t, db, name)
	ctx := context.Background()
	check := func(stmt string, wantProbes int) {
		t.Helper()
		l.Check(ctx, stmt)
		if l.probes != wantProbes {
			t.Errorf("after %s: %d probes, want %d", stmt, l.probes, wantProbes)
		}
	}
	// What patch.Context's alter sends: the same change with INSTANT,
	// INPLACE, then no algorithm; one probe answers all three.
	check("ALTER TABLE `tabGL Entry` MODIFY account varchar(40), ALGORITHM=INSTANT", 1)
	check("ALTER TABLE `tabGL Entry` MODIFY account varchar(40), ALGORITHM=INPLACE", 1)
	check("ALTER TABLE `tabGL Entry` MODIFY account varchar(40)", 1)
	// The same change on a table of the same definition is cached too.
	check("ALTER TABLE `tabEmpty` MODIFY account varchar(40)", 1)
	check("ALTER TABLE `tabGL Entry` MODIFY account varchar(41)", 2)
	// A probe that fails is not cached: once the column exists, it works.
	check("ALTER TABLE `tabGL Entry` ADD INDEX z (z)", 3)
	if _, err := db.Exec("ALTER TABLE `tabGL Entry` ADD COLUMN z int"); err != nil {
		t.Fatal(err)
	}
	check("ALTER TABLE `tabGL Entry` ADD INDEX z (z)", 4)
	check("ALTER TABLE `tabGL Entry` ADD INDEX z (z)", 4)

	scratch := l.scratch
	if scratch == "" || scratch == name {
		t.Fatalf("scratch database %q", scratch)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", scratch).Scan(&n); err != nil || n != 0 {
		t.Errorf("scratch database %s left after Close (%d, %v)", scratch, n, err)
	}
}

func TestNewWithoutDatabase(t *testing.T) {
	t.Parallel()
	_, db := newTestDB(t)
	// The servertest handle has its database selected; New takes it.
	l := newLinter(t, db, "")
	if l.database == "" || len(l.rows) != 2 || l.rows["tabGL Entry"] == 0 {
		t.Errorf("New read database %q with row counts %v", l.database, l.rows)
	}
	if !strings.HasPrefix(l.Server(), "MariaDB ") && !strings.HasPrefix(l.Server(), "MySQL ") {
		t.Errorf("Server() = %q", l.Server())
	}
}

// TestCheckLockedTable checks that a lock held by the patch's own connection
// (here LOCK TABLES ... WRITE) makes Check give up on what it cannot read,
// rather than wait for a lock that is only released after it returns.
func TestCheckLockedTable(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the lint's lock timeout")
	}
	t.Parallel()
	name, db := newTestDB(t)
	l := newLinter(t, db, name)
	if !l.mariadb {
		t.Skipf("the lock timeout is MariaDB's SET STATEMENT; the server is %s", l.Server())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "LOCK TABLES `tabGL Entry` WRITE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "UNLOCK TABLES") //nolint:errcheck
	fs := l.Check(ctx, "ALTER TABLE `tabGL Entry` FORCE")
	if ctx.Err() != nil {
		t.Fatal("Check waited for the lock")
	}
	if got := kinds(fs); got != "info lint" {
		t.Errorf("Check on a locked table gave %q, want info lint", got)
		for _, f := range fs {
			t.Log(f)
		}
	}
}
