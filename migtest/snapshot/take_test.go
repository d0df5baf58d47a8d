package snapshot_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/migtest/snapshot"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// featureSchema has every kind of object Take inspects.
var featureSchema = []string{
	"CREATE TABLE `tabSales Invoice` (name varchar(140) NOT NULL, customer varchar(140) DEFAULT NULL, grand_total decimal(21,9) NOT NULL DEFAULT 0.000000000, " +
		"status varchar(20) DEFAULT 'Draft', note text DEFAULT 'it''s a \\\\ note', creation datetime(6) DEFAULT NULL, " +
		"modified timestamp(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6), docstatus int(1) NOT NULL DEFAULT 0, " +
		"total_x2 decimal(21,9) AS (grand_total * 2) VIRTUAL, status_upper varchar(20) AS (upper(status)) STORED, " +
		"secret varchar(10) INVISIBLE, code varchar(10) COLLATE utf8mb4_bin, payload json, idx int unsigned zerofill, " +
		"PRIMARY KEY (name), KEY customer (customer(10), creation DESC), UNIQUE KEY code (code), FULLTEXT KEY note_ft (note), " +
		"CONSTRAINT chk_total CHECK (grand_total >= 0)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='invoices\nand more'",
	"CREATE TABLE tabItem (id int NOT NULL AUTO_INCREMENT, invoice varchar(140), qty int DEFAULT 1, amount int DEFAULT (qty * 2), PRIMARY KEY (id), " +
		"CONSTRAINT fk_invoice FOREIGN KEY (invoice) REFERENCES `tabSales Invoice` (name) ON DELETE CASCADE ON UPDATE SET NULL) ROW_FORMAT=DYNAMIC",
	"CREATE TABLE tabPlace (id int NOT NULL PRIMARY KEY, g geometry NOT NULL, SPATIAL KEY g (g)) ENGINE=InnoDB",
	"CREATE TABLE tabLog (id int NOT NULL, y int NOT NULL, PRIMARY KEY (id, y)) PARTITION BY RANGE (y) (PARTITION p2023 VALUES LESS THAN (2024), PARTITION pmax VALUES LESS THAN MAXVALUE)",
	"CREATE SEQUENCE seq_invoice START WITH 100 INCREMENT BY 5 CACHE 10",
	"CREATE VIEW v_open AS SELECT name, customer FROM `tabSales Invoice` WHERE status = 'Open'",
	"CREATE VIEW v_open_count AS SELECT customer, COUNT(*) AS n FROM v_open GROUP BY customer",
	"CREATE TRIGGER trg_item_bi BEFORE INSERT ON tabItem FOR EACH ROW\nBEGIN\n  IF NEW.invoice IS NULL THEN\n    SET NEW.invoice = 'none';\n  END IF;\nEND",
	"CREATE PROCEDURE close_invoice(IN inv varchar(140), OUT n int(11)) MODIFIES SQL DATA\nBEGIN\n  UPDATE `tabSales Invoice` SET status = 'Closed' WHERE name = inv;\n  SET n = ROW_COUNT();\nEND",
	"CREATE FUNCTION double_it(x int) RETURNS bigint DETERMINISTIC RETURN x * 2",
	"CREATE EVENT purge_log ON SCHEDULE EVERY 1 DAY DO DELETE FROM tabLog WHERE y < 2000",
	"CREATE TABLE migtest_patch_log (id varchar(255) NOT NULL PRIMARY KEY, status varchar(16) NOT NULL, finished datetime(6) NULL)",
	"INSERT INTO migtest_patch_log VALUES ('v1_0.a', 'done', '2024-01-01 00:00:00'), ('v1_0.b', 'skipped', '2024-01-02 00:00:00'), ('v1_0.c', 'failed', NULL)",
	"INSERT INTO `tabSales Invoice` (name, customer, grand_total, status) VALUES ('SINV-1', 'C1', 10, 'Open'), ('SINV-2', 'C2', 20, 'Draft')",
	"INSERT INTO tabItem (invoice) VALUES ('SINV-1'), ('SINV-1'), ('SINV-2')",
	"INSERT INTO tabLog VALUES (1, 2023), (2, 2025)",
}

