package dump

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// ldHeader is the head of a mariadb-dump file, with the dump's sql_mode.
func ldHeader(mode string) string {
	return "-- MariaDB dump 10.19\n--\n-- Host: localhost    Database: src\n\n" +
		"/*!40101 SET NAMES utf8mb4 */;\n/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;\n" +
		"/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;\n" +
		"/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='" + mode + "' */;\n"
}

const ldTrailer = "-- Dump completed on 2026-01-01  0:00:00\n"

// restoreText restores a dump held in a string into tg.
func restoreText(t *testing.T, tg target, text string, opts ...RestoreOption) (Stats, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return Restore(ctx, tg.db, tg.Name, strings.NewReader(text), opts...)
}

// ldValuesDump holds values that must come out of the fast path exactly
// as the INSERT writes them.
var ldValuesDump = ldHeader("NO_AUTO_VALUE_ON_ZERO") +
	"CREATE TABLE `vals` (`id` int NOT NULL, `s` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL, `t` text, " +
	"`d` decimal(20,4) DEFAULT NULL, `bi` bigint DEFAULT NULL, `bu` bigint unsigned DEFAULT NULL, `f` double DEFAULT NULL, " +
	"`dt` date DEFAULT NULL, `ts` datetime(6) DEFAULT NULL, `e` enum('a','b','') DEFAULT NULL, `st` set('r','w') DEFAULT NULL, " +
	"`y` year DEFAULT NULL, `tm` time DEFAULT NULL, `l1` varchar(20) CHARACTER SET latin1 DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;\n" +
	"INSERT INTO `vals` VALUES " +
	"(1,NULL,'NULL',NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL)," +
	"(2,'\\\\N','\\\\',0,0,0,0,'0000-00-00','0000-00-00 00:00:00','','','0000','00:00:00','')," +
	"(3,'','a\\tb\\nc\\rd\\0e\\Zf','-12345678901234.5678',-9223372036854775808,18446744073709551615,-1.5,'2024-00-15','2024-02-29 23:59:59.999999','b','r,w','2024','-838:59:59','caf\\xe9')," +
	"(4,'quote''s \"dq\" \\\\back\\\\',\"it\\'s\",-0.0001,-1,1,3.141592653589793,'2024-12-00','1999-01-01 00:00:00.000001','a','w','1901','12:30:00.5','plain')," +
	"(5,'😀 4-byte 𝄞','tab at end\\t \\\\t not a tab',42.5,42,42,'1e3','1000-01-01','9999-12-31 23:59:59','b','','2155','-00:00:01','Zürich');\n" +
	"INSERT INTO `vals` (`id`,`s`) VALUES (6,'NULL'),(7,'\\\\N'),(8,'\\\\\\\\N');\n" +
	"INSERT INTO `vals` (`t`,`id`) VALUES ('columns in another order',9);\n" +
	ldTrailer

