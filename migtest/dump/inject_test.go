package dump

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// schemata lists every database on the server.
func schemata(t testing.TB, db *sql.DB) []string {
	t.Helper()
	return queryStrings(t, db, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")
}

// stockLoad feeds sqlText to the stock mariadb client into database and
// returns its error (nil when it exited 0) with its stderr.
func stockLoad(t testing.TB, sqlText []byte, database string, args ...string) error {
	t.Helper()
	if _, err := exec.LookPath("mariadb"); err != nil {
		t.Skipf("mariadb client not installed: %v (apt-get install mariadb-client)", err)
	}
	cnf, _ := clientConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mariadb", append(append([]string{"--defaults-extra-file=" + cnf}, args...), database)...)
	cmd.Stdin = bytes.NewReader(sqlText)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(errb.String()))
	}
	return nil
}

// injectionNames are object names that end a "-- " comment line and put SQL
// on the next line, each creating a database named by mark when it runs.
func injectionNames(mark string) map[string]string {
	sql := func(kind string) string { return "\nCREATE DATABASE " + mark + kind + "; -- x" }
	return map[string]string{
		"table":     "t" + sql("t"),
		"view":      "v" + sql("v"),
		"procedure": "p" + sql("p"),
		"function":  "f" + sql("f"),
		"trigger":   "g" + sql("g"),
		"event":     "e" + sql("e"),
		"sequence":  "s" + sql("s"),
		"crlf":      "c\r" + sql("c"),
		"comment":   "k*/" + sql("k"),
	}
}

// createNamed creates one object of each kind under the given names.
func createNamed(t testing.TB, db *sql.DB, n map[string]string) {
	t.Helper()
	q := quoteIdent
	for _, s := range []string{
		"CREATE TABLE " + q(n["table"]) + " (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO " + q(n["table"]) + " VALUES (1, 'a'), (2, 'b')",
		"CREATE TABLE " + q(n["crlf"]) + " (id INT PRIMARY KEY)",
		"INSERT INTO " + q(n["crlf"]) + " VALUES (7)",
		"CREATE TABLE " + q(n["comment"]) + " (id INT PRIMARY KEY)",
		"INSERT INTO " + q(n["comment"]) + " VALUES (8)",
		"CREATE VIEW " + q(n["view"]) + " AS SELECT id FROM " + q(n["table"]),
		"CREATE PROCEDURE " + q(n["procedure"]) + "() SELECT 1",
		"CREATE FUNCTION " + q(n["function"]) + "() RETURNS INT RETURN 1",
		"CREATE TRIGGER " + q(n["trigger"]) + " BEFORE INSERT ON " + q(n["table"]) + " FOR EACH ROW SET NEW.v = UPPER(NEW.v)",
		"CREATE EVENT " + q(n["event"]) + " ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO SELECT 1",
		"CREATE SEQUENCE " + q(n["sequence"]),
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	}
}

// TestBackupNamesCannotInject: object names that hold a newline and SQL
// are written so that the stock client, reading the backup, runs nothing
// but the dump (Bug#25717383 in mysqldump), with comments sent to the
// server or stripped; Restore loads the same file.
func TestBackupNamesCannotInject(t *testing.T) {
	src := newTarget(t)
	mark := fmt.Sprintf("inj%d_", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { dropMarked(t, src.db, mark) })
	createNamed(t, src.db, injectionNames(mark))
	p := filepath.Join(t.TempDir(), "b.sql.gz")
	if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
		t.Fatal(err)
	}
	text := gunzip(t, p)
	for _, mode := range [][]string{{"--comments"}, nil, {"--binary-mode"}} {
		t.Run(fmt.Sprintf("stock client %v", mode), func(t *testing.T) {
			got := newTarget(t)
			before := schemata(t, src.db)
			if err := stockLoad(t, text, got.Name, mode...); err != nil {
				t.Errorf("the stock client fails on the backup: %v", err)
			}
			after := schemata(t, src.db)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("loading the backup changed the server's databases (-before +after):\n%s", diff)
			}
			sameAsStockClient(t, src, got, slices.Contains(mode, "--binary-mode"))
		})
	}
	t.Run("Restore", func(t *testing.T) {
		got := newTarget(t)
		before := schemata(t, src.db)
		restoreFile(t, got, p)
		if diff := cmp.Diff(before, schemata(t, src.db)); diff != "" {
			t.Fatalf("the restore changed the server's databases (-before +after):\n%s", diff)
		}
		sameDatabase(t, src.db, src.Name, got.Name)
	})
	for _, s := range schemata(t, src.db) {
		if strings.HasPrefix(s, mark) {
			t.Errorf("database %s was created by an injected statement", s)
		}
	}
}

// sameAsStockClient compares the source with what the stock client
// loaded from its backup. Without --binary-mode the client turns "\r\n"
// into "\n" everywhere, inside quoted names too (mariadb-dump's files lose
// the same way): both sides are compared with "\r\n" read as "\n" then.
func sameAsStockClient(t testing.TB, src, got target, binary bool) {
	t.Helper()
	if binary {
		sameDatabase(t, src.db, src.Name, got.Name)
		return
	}
	crlf := func(d definition) definition {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(`\r\n`), []byte(`\n`))
		var out definition
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, have := crlf(describe(t, src.db, src.Name)), crlf(describe(t, got.db, got.Name))
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("database %s differs from %s (-want +got):\n%s", got.Name, src.Name, diff)
	}
}

// dropMarked drops the databases an injected statement created.
func dropMarked(t testing.TB, db *sql.DB, mark string) {
	for _, s := range schemata(t, db) {
		if strings.HasPrefix(s, mark) {
			if _, err := db.Exec("DROP DATABASE " + quoteIdent(s)); err != nil {
				t.Errorf("drop %s: %v", s, err)
			}
		}
	}
}

// TestBackupDatabaseNameCannotInject: the database's own name is written in
// the header comment; a newline in it cannot put SQL on a line of its own.
func TestBackupDatabaseNameCannotInject(t *testing.T) {
	src := newTarget(t)
	mark := fmt.Sprintf("inj%d_", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { dropMarked(t, src.db, mark) })
	name := "d\nCREATE DATABASE " + mark + "d; -- x"
	for _, q := range []string{
		"CREATE DATABASE " + quoteIdent(name),
		"CREATE TABLE " + quoteIdent(name) + ".t (id INT PRIMARY KEY)",
		"INSERT INTO " + quoteIdent(name) + ".t VALUES (1)",
	} {
		if _, err := src.db.Exec(q); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
	}
	t.Cleanup(func() { src.db.Exec("DROP DATABASE " + quoteIdent(name)) })
	p := filepath.Join(t.TempDir(), "b.sql.gz")
	if _, err := Backup(context.Background(), src.db, name, p); err != nil {
		t.Fatal(err)
	}
	got := newTarget(t)
	before := schemata(t, src.db)
	if err := stockLoad(t, gunzip(t, p), got.Name, "--comments"); err != nil {
		t.Errorf("the stock client fails on the backup: %v", err)
	}
	if diff := cmp.Diff(before, schemata(t, src.db)); diff != "" {
		t.Fatalf("loading the backup changed the server's databases (-before +after):\n%s", diff)
	}
	sameDatabase(t, src.db, name, got.Name)
}

