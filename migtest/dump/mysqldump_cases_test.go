package dump

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// mysqldumpCases are databases taken from MariaDB's own dump tests
// (mysql-test/main/mysqldump.test, by the bug each case was written for),
// plus one with every object kind MariaDB has.
var mysqldumpCases = []struct {
	name  string
	setup []string
}{
	{"Bug#2005 long decimal", []string{"CREATE TABLE t1 (a decimal(64, 20))", "INSERT INTO t1 VALUES ('1234567890123456789012345678901234567890'), ('0987654321098765432109876543210987654321')"}},
	{"Bug#2055 -inf double", []string{"CREATE TABLE t1 (a double)", "INSERT IGNORE INTO t1 VALUES ('-9e999999')"}},
	{"Bug#3361 decimal and float", []string{"CREATE TABLE t1 (a DECIMAL(10,5), b FLOAT)", "INSERT INTO t1 VALUES (1.2345, 2.3456), ('1.2345', 2.3456), (\"1.2345\", 2.3456)"}},
	{"Bug#1707 quotes in a column name", []string{"CREATE TABLE t1 (`a\"b\"` char(2))", `INSERT INTO t1 VALUES ("1\""), ("\"2")`}},
	{"Bug#1994 koi8r and NULL", []string{"CREATE TABLE t1 (a VARCHAR(255)) DEFAULT CHARSET koi8r", "INSERT INTO t1 VALUES (_koi8r x'C1C2C3C4C5'), (NULL)"}},
	{"Bug#2592 backticks in a table name", []string{"CREATE TABLE ```a` (i int)", "INSERT INTO ```a` VALUES (1)"}},
	{"Bug#7020 latin1 text", []string{"CREATE TABLE t1 (a CHAR(10)) CHARSET latin1", "INSERT INTO t1 VALUES (_latin1 x'E4F6FCDF')"}},
	{"Bug#8830 blob", []string{"CREATE TABLE t1 (`b` blob)", "INSERT INTO `t1` VALUES (0x602010000280100005E71A)"}},
	{"Bug#10286 many long column names", manyColumns()},
	{"Bug#16878 triggers", []string{
		"CREATE TABLE t1 (a int, created datetime)", "CREATE TABLE t2 (b int, created datetime)",
		"CREATE TRIGGER tr1 BEFORE INSERT ON t1 FOR EACH ROW SET new.created = '2020-01-01 00:00:00'",
		"CREATE TRIGGER tr2 AFTER INSERT ON t1 FOR EACH ROW BEGIN\n  INSERT INTO t2 SET b = new.a, created = new.created;\nEND",
	}},
	{"Bug#18462 views over views", []string{"CREATE TABLE t (qty int, price int)", "INSERT INTO t VALUES (3, 50), (5, 51)",
		"CREATE VIEW v1 AS SELECT qty, price, qty*price AS value FROM t", "CREATE VIEW v2 AS SELECT qty FROM v1"}},
	{"Bug#14857 single-statement routines", []string{"CREATE FUNCTION `f`() RETURNS bigint(20) RETURN 42", "CREATE PROCEDURE `p`() SELECT 42"}},
	{"Bug#17201 a table and its view", []string{"CREATE TABLE t1 (id int)", "CREATE VIEW v1 AS SELECT * FROM t1", "INSERT INTO t1 VALUES (1232131), (4711), (3231), (0815)"}},
	{"Bug#19745 mediumblob", []string{"CREATE TABLE t1 (f1 int(10), data MEDIUMBLOB)", "INSERT INTO t1 VALUES (1, 0xff00fef0)"}},
	{"Bug#21014 view with a qualified column", []string{"CREATE TABLE basetable (id serial, tag varchar(64))", "INSERT INTO basetable (tag) VALUES ('a')", "CREATE VIEW nasishnasifu AS SELECT basetable.id FROM basetable"}},
	{"Bug#20221 views in a dump with data", []string{"CREATE TABLE t1 (f1 int, f2 int)", "INSERT INTO t1 VALUES (1,1)", "CREATE VIEW v1 AS SELECT f1, f2 FROM t1"}},
	{"merge tables", []string{"CREATE TABLE m1 (a INT) ENGINE=MyISAM", "CREATE TABLE m2 (a INT) ENGINE=MyISAM", "INSERT INTO m1 VALUES (1)", "INSERT INTO m2 VALUES (2)",
		"CREATE TABLE am (a INT) ENGINE=MERGE UNION=(m1, m2) INSERT_METHOD=LAST", "CREATE TABLE an (a INT) ENGINE=MERGE UNION=(m1, m2)"}},
	{"sequence default", []string{"CREATE SEQUENCE s1 START WITH 50 INCREMENT BY 3", "CREATE TABLE t1 (id INT PRIMARY KEY DEFAULT nextval(s1), v INT)", "INSERT INTO t1 (v) VALUES (1), (2)",
		"CREATE SEQUENCE zz START WITH 7", "CREATE TABLE a0 (id INT PRIMARY KEY DEFAULT (NEXT VALUE FOR zz))", "INSERT INTO a0 VALUES (DEFAULT)"}},
	{"partitions", []string{"CREATE TABLE pr (id INT, d DATE, PRIMARY KEY (id, d)) PARTITION BY RANGE (YEAR(d)) (PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN MAXVALUE)",
		"CREATE TABLE pl (id INT) PARTITION BY LIST (id) (PARTITION a VALUES IN (1,2), PARTITION b VALUES IN (3))", "INSERT INTO pr VALUES (1, '1999-01-01'), (2, '2020-01-01')", "INSERT INTO pl VALUES (1), (3)"}},
	{"aria, spatial and generated columns", []string{
		"CREATE TABLE ar (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=Aria TRANSACTIONAL=1 PAGE_CHECKSUM=1", "INSERT INTO ar VALUES (1, 'x')",
		"CREATE TABLE geo (id INT PRIMARY KEY, g POINT NOT NULL, s GEOMETRY, SPATIAL KEY (g)) ENGINE=Aria", "INSERT INTO geo VALUES (1, POINT(1, 2), ST_GeomFromText('LINESTRING(0 0, 1 1)'))",
		"CREATE TABLE gen (a INT, b INT AS (a * 2) VIRTUAL, c VARCHAR(10) AS (CONCAT('x', a)) STORED, KEY (b))", "INSERT INTO gen (a) VALUES (1), (2)",
	}},
	{"events, FOLLOWS/PRECEDES, routine comments", []string{
		"CREATE TABLE t (id INT PRIMARY KEY, n INT DEFAULT 0)", "CREATE TABLE log (m VARCHAR(20))",
		"CREATE TRIGGER a1 BEFORE INSERT ON t FOR EACH ROW SET NEW.n = NEW.n + 1",
		"CREATE TRIGGER a3 BEFORE INSERT ON t FOR EACH ROW FOLLOWS a1 SET NEW.n = NEW.n * 10",
		"CREATE TRIGGER a2 BEFORE INSERT ON t FOR EACH ROW PRECEDES a3 SET NEW.n = NEW.n + 2",
		"CREATE PROCEDURE pc(IN x INT) COMMENT 'it''s a /* comment */ -- here' BEGIN\n  -- a line comment; with a semicolon\n  /* a block; comment */\n  INSERT INTO log VALUES (CONCAT('x=', x));\nEND",
		"CREATE FUNCTION fc(x INT) RETURNS INT DETERMINISTIC COMMENT 'doubles' RETURN x * 2",
		"CREATE EVENT ev1 ON SCHEDULE EVERY 1 HOUR STARTS '2031-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'hourly' DO INSERT INTO log VALUES ('ev')",
		"CREATE EVENT ev2 ON SCHEDULE AT '2032-02-02 00:00:00' ON COMPLETION PRESERVE DISABLE DO DELETE FROM log",
		"INSERT INTO t (id) VALUES (1)",
	}},
	{"system-versioned", []string{"CREATE TABLE sv (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING", "INSERT INTO sv VALUES (1, 1)", "UPDATE sv SET v = 2"}},
	{"odd names", []string{"CREATE TABLE `a b` (`c d` INT, `ü` VARCHAR(3))", "INSERT INTO `a b` VALUES (1, 'ä')", "CREATE VIEW `v w` AS SELECT `c d` FROM `a b`"}},
}

// comparable drops what differs between any two loads of one dump: the
// checksums of system-versioned tables (their row start times are the
// load's); and maps the source database's name, which the stock path
// keeps in a qualified DEFAULT nextval(src.s), to <db>.
func comparable(t *testing.T, d definition, src string) definition {
	t.Helper()
	for n, typ := range d.Tables {
		if typ == "SYSTEM VERSIONED" {
			delete(d.Checksums, n)
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("`"+src+"`"), []byte("`<db>`"))
	var out definition
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// manyColumns is Bug#10286's table: 200 columns with long names.
func manyColumns() []string {
	var cols, vals []string
	for i := range 200 {
		cols = append(cols, fmt.Sprintf("F_%032x int", i*7919+12345))
		vals = append(vals, fmt.Sprint(i))
	}
	return []string{"CREATE TABLE t1 (" + strings.Join(cols, ", ") + ")", "INSERT INTO t1 VALUES (" + strings.Join(vals, ", ") + ")"}
}

// TestMysqldumpCases runs each case through the four paths and compares
// each, object by object, with the baseline: mariadb-dump loaded by the
// stock mariadb client.
func TestMysqldumpCases(t *testing.T) {
	t.Parallel()
	for _, c := range mysqldumpCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := newTarget(t)
			execAll(t, src, c.setup...)
			// --skip-add-locks: under LOCK TABLES the stock client cannot
			// load a table whose DEFAULT takes nextval() of a sequence.
			stock := tool(t, nil, "mariadb-dump", "--routines", "--events", "--triggers", "--single-transaction", "--skip-add-locks", src.Name)
			base := newTarget(t)
			tool(t, bytes.NewReader(stock), "mariadb", "--comments", base.Name) // without it the client strips comments from routine bodies
			want := comparable(t, describe(t, base.db, base.Name), src.Name)
			p := filepath.Join(t.TempDir(), "b.sql.gz")
			if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
				t.Fatal(err)
			}
			compare := func(path string, got target) {
				if diff := cmp.Diff(want, comparable(t, describe(t, got.db, got.Name), src.Name)); diff != "" {
					t.Errorf("%s differs from stock dump → stock client (-baseline +got):\n%s", path, diff)
				}
			}
			got := newTarget(t)
			tool(t, bytes.NewReader(gunzip(t, p)), "mariadb", "--comments", got.Name)
			compare("migrate backup → stock client", got)
			got = newTarget(t)
			restoreFile(t, got, writeFile(t, "stock.sql", stock))
			compare("stock dump → Restore", got)
			got = newTarget(t)
			restoreFile(t, got, p)
			compare("migrate backup → Restore", got)
		})
	}
}

// TestRoutineEndingInComment: a routine whose body ends in a "#" comment.
// mariadb-dump writes its delimiter after the comment, on the same line,
// and the stock client then fails on its own dump; a migtest backup puts
// the delimiter on the next line, and both loaders take it.
func TestRoutineEndingInComment(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	execAll(t, src,
		"CREATE FUNCTION fc(x INT) RETURNS INT DETERMINISTIC RETURN x * 2 # trailing comment",
		"CREATE PROCEDURE pc() SELECT 1 -- trailing; comment",
		"CREATE TABLE t (id INT)",
		"CREATE TRIGGER tg BEFORE INSERT ON t FOR EACH ROW SET NEW.id = NEW.id + 1 # note",
	)
	p := filepath.Join(t.TempDir(), "b.sql.gz")
	if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
		t.Fatal(err)
	}
	got := newTarget(t)
	tool(t, bytes.NewReader(gunzip(t, p)), "mariadb", "--comments", got.Name)
	sameDatabase(t, src.db, src.Name, got.Name)
	again := newTarget(t)
	restoreFile(t, again, p)
	sameDatabase(t, src.db, src.Name, again.Name)
}