// TestLoadDataValues: the rows the fast path loads equal, value by value,
// the rows the INSERTs write.
func TestLoadDataValues(t *testing.T) {
	t.Parallel()
	fast, plain := newTarget(t), newTarget(t)
	st, err := restoreText(t, fast, ldValuesDump, WithRestoreLogger(slog.New(slog.NewTextHandler(tLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if st.LoadData != 3 {
		t.Errorf("Stats.LoadData = %d, want 3: the fast path was not taken for every INSERT", st.LoadData)
	}
	if st.Rows != 9 {
		t.Errorf("Stats.Rows = %d, want 9", st.Rows)
	}
	if _, err := restoreText(t, plain, ldValuesDump, WithLoadData(false)); err != nil {
		t.Fatal(err)
	}
	want, got := tableRows(t, plain, "vals"), tableRows(t, fast, "vals")
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("the fast path loaded\n%s\nthe INSERTs wrote\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sameDatabase(t, plain.db, plain.Name, fast.Name)
	for _, c := range []struct {
		id   int
		want string
	}{
		{1, "NULL|NULL"}, {6, "NULL|NULL"}, // s NULL, t 'NULL' (row 1); s 'NULL' (row 6)
		{2, `\N|\`}, {7, `\N|NULL`}, {8, `\\N|NULL`},
	} {
		var s, tx sql.NullString
		if err := fast.db.QueryRow("SELECT s, t FROM vals WHERE id = ?", c.id).Scan(&s, &tx); err != nil {
			t.Fatal(err)
		}
		if got := show(s) + "|" + show(tx); got != c.want {
			t.Errorf("row %d: s|t = %s, want %s", c.id, got, c.want)
		}
	}
	var isNull, isString int
	if err := fast.db.QueryRow("SELECT SUM(s IS NULL AND id = 1), SUM(s = 'NULL' AND id = 6) FROM vals").Scan(&isNull, &isString); err != nil || isNull != 1 || isString != 1 {
		t.Errorf("NULL and 'NULL' not kept apart: %d %d %v", isNull, isString, err)
	}
}

func show(s sql.NullString) string {
	if !s.Valid {
		return "NULL"
	}
	return s.String
}

// tableRows returns every row of a table as text (HEX of each column, so
// that no byte or NULL hides), in key order.
func tableRows(t *testing.T, tg target, table string) []string {
	t.Helper()
	var cols []string
	for _, c := range queryStrings(t, tg.db, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", tg.Name, table) {
		cols = append(cols, "IFNULL(HEX(`"+c+"`),'<NULL>')")
	}
	return queryStrings(t, tg.db, "SELECT CONCAT_WS('|',"+strings.Join(cols, ",")+") FROM `"+table+"` ORDER BY 1")
}

// TestLoadDataFailures: what fails as an INSERT fails with the fast path
// on, naming the statement's line, and nothing is left half-loaded.
func TestLoadDataFailures(t *testing.T) {
	t.Parallel()
	create := "CREATE TABLE `k` (`a` int NOT NULL, `b` date NOT NULL, `v` varchar(3) NOT NULL, PRIMARY KEY (`a`,`b`)) ENGINE=InnoDB;\n"
	for _, c := range []struct {
		name, mode, rows string
		errText          string
	}{
		// Into an empty table with unique_checks=0 InnoDB inserts in bulk and
		// finds the duplicate at COMMIT (error 1180), INSERT or not.
		{"duplicate key in one statement", "NO_AUTO_VALUE_ON_ZERO", "INSERT INTO `k` VALUES (1,'2020-01-01','x'),(1,'2020-01-01','y');\n", "during COMMIT"},
		{"duplicate key across statements", "NO_AUTO_VALUE_ON_ZERO", "INSERT INTO `k` VALUES (1,'2020-01-01','x');\nINSERT INTO `k` VALUES (2,'2020-01-01','x'),(1,'2020-01-01','y');\n", "Duplicate entry"},
		{"value too long under strict mode", "STRICT_TRANS_TABLES", "INSERT INTO `k` VALUES (1,'2020-01-01','toolong');\n", "Data too long"},
		{"NULL into NOT NULL under strict mode", "STRICT_TRANS_TABLES", "INSERT INTO `k` VALUES (1,'2020-01-01',NULL);\n", "cannot be null"},
		{"bad date under strict mode", "STRICT_TRANS_TABLES,NO_ZERO_DATE", "INSERT INTO `k` VALUES (1,'2020-13-45','x');\n", "Incorrect date value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			text := ldHeader(c.mode) + create + c.rows + ldTrailer
			failsLikeTheINSERT(t, text, c.errText, "INSERT")
		})
	}
}

// failsLikeTheINSERT restores text with the fast path on and off: both
// must fail with the same error, containing errText, on the line of the
// last statement that starts with failing, and leave no table behind.
func failsLikeTheINSERT(t *testing.T, text, errText, failing string) {
	t.Helper()
	wantLine := strings.Count(text[:strings.LastIndex(text, failing)], "\n") + 1
	var msgs []string
	for _, opts := range [][]RestoreOption{nil, {WithLoadData(false)}} {
		tg := newTarget(t)
		_, err := restoreText(t, tg, text, opts...)
		var se *StatementError
		switch {
		case err == nil:
			t.Fatalf("the restore succeeded; want an error %q", errText)
		case !errors.As(err, &se):
			t.Fatalf("error %v is not a StatementError", err)
		case !strings.Contains(err.Error(), errText):
			t.Errorf("error %v, want one with %q", err, errText)
		case se.Line != wantLine:
			t.Errorf("error at line %d, want %d (the failing INSERT): %v", se.Line, wantLine, err)
		}
		if n := tableCount(t, tg); n != 0 {
			t.Errorf("%d tables left behind", n)
		}
		msgs = append(msgs, strings.ReplaceAll(err.Error(), tg.Name, "DB"))
	}
	if msgs[0] != msgs[1] {
		t.Errorf("with the fast path the restore failed with\n%s\nwithout it with\n%s", msgs[0], msgs[1])
	}
}

// tableCount is the number of tables in tg.
func tableCount(t *testing.T, tg target) int {
	t.Helper()
	var n int
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", tg.Name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLoadDataNonStrict: under a non-strict sql_mode what the INSERT cuts
// with a warning is cut the same way (the load's warnings make the INSERT
// run), not refused.
func TestLoadDataNonStrict(t *testing.T) {
	t.Parallel()
	text := ldHeader("NO_AUTO_VALUE_ON_ZERO") +
		"CREATE TABLE `w` (`a` int NOT NULL, `v` varchar(3) NOT NULL, `n` int NOT NULL, PRIMARY KEY (`a`)) ENGINE=InnoDB;\n" +
		"INSERT INTO `w` VALUES (1,'toolong',5),(2,'ok',6);\nINSERT INTO `w` VALUES (3,'x',NULL),(4,'y',7);\nINSERT INTO `w` VALUES (5,'z',8);\n" + ldTrailer
	fast, plain := newTarget(t), newTarget(t)
	if _, err := restoreText(t, fast, text); err != nil {
		t.Fatal(err)
	}
	if _, err := restoreText(t, plain, text, WithLoadData(false)); err != nil {
		t.Fatal(err)
	}
	if want, got := tableRows(t, plain, "w"), tableRows(t, fast, "w"); strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Errorf("got rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLoadDataFallbacks: statements and tables the fast path leaves to
// the INSERT still load, and the counts say which took which path.
func TestLoadDataFallbacks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, create, rows string
		loads              int64
	}{
		{"hex and charset introducer", "CREATE TABLE `h` (`a` int NOT NULL PRIMARY KEY, `s` varchar(10)) ENGINE=InnoDB;\n",
			"INSERT INTO `h` VALUES (1,0x41),(2,_latin1'b');\nINSERT INTO `h` VALUES (3,X'43');\nINSERT INTO `h` VALUES (4,'d');\n", 1},
		{"expression", "CREATE TABLE `x` (`a` int NOT NULL PRIMARY KEY, `s` varchar(10)) ENGINE=InnoDB;\n",
			"INSERT INTO `x` VALUES (1,CONCAT('a','b')),(2,1+1);\n", 0},
		{"number into a date column", "CREATE TABLE `y` (`a` int NOT NULL PRIMARY KEY, `d` date, `yr` year) ENGINE=InnoDB;\n",
			"INSERT INTO `y` VALUES (1,20240101,0);\nINSERT INTO `y` VALUES (2,'2024-01-01','0');\n", 1},
		{"blob column", "CREATE TABLE `b` (`a` int NOT NULL PRIMARY KEY, `b` blob) ENGINE=InnoDB;\n",
			"INSERT INTO `b` VALUES (1,'x\\0y');\n", 0},
		{"bit column", "CREATE TABLE `bt` (`a` int NOT NULL PRIMARY KEY, `b` bit(8)) ENGINE=InnoDB;\n",
			"INSERT INTO `bt` VALUES (1,5);\n", 0},
		{"generated column", "CREATE TABLE `g` (`a` int NOT NULL PRIMARY KEY, `v` int AS (a*2) VIRTUAL) ENGINE=InnoDB;\n",
			"INSERT INTO `g` (`a`) VALUES (1);\n", 0},
		{"MyISAM", "CREATE TABLE `m` (`a` int NOT NULL PRIMARY KEY) ENGINE=MyISAM;\n",
			"INSERT INTO `m` VALUES (1),(2);\n", 0},
		{"INSERT IGNORE and ON DUPLICATE KEY", "CREATE TABLE `i` (`a` int NOT NULL PRIMARY KEY, `n` int) ENGINE=InnoDB;\n",
			"INSERT IGNORE INTO `i` VALUES (1,1),(1,2);\nINSERT INTO `i` VALUES (1,3) ON DUPLICATE KEY UPDATE n = 9;\n", 0},
		{"exponent and signs", "CREATE TABLE `e` (`a` int NOT NULL PRIMARY KEY, `f` double) ENGINE=InnoDB;\n",
			"INSERT INTO `e` VALUES (1,1.5e-3);\nINSERT INTO `e` VALUES (2,- -2);\nINSERT INTO `e` VALUES (3,-2.5);\n", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			text := ldHeader("NO_AUTO_VALUE_ON_ZERO") + c.create + c.rows + ldTrailer
			fast, plain := newTarget(t), newTarget(t)
			st, err := restoreText(t, fast, text)
			if err != nil {
				t.Fatal(err)
			}
			if st.LoadData != c.loads {
				t.Errorf("Stats.LoadData = %d, want %d", st.LoadData, c.loads)
			}
			if _, err := restoreText(t, plain, text, WithLoadData(false)); err != nil {
				t.Fatal(err)
			}
			sameDatabase(t, plain.db, plain.Name, fast.Name)
		})
	}
}

// TestLoadDataLocalInfileOff: a server with local_infile=OFF gets the
// INSERTs, and the restore succeeds.
func TestLoadDataLocalInfileOff(t *testing.T) {
	t.Parallel()
	srv := servertestPrivate(t)
	ctx := context.Background()
	root, err := server.OpenDB(srv.Config(""))
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, "SET GLOBAL local_infile = 0"); err != nil {
		t.Fatal(err)
	}
	tg := target{}
	tg.Database, tg.db = servertest.DatabaseOn(t, srv)
	st, err := restoreText(t, tg, ldValuesDump)
	if err != nil {
		t.Fatal(err)
	}
	if st.LoadData != 0 || st.Rows != 9 {
		t.Errorf("Stats = %+v, want no LOAD DATA and 9 rows", st)
	}
	// The server's refusal met by a load (the global turned off after the
	// restore checked it) turns the fast path off for the restore.
	conn, err := tg.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	l := &loader{cfg: restoreConfig{parallel: 2, logger: slog.New(slog.DiscardHandler)}, ctx: ctx, version: 1, mariadb: true}
	it := item{text: "INSERT INTO `vals` (`id`) VALUES (100)", table: "vals", data: true, ld: &ldItem{tab: &ldTable{}, charset: "utf8mb4"}}
	if _, ok, err := l.loadData(conn, &it); ok || err != nil {
		t.Fatal("LOAD DATA LOCAL ran on a server with local_infile=OFF")
	}
	if !l.noLocal.Load() {
		t.Error("the server's refusal did not turn the fast path off")
	}
}

// servertestPrivate starts a local server of the test's own, for global
// settings the shared one must not see.
func servertestPrivate(t *testing.T) server.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, server.WithProvider(server.ProviderLocal))
	if err != nil {
		if servertest.Required() {
			t.Fatalf("start a private local server: %v", err)
		}
		t.Skipf("no local server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type tLog struct{ t *testing.T }

func (l tLog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }
