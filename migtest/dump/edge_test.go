package dump

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// edgeSchema is a database built to break dump tools: every byte value,
// charsets, NUL, quotes and backslashes, NULL vs ” vs 'NULL', extreme
// numbers and times, zero dates, JSON, generated and invisible columns,
// CHECK constraints, no primary key, composite keys, a foreign-key cycle,
// partitions, FULLTEXT and SPATIAL keys, a sequence, views on views, a
// multi-megabyte row, an empty table, odd identifiers, triggers, routines
// and an event.
var edgeSchema = []string{
	"SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'",
	"SET SESSION time_zone = '+00:00'",
	"SET SESSION foreign_key_checks = 0",
	"CREATE TABLE bytes_tbl (id INT PRIMARY KEY, b BLOB, vb VARBINARY(300), bin BINARY(4), tb TINYBLOB, lb LONGBLOB) ENGINE=InnoDB",
	"CREATE TABLE texts (id INT PRIMARY KEY AUTO_INCREMENT, u VARCHAR(200) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, l VARCHAR(200) CHARACTER SET latin1, t TEXT, c CHAR(10), n VARCHAR(10) NULL, KEY k_l (l), KEY k_t (t(20))) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE nums (id INT PRIMARY KEY, d DECIMAL(65,30), f FLOAT, fd FLOAT(7,4), db DOUBLE, ti TINYINT, tu TINYINT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, b1 BIT(1), b64 BIT(64), b9 BIT(9)) ENGINE=InnoDB",
	"CREATE TABLE kinds (id INT PRIMARY KEY, e ENUM('a','b','','x y'), s SET('r','w','x'), y YEAR, t TIME, t6 TIME(6), dt DATETIME(6), d DATE, ts TIMESTAMP(3) NULL DEFAULT NULL, j JSON, ip INET6, uu UUID) ENGINE=InnoDB",
	"CREATE TABLE gen (id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, s VARCHAR(20) AS (CONCAT('x', a)) PERSISTENT, h INT INVISIBLE DEFAULT 7, CONSTRAINT c_a CHECK (a >= 0), KEY k_v (v)) ENGINE=InnoDB",
	"CREATE TABLE nopk (a INT, b VARCHAR(10), KEY k_a (a)) ENGINE=InnoDB",
	"CREATE TABLE composite (a INT, b VARCHAR(20), c DATE, x INT, PRIMARY KEY (a, b), UNIQUE KEY u_c (c, a), KEY k_x (x)) ENGINE=InnoDB",
	"CREATE TABLE cyc_a (id INT PRIMARY KEY, b_id INT, KEY k_b (b_id), CONSTRAINT fk_a_b FOREIGN KEY (b_id) REFERENCES cyc_b (id)) ENGINE=InnoDB",
	"CREATE TABLE cyc_b (id INT PRIMARY KEY, a_id INT, code INT, KEY k_a (a_id), KEY k_code (code), CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES cyc_a (id)) ENGINE=InnoDB",
	"CREATE TABLE refs_code (id INT PRIMARY KEY, code INT, KEY k_code (code), CONSTRAINT fk_code FOREIGN KEY (code) REFERENCES cyc_b (code)) ENGINE=InnoDB",
	"CREATE TABLE parts (id INT, at DATE, v VARCHAR(10), PRIMARY KEY (id, at), KEY k_v (v)) ENGINE=InnoDB PARTITION BY RANGE (YEAR(at)) (PARTITION p2020 VALUES LESS THAN (2021), PARTITION p2021 VALUES LESS THAN (2022), PARTITION pmax VALUES LESS THAN MAXVALUE)",
	"CREATE TABLE docs (id INT PRIMARY KEY, title VARCHAR(100), body TEXT, g POINT NOT NULL, FULLTEXT KEY ft (title, body), SPATIAL KEY sp (g), KEY k_title (title)) ENGINE=InnoDB",
	"CREATE SEQUENCE seq1 START WITH 100 INCREMENT BY 5",
	"CREATE TABLE big (id INT PRIMARY KEY, blob_col LONGBLOB, txt LONGTEXT) ENGINE=InnoDB",
	"CREATE TABLE empty_tbl (id INT PRIMARY KEY, v VARCHAR(10), KEY k_v (v)) ENGINE=InnoDB",
	"CREATE TABLE `odd name` (`id col` INT PRIMARY KEY, `we``ird` VARCHAR(10), `ünï` INT, `sel;ect` INT, KEY `key with space` (`we``ird`)) ENGINE=InnoDB", //nolint:misspell // sel;ect is an identifier on purpose
	"CREATE TABLE `tàblé_ü` (id INT PRIMARY KEY, `ñ` VARCHAR(10)) ENGINE=InnoDB",
	"CREATE TABLE myisam_tbl (id INT PRIMARY KEY, v VARCHAR(10), KEY k_v (v)) ENGINE=MyISAM",
	"CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100)) ENGINE=InnoDB",
	"CREATE TABLE zero_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB",
}

var edgeObjects = []string{
	"CREATE VIEW v_base AS SELECT id, u, l FROM texts WHERE n IS NULL",
	"CREATE VIEW `v on v` AS SELECT id, u FROM v_base WHERE id > 1",
	"CREATE VIEW v_top AS SELECT COUNT(*) AS n FROM `v on v`",
	"CREATE VIEW a_view_first AS SELECT * FROM v_top",
	"CREATE FUNCTION f_double(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
	"CREATE VIEW v_func AS SELECT id, f_double(id) AS d FROM nums",
	"CREATE PROCEDURE p_count(OUT n INT) BEGIN\n  DECLARE s VARCHAR(20) DEFAULT 'a;b''c\\\\';\n  SELECT COUNT(*) INTO n FROM texts; -- comment; with ;\n  /* block ; */ SET n = n + 0;\nEND",
	"CREATE TRIGGER t_audit AFTER INSERT ON nums FOR EACH ROW BEGIN\n  INSERT INTO audit (what) VALUES (CONCAT('nums ', NEW.id, ';'));\nEND",
	"CREATE TRIGGER t_audit2 AFTER INSERT ON nums FOR EACH ROW FOLLOWS t_audit SET @x = 1",
	"CREATE TRIGGER t_upper BEFORE INSERT ON `odd name` FOR EACH ROW SET NEW.`we``ird` = UPPER(NEW.`we``ird`)",
	"CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM audit WHERE id < 0",
}

// edgeForServer adapts an edge-case statement to an older server (README's
// support table): MariaDB before 10.7 has no UUID type, so that column is a
// CHAR(36) there and the round trips cover the rest as on newer servers.
func edgeForServer(q, version string) string {
	var major, minor int
	_, _ = fmt.Sscanf(version, "%d.%d", &major, &minor)
	if major == 10 && minor < 7 {
		return strings.Replace(q, " uu UUID)", " uu CHAR(36))", 1)
	}
	return q
}

// createEdgeDB fills tg with the edge cases. Rows are inserted before the
// triggers exist, so the audit table holds exactly what is inserted here.
func createEdgeDB(t testing.TB, tg target) {
	t.Helper()
	ctx := context.Background()
	conn, err := tg.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%.200s: %v", q, err)
		}
	}
	var version string
	if err := conn.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	for _, q := range edgeSchema {
		exec(edgeForServer(q, version))
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	exec("INSERT INTO bytes_tbl VALUES (1, ?, ?, ?, ?, ?)", all, all[:255], []byte{0, 0, 0, 0}, []byte{}, rnd(70000))
	exec("INSERT INTO bytes_tbl VALUES (2, ?, ?, ?, ?, NULL)", []byte{}, []byte{}, []byte("ab"), nil)
	exec("INSERT INTO bytes_tbl VALUES (3, ?, ?, ?, ?, ?)", []byte("'\\\"\x00\x1a\r\n;--"), []byte("NULL"), []byte{0xff, 0xfe, 0, 1}, []byte{0}, []byte("/*!50000 x */;"))
	for i := 4; i < 300; i++ {
		exec("INSERT INTO bytes_tbl VALUES (?, ?, ?, ?, ?, ?)", i, rnd(rng.IntN(2000)), rnd(rng.IntN(300)), rnd(4), rnd(rng.IntN(255)), rnd(rng.IntN(100)))
	}
	texts := []struct{ u, l, t, c, n any }{
		{"emoji 😀🎉 中文 ✓", "café ÿ €", "line1\nline2\r\n\ttab", "c", nil},
		{"", "", "", "", ""},
		{"NULL", "NULL", "NULL", "NULL", "NULL"},
		{"quote ' double \" back ` slash \\ semicolon ; dash -- hash # star /* */", "\\", "\\\\'", "'", ";"},
		{"nul \x00 inside", "ctrl \x1a z", "nul\x00", "\x00", nil},
		{"DELIMITER ;;\nSELECT 1;;", "/*!40101 x */", "-- comment\n# hash", " lead", "trail "},
	}
	for _, r := range texts {
		exec("INSERT INTO texts (u, l, t, c, n) VALUES (?, ?, ?, ?, ?)", r.u, r.l, r.t, r.c, r.n)
	}
	exec(`INSERT INTO nums VALUES
		(1, 99999999999999999999999999999999999.999999999999999999999999999999, 3.40282e38, 123.4567, 1.7976931348623157e308, -128, 255, -9223372036854775808, 18446744073709551615, b'1', b'1111111111111111111111111111111111111111111111111111111111111111', b'100000001'),
		(2, -99999999999999999999999999999999999.999999999999999999999999999999, 1.17549435e-38, -999.9999, 5e-324, 127, 0, 9223372036854775807, 0, b'0', b'0', b'0'),
		(3, 0.000000000000000000000000000001, 16777217, 0.0001, 0.30000000000000004, 0, 1, 0, 1, NULL, b'1010', NULL),
		(4, NULL, 0.1, NULL, 0.1, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(5, 0, -0.0, 0, -2.2250738585072014e-308, 0, 0, 0, 0, b'0', b'0', b'0')`)
	exec("SET SESSION sql_mode = ''")
	exec(`INSERT INTO kinds VALUES
		(1, 'a', 'r,w,x', 1901, '-838:59:59', '-838:59:58.999999', '1000-01-01 00:00:00.000000', '1000-01-01', '1970-01-01 00:00:01.000', '{"a": [1, 2.5, "x\\"y"], "b": null}', '::1', '00000000-0000-0000-0000-000000000000'),
		(2, 'x y', '', 2155, '838:59:59', '838:59:58.999999', '9999-12-31 23:59:59.999999', '9999-12-31', '2038-01-19 03:14:07.999', '[]', 'ffff::ffff', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
		(3, '', 'w', 0, '00:00:00', '00:00:00.000001', '0000-00-00 00:00:00.000000', '0000-00-00', NULL, NULL, NULL, NULL),
		(4, NULL, NULL, NULL, NULL, NULL, '2024-00-00 12:00:00.5', '2024-02-00', '2024-02-29 12:34:56.789', '"str"', '1.2.3.4', '123e4567-e89b-12d3-a456-426614174000')`)
	exec("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")
	exec("INSERT INTO gen (id, a, h) VALUES (1, 1, 1), (2, 0, 2), (3, 100, DEFAULT)")
	exec("INSERT INTO nopk VALUES (1, 'a'), (1, 'a'), (NULL, NULL), (2, '')")
	exec("INSERT INTO composite VALUES (1, 'a', '2020-01-01', 1), (1, 'b', '2020-01-02', 2), (2, 'a', NULL, NULL)")
	exec("INSERT INTO cyc_a VALUES (1, 1), (2, NULL)")
	exec("INSERT INTO cyc_b VALUES (1, 1, 10), (2, 2, 20)")
	exec("INSERT INTO refs_code VALUES (1, 10), (2, 20)")
	exec("INSERT INTO parts VALUES (1, '2020-05-01', 'a'), (2, '2021-06-01', 'b'), (3, '2030-01-01', 'c')")
	exec("INSERT INTO docs VALUES (1, 'hello world', 'full text body', ST_GeomFromText('POINT(1 2)')), (2, 'second', 'more text', ST_GeomFromText('POINT(-1.5 2e10)'))")
	exec("INSERT INTO big VALUES (1, ?, ?)", rnd(5<<20), strings.Repeat("multi-megabyte row é ", 150000))
	exec("INSERT INTO `odd name` VALUES (1, 'x', 2, 3), (2, 'it''s', NULL, NULL)")
	exec("INSERT INTO `tàblé_ü` VALUES (1, 'ñandú')")
	exec("INSERT INTO myisam_tbl VALUES (1, 'm'), (2, NULL)")
	exec("INSERT INTO audit (what) VALUES ('before triggers')")
	exec("INSERT INTO zero_ai VALUES (0, 0), (1, 1), (5, 5)")
	exec("SELECT NEXTVAL(seq1)")
	for _, q := range edgeObjects {
		exec(q)
	}
	exec("SET SESSION foreign_key_checks = 1")
}

// TestEdgeDBHasEdges guards the edge database itself: what it claims to
// hold is there.
func TestEdgeDBHasEdges(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	createEdgeDB(t, tg)
	var n int
	var b []byte
	if err := tg.db.QueryRow("SELECT b FROM bytes_tbl WHERE id = 1").Scan(&b); err != nil || len(b) != 256 {
		t.Fatalf("all bytes: %d bytes, %v", len(b), err)
	}
	for i, c := range b {
		if int(c) != i {
			t.Fatalf("byte %d is %d", i, c)
		}
	}
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM bytes_tbl WHERE b = '' AND b IS NOT NULL").Scan(&n); err != nil || n != 1 {
		t.Fatalf("empty blob rows: %d, %v", n, err)
	}
	if err := tg.db.QueryRow("SELECT LENGTH(blob_col) FROM big").Scan(&n); err != nil || n != 5<<20 {
		t.Fatalf("big row: %d, %v", n, err)
	}
	d := describe(t, tg.db, tg.Name)
	if len(d.Views) != 5 || len(d.Triggers) != 3 || len(d.Routines) != 2 || len(d.Events) != 1 || d.Tables["seq1"] != "SEQUENCE" {
		t.Fatalf("objects: %d views, %d triggers, %d routines, %d events, seq1 %q", len(d.Views), len(d.Triggers), len(d.Routines), len(d.Events), d.Tables["seq1"])
	}
	if !bytes.Contains([]byte(d.Create["parts"]), []byte("PARTITION")) {
		t.Fatalf("parts is not partitioned: %s", d.Create["parts"])
	}
	_ = fmt.Sprint
}