func run(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func take(t testing.TB, db *sql.DB, name string, opts ...snapshot.Option) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Take(context.Background(), db, name, opts...)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return s
}

// server is what the shared server is, for expectations that depend on its
// version (README's support table names each difference).
type server struct {
	mariadb      bool
	major, minor int
	version      string
}

func (s server) atLeast(major, minor int) bool {
	return s.major > major || s.major == major && s.minor >= minor
}

func sharedServer(t *testing.T) server {
	t.Helper()
	v := servertest.Server(t).Version()
	s := server{mariadb: strings.Contains(strings.ToLower(v), "mariadb"), version: v}
	_, _ = fmt.Sscanf(v, "%d.%d", &s.major, &s.minor)
	return s
}

// mariadbOnly skips a test whose schema is MariaDB's (sequences, literal
// TEXT defaults, IGNORED indexes): on MySQL the Sakila snapshot and the
// patch rehearsals cover Take.
func mariadbOnly(t *testing.T) server {
	t.Helper()
	s := sharedServer(t)
	if !s.mariadb {
		t.Skipf("the feature schema is MariaDB's (sequences, TEXT literal defaults, IGNORED indexes); %s is covered by TestTakeSakila and the patch rehearsals", s.version)
	}
	return s
}

func TestTakeFeatures(t *testing.T) {
	t.Parallel()
	srv := mariadbOnly(t)
	d, db := servertest.NewDatabase(t)
	run(t, db, featureSchema...)
	s := take(t, db, d.Name)
	text := string(s.Format())
	t.Logf("\n%s", text)

	// Every feature shows, normalised.
	for _, want := range []string{
		"table `tabSales Invoice` rows=2 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci comment='invoices\\nand more'\n",
		"  column customer varchar(140) NULL\n",
		"  column grand_total decimal(21,9) NOT NULL DEFAULT 0.000000000\n",
		"  column status varchar(20) NULL DEFAULT 'Draft'\n",
		"  column note text NULL DEFAULT 'it\\'s a \\\\ note'\n",
		"  column modified timestamp(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6)\n",
		"  column docstatus int NOT NULL DEFAULT 0\n",
		"  column total_x2 decimal(21,9) NULL AS (`grand_total` * 2) VIRTUAL\n",
		" STORED\n",
		"  column secret varchar(10) NULL INVISIBLE\n",
		"  column code varchar(10) NULL COLLATE utf8mb4_bin\n",
		"  column idx int(10) unsigned zerofill NULL\n",
		"  index PRIMARY UNIQUE (name)\n",
		"  index code UNIQUE (code)\n",
		"  index note_ft FULLTEXT (note)\n",
		"  check chk_total (`grand_total` >= 0)\n",
		"table tabItem rows=3 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci options=row_format=DYNAMIC\n",
		"  column id int NOT NULL AUTO_INCREMENT\n",
		"  column amount int NULL DEFAULT (`qty` * 2)\n",
		"  fk fk_invoice (invoice) REFERENCES `tabSales Invoice` (name) ON DELETE CASCADE ON UPDATE SET NULL\n",
		"  index g SPATIAL (g)\n",
		"  partition by RANGE (`y`)\n  partition p2023 VALUES LESS THAN (2024)\n  partition pmax VALUES LESS THAN (MAXVALUE)\n",
		"sequence seq_invoice start=100 min=1 max=9223372036854775806 increment=5 cache=10\n",
		"view v_open\n  | select `tabSales Invoice`.`name` AS `name`",
		"view v_open_count\n  | select `v_open`.`customer` AS `customer`,count(0) AS `n` from `v_open` group by `v_open`.`customer`\n",
		"trigger trg_item_bi ON tabItem BEFORE INSERT\n  | BEGIN\n  |   IF NEW.invoice IS NULL THEN\n",
		"procedure close_invoice (IN inv varchar(140), OUT n int) sql='MODIFIES SQL DATA'\n  | BEGIN\n",
		"function double_it (x int) returns=bigint deterministic\n  | RETURN x * 2\n",
		"event purge_log schedule='EVERY 1 DAY'\n  | DELETE FROM tabLog WHERE y < 2000\n",
		"\npatch v1_0.a\npatch v1_0.b\n",
		"  index customer (customer(10), " + descColumn(srv) + ")\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("snapshot lacks %q", want)
		}
	}
	// Noise and the tool's own tables are left out.
	for _, unwanted := range []string{"migtest_patch_log", d.Name, "AUTO_INCREMENT=", "DEFINER", "v1_0.c", "rows=-"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("snapshot has %q", unwanted)
		}
	}
	if s.Database != d.Name {
		t.Errorf("Database = %q, want %q", s.Database, d.Name)
	}

	// Format → Parse → Format is the identity, and the parsed snapshot equals the taken one.
	p, err := snapshot.Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if again := string(p.Format()); again != text {
		t.Errorf("Format(Parse(Format(s))) differs:\n%s", again)
	}
	if diff := cmp.Diff(s, p, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(snapshot.Snapshot{}, "Database")); diff != "" {
		t.Errorf("Parse(Format(s)) differs from s (-taken +parsed):\n%s", diff)
	}

	// A second Take of the unchanged database is the same.
	if d := snapshot.Compare(s, take(t, db, d.Name)); !d.Empty() {
		t.Errorf("two Takes of the same database differ:\n%s", d)
	}

	// Options: no counts, excluded tables, the DSN's database.
	s = take(t, db, "", snapshot.WithoutRowCounts(), snapshot.WithExclude("tabL*", "v_open_count"), snapshot.WithParallel(1))
	for _, tb := range s.Tables {
		if tb.Rows != -1 {
			t.Errorf("WithoutRowCounts: %s has rows=%d", tb.Name, tb.Rows)
		}
		if tb.Name == "tabLog" {
			t.Error("WithExclude(tabL*) kept tabLog")
		}
	}
	if len(s.Tables) != 3 || len(s.Views) != 1 {
		t.Errorf("with excludes: %d tables, %d views; want 3 and 1", len(s.Tables), len(s.Views))
	}
}