// FuzzBackupNames: whatever an object's name, the backup read by the stock
// client creates exactly the source's objects and nothing else, and
// Restore loads it back the same. Names the server refuses are skipped.
// The seeds run in every go test; make fuzz explores.
func FuzzBackupNames(f *testing.F) {
	for _, s := range []string{
		"plain", "a\nCREATE DATABASE fz_a; -- x", "b*/\nCREATE DATABASE fz_b; /*", "c`\nd", "e'f\"g\n#",
		"h\r\nCREATE DATABASE fz_h; -- x", "i\rj", "j -- k", "l\x00m", "n\\", "/*!40000 o */", "p\nDELIMITER ;;\nq",
		"r;s", "#t\nCREATE DATABASE fz_t", "u\u2028v", "w\n-- x\ny", "\\\nCREATE DATABASE fz_w; -- x", "y\n\\! touch /tmp/fz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		src := newTarget(t)
		q := quoteIdent
		if _, err := src.db.Exec("CREATE TABLE " + q(name) + " (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
			t.Skipf("the server refuses the name %q: %v", name, err)
		}
		before := schemata(t, src.db)
		for _, s := range []string{
			"INSERT INTO " + q(name) + " VALUES (1, 'a')",
			"CREATE VIEW " + q("v"+name) + " AS SELECT id AS " + q(name) + " FROM " + q(name),
			"CREATE PROCEDURE " + q("p"+name) + "() COMMENT " + quoteString(name) + " SELECT COUNT(*) FROM " + q(name),
			"CREATE TRIGGER " + q("g"+name) + " BEFORE INSERT ON " + q(name) + " FOR EACH ROW SET NEW.v = 'x'",
			"CREATE EVENT " + q("e"+name) + " ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO SELECT 1",
		} {
			_, _ = src.db.Exec(s) // a longer name may be refused: fewer objects then
		}
		p := filepath.Join(t.TempDir(), "b.sql.gz")
		if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
			t.Fatal(err)
		}
		got := newTarget(t)
		if err := stockLoad(t, gunzip(t, p), got.Name, "--comments"); err != nil {
			t.Errorf("the stock client fails on the backup: %v", err)
		}
		if diff := cmp.Diff(append(before, got.Name), schemata(t, src.db), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Fatalf("loading the backup changed the server's databases (-before +after):\n%s", diff)
		}
		sameAsStockClient(t, src, got, false)
		again := newTarget(t)
		restoreFile(t, again, p)
		sameDatabase(t, src.db, src.Name, again.Name)
	})
}

func TestCommentSafe(t *testing.T) {
	for _, s := range []string{"plain", "a\nb", "c\r\nd", `e\nf`, "g\x00h\x1fi\x7f", "j\u2028k\u0085", `\`, "l`m", "tàblé"} {
		c := commentSafe(quoteIdent(s))
		if strings.ContainsAny(c, "\n\r\x00\u2028\u0085") {
			t.Errorf("commentSafe(%q) = %q: still holds a line end or control", s, c)
		}
		if got := commentUnescape(c); got != quoteIdent(s) {
			t.Errorf("commentUnescape(commentSafe(%q)) = %q", quoteIdent(s), got)
		}
	}
	for raw, want := range map[string]string{
		"-- migtest dump v1\n--\n-- Database: a\\nb\n-- Server version\t10.11\n":                              "a\nb",
		"-- MariaDB dump 10.19  Distrib 10.11.14-MariaDB\n--\n-- Host: localhost    Database: sakila\n-- ---": "sakila",
		"-- MariaDB dump 10.19\n--\n-- Host: localhost    Database: \n":                                       "",
		"CREATE TABLE t (id INT);\n": "",
	} {
		if got := headerDatabase([]byte(raw)); got != want {
			t.Errorf("headerDatabase(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestRestoreOldInjectedBackup: a backup written before the names were
// escaped (the comment line ends in the name, the next line is live SQL)
// is refused by Restore with the statement that would have run, and a
// file whose quotes no longer pair up is not called truncated.
func TestRestoreOldInjectedBackup(t *testing.T) {
	head := "-- migtest dump v0\n--\n-- Database: shop\n-- ------\n\n"
	for _, c := range []struct{ name, body, want string }{
		{"comment then live line", "--\n-- Table `t\nCREATE DATABASE evil_x; -- x`\n--\n\nCREATE TABLE `t\nCREATE DATABASE evil_x; -- x` (id INT PRIMARY KEY);\n",
			"it names the database `evil_x`, but the dump's header says it is a dump of `shop`"},
		{"quotes out of step", "CREATE TABLE a (id INT);\n--\n-- event `e\nSELECT 1; ```\n--\n\n",
			"so it is not truncated but its quotes do not pair up"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tg := newTarget(t)
			text := head + c.body + "-- Dump completed on 2026-01-01 00:00:00\n"
			_, err := Restore(context.Background(), tg.db, tg.Name, strings.NewReader(text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Restore: %v\nwant an error with %q", err, c.want)
			}
			if d := describe(t, tg.db, tg.Name); len(d.Tables) != 0 {
				t.Errorf("the target holds %v after the refusal", d.Tables)
			}
		})
	}
}
