package snapshot_test

import (
	"context"
	"database/sql"
	"testing"

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

func exec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestTakeFeatures(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	exec(t, db, featureSchema...)
	s, err := snapshot.Take(context.Background(), db, d.Name)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", s.Format())
}