// descColumn is the descending index column as the server keeps it:
// MariaDB before 10.8 parses DESC in an index and ignores it.
func descColumn(srv server) string {
	if srv.mariadb && !srv.atLeast(10, 8) {
		return "creation"
	}
	return "creation DESC"
}

func TestTakeMissingDatabase(t *testing.T) {
	t.Parallel()
	_, db := servertest.NewDatabase(t)
	_, err := snapshot.Take(context.Background(), db, "no_such_db_here")
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Take on a missing database: %v, want an error saying it does not exist", err)
	}
}

// TestCompareDetects changes a database one statement at a time and checks
// that Compare reports exactly the change, as Diff.String prints it.
func TestCompareDetects(t *testing.T) {
	t.Parallel()
	srv := mariadbOnly(t)
	d, db := servertest.NewDatabase(t)
	run(t, db, featureSchema...)
	tests := []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"add column", []string{"ALTER TABLE `tabSales Invoice` ADD COLUMN custom_region varchar(140) DEFAULT 'EMEA' COMMENT 'x'"},
			[]string{"+ column `tabSales Invoice`.custom_region varchar(140) NULL DEFAULT 'EMEA' COMMENT 'x'"}},
		{"change column type", []string{"ALTER TABLE tabItem MODIFY qty bigint DEFAULT 1"},
			[]string{"~ column tabItem.qty: int NULL DEFAULT 1 → bigint NULL DEFAULT 1"}},
		{"change default", []string{"ALTER TABLE `tabSales Invoice` ALTER status SET DEFAULT 'Open'"},
			[]string{"~ column `tabSales Invoice`.status: varchar(20) NULL DEFAULT 'Draft' → varchar(20) NULL DEFAULT 'Open'"}},
		{"drop column", []string{"ALTER TABLE `tabSales Invoice` DROP COLUMN secret"},
			[]string{"- column `tabSales Invoice`.secret"}},
		{"move column", []string{"ALTER TABLE tabItem MODIFY amount int DEFAULT (qty * 2) AFTER id"},
			[]string{"~ column order tabItem: id, invoice, qty, amount → id, amount, invoice, qty"}},
		{"add index", []string{"CREATE INDEX idx_region ON `tabSales Invoice` (custom_region(20), creation)"},
			[]string{"+ index `tabSales Invoice`.idx_region (custom_region(20), creation)"}},
		{"drop index", []string{"DROP INDEX idx_region ON `tabSales Invoice`"},
			[]string{"- index `tabSales Invoice`.idx_region"}},
		{"ignore index", []string{"ALTER TABLE `tabSales Invoice` ALTER INDEX customer IGNORED"},
			[]string{"~ index `tabSales Invoice`.customer: (customer(10), creation DESC) → (customer(10), creation DESC) IGNORED"}},
		{"drop fk", []string{"ALTER TABLE tabItem DROP FOREIGN KEY fk_invoice"},
			[]string{"- fk tabItem.fk_invoice"}},
		{"add check", []string{"ALTER TABLE tabItem ADD CONSTRAINT chk_qty CHECK (qty > 0)"},
			[]string{"+ check tabItem.chk_qty (`qty` > 0)"}},
		{"table option", []string{"ALTER TABLE tabPlace COMMENT 'places'"},
			[]string{"~ table tabPlace: (none) → comment='places'"}},
		{"rows", []string{"INSERT INTO tabItem (invoice) VALUES ('SINV-2')"},
			[]string{"rows tabItem 3 → 4"}},
		{"new table", []string{"CREATE TABLE tabNew (id int NOT NULL PRIMARY KEY)"},
			[]string{"+ table tabNew engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci", "+ column tabNew.id int NOT NULL", "+ index tabNew.PRIMARY UNIQUE (id)", "rows tabNew 0 → 0 (new table)"}},
		{"rename column", []string{"ALTER TABLE tabItem CHANGE invoice invoice_no varchar(140)"},
			[]string{"~ column tabItem.invoice renamed to invoice_no", "~ index tabItem.fk_invoice: (invoice) → (invoice_no)"}},
		{"rename column and change its type", []string{"ALTER TABLE tabItem CHANGE invoice_no invoice text"},
			[]string{"~ column tabItem.invoice_no renamed to invoice: varchar(140) NULL → text NULL", "~ index tabItem.fk_invoice: (invoice_no) → (invoice(768))"}},
		{"drop table", []string{"DROP TABLE tabPlace"},
			[]string{"- table tabPlace"}},
		{"partitions", []string{"ALTER TABLE tabLog REORGANIZE PARTITION pmax INTO (PARTITION p2025 VALUES LESS THAN (2026), PARTITION pmax VALUES LESS THAN MAXVALUE)"},
			[]string{"~ partitioning tabLog: partition by RANGE (`y`); partition p2023 VALUES LESS THAN (2024); partition pmax VALUES LESS THAN (MAXVALUE) → " +
				"partition by RANGE (`y`); partition p2023 VALUES LESS THAN (2024); partition p2025 VALUES LESS THAN (2026); partition pmax VALUES LESS THAN (MAXVALUE)"}},
		{"sequence", []string{"ALTER SEQUENCE seq_invoice INCREMENT BY 7"},
			[]string{"~ sequence seq_invoice: start=100 min=1 max=9223372036854775806 increment=5 cache=10 → start=100 min=1 max=9223372036854775806 increment=7 cache=10"}},
		{"view", []string{"CREATE OR REPLACE VIEW v_open AS SELECT name, customer FROM `tabSales Invoice` WHERE status = 'Unpaid'"},
			[]string{"~ view v_open: body line 1: 'select `tabSales Invoice`.`name` AS `name`,`tabSales Invoice`.`customer` AS `customer` from `tabSales Invoice` where `tabSales Invoice`.`status` = \\'Open\\'' → " +
				"'select `tabSales Invoice`.`name` AS `name`,`tabSales Invoice`.`customer` AS `customer` from `tabSales Invoice` where `tabSales Invoice`.`status` = \\'Unpaid\\''"}},
		{"trigger", []string{"DROP TRIGGER trg_item_bi", "CREATE TRIGGER trg_item_bi AFTER INSERT ON tabItem FOR EACH ROW SET @n = 1"},
			[]string{"~ trigger trg_item_bi: ON tabItem BEFORE INSERT → ON tabItem AFTER INSERT"}},
		{"routine body", []string{"DROP FUNCTION double_it", "CREATE FUNCTION double_it(x int) RETURNS bigint DETERMINISTIC RETURN x * 3"},
			[]string{"~ function double_it: body line 1: 'RETURN x * 2' → 'RETURN x * 3'"}},
		{"drop procedure", []string{"DROP PROCEDURE close_invoice"},
			[]string{"- procedure close_invoice"}},
		{"event", []string{"ALTER EVENT purge_log DISABLE"},
			[]string{"~ event purge_log: schedule='EVERY 1 DAY' → schedule='EVERY 1 DAY' status=DISABLED"}},
		{"patch", []string{"INSERT INTO migtest_patch_log VALUES ('v1_0.add_custom_region', 'done', '2024-02-01 00:00:00')"},
			[]string{"+ patch v1_0.add_custom_region"}},
	}
	before := take(t, db, d.Name)
	for _, tt := range tests {
		if tt.name == "ignore index" && !srv.atLeast(10, 6) {
			continue // IGNORED indexes came in MariaDB 10.6
		}
		for i := range tt.want {
			tt.want[i] = strings.ReplaceAll(tt.want[i], "creation DESC", descColumn(srv))
		}
		run(t, db, tt.stmts...)
		after := take(t, db, d.Name)
		diff := snapshot.Compare(before, after)
		if got, want := diff.String(), strings.Join(tt.want, "\n"); got != want {
			t.Errorf("%s: Compare printed\n%s\nwant\n%s", tt.name, got, want)
		}
		if rowsOnly := tt.name == "rows"; diff.SchemaEmpty() != rowsOnly || diff.Empty() {
			t.Errorf("%s: Empty=%v SchemaEmpty=%v", tt.name, diff.Empty(), diff.SchemaEmpty())
		}
		// The parsed golden compares the same way as the live snapshot.
		parsed, err := snapshot.Parse(before.Format())
		if err != nil {
			t.Fatal(err)
		}
		if d2 := snapshot.Compare(parsed, after); d2.String() != diff.String() {
			t.Errorf("%s: Compare(Parse(Format(before)), after) = %s, want %s", tt.name, d2, diff)
		}
		before = after
	}
}

// TestTakeNamesTheTableItCannotCount breaks a MERGE table (its underlying
// table is gone) among others counted in the same batch: the error names
// it. One connection only, so the fallback must not wait on itself.
func TestTakeNamesTheTableItCannotCount(t *testing.T) {
	t.Parallel()
	d, db := servertest.NewDatabase(t)
	db.SetMaxOpenConns(1)
	run(t, db, "CREATE TABLE a (x int)", "CREATE TABLE u (x int) ENGINE=MyISAM", "CREATE TABLE mrg (x int) ENGINE=MERGE UNION=(u)",
		"CREATE TABLE z (x int)", "DROP TABLE u")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := snapshot.Take(ctx, db, d.Name)
	if err == nil || !strings.Contains(err.Error(), "count rows of") || !strings.Contains(err.Error(), ".`mrg`") {
		t.Errorf("Take = %v, want an error naming table mrg", err)
	}
	if _, err := snapshot.Take(ctx, db, d.Name, snapshot.WithoutRowCounts()); err != nil {
		t.Errorf("Take without counts: %v", err)
	}
}

// TestTakeOddDatabaseName inspects a database whose name has a quote and a
// backslash (passed as a parameter, not inline) and a view in it.
func TestTakeOddDatabaseName(t *testing.T) {
	t.Parallel()
	d, db := servertest.NewDatabase(t)
	for _, name := range []string{d.Name + "_it's", d.Name + `_back\slash`} {
		q := "`" + strings.ReplaceAll(name, "`", "``") + "`"
		run(t, db, "CREATE DATABASE "+q, "CREATE TABLE "+q+".t (a int PRIMARY KEY)", "INSERT INTO "+q+".t VALUES (1), (2)",
			"CREATE VIEW "+q+".v AS SELECT a FROM "+q+".t")
		t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE " + q) })
		s := take(t, db, name)
		if len(s.Tables) != 1 || s.Tables[0].Rows != 2 || len(s.Views) != 1 || s.Views[0].Definition != "select `t`.`a` AS `a` from `t`" {
			t.Errorf("Take(%q):\n%s", name, s.Format())
		}
	}
}
