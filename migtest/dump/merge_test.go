package dump

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeTables: a MERGE table's rows are its underlying tables' rows,
// so a backup writes none for it (as mariadb-dump), and writes it after
// them. Both INSERT_METHOD=LAST (rows would come back twice) and none (the
// table is read only: the INSERT would fail), each through Backup → stock
// client, Backup → Restore and mariadb-dump → Restore, against the source.
func TestMergeTables(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"INSERT_METHOD=LAST", ""} {
		t.Run("method="+method, func(t *testing.T) {
			t.Parallel()
			src := newTarget(t)
			for _, q := range []string{
				// named so that the MERGE table sorts before its parts
				"CREATE TABLE m_part1 (id INT NOT NULL, v VARCHAR(10), KEY (id)) ENGINE=MyISAM",
				"CREATE TABLE m_part2 (id INT NOT NULL, v VARCHAR(10), KEY (id)) ENGINE=MyISAM",
				"CREATE TABLE a_all (id INT NOT NULL, v VARCHAR(10), KEY (id)) ENGINE=MERGE UNION=(m_part1, m_part2) " + method,
				"INSERT INTO m_part1 VALUES (1, 'a'), (2, 'b')",
				"INSERT INTO m_part2 VALUES (3, 'c')",
				"CREATE VIEW v_all AS SELECT COUNT(*) AS n FROM a_all",
			} {
				if _, err := src.db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			p := filepath.Join(t.TempDir(), "b.sql.gz")
			m, err := Backup(context.Background(), src.db, src.Name, p)
			if err != nil {
				t.Fatal(err)
			}
			text := string(gunzip(t, p))
			if strings.Contains(text, "INSERT INTO `a_all`") {
				t.Error("the backup writes rows for the MERGE table")
			}
			if i, j := strings.Index(text, "CREATE TABLE `a_all`"), strings.Index(text, "CREATE TABLE `m_part2`"); i < j {
				t.Errorf("the MERGE table is created before its underlying tables (at %d, m_part2 at %d)", i, j)
			}
			for _, ti := range m.Tables {
				if ti.Name == "a_all" && (ti.NoData != "MRG_MyISAM" || ti.Rows != 0) {
					t.Errorf("manifest: %+v, want no_data MRG_MyISAM and 0 rows", ti)
				}
			}
			t.Run("backup to stock client", func(t *testing.T) {
				got := newTarget(t)
				tool(t, strings.NewReader(text), "mariadb", got.Name)
				sameDatabase(t, src.db, src.Name, got.Name)
			})
			t.Run("backup to Restore", func(t *testing.T) {
				got := newTarget(t)
				restoreFile(t, got, p)
				sameDatabase(t, src.db, src.Name, got.Name)
			})
			t.Run("stock dump to Restore", func(t *testing.T) {
				got := newTarget(t)
				out := tool(t, nil, "mariadb-dump", src.Name)
				restoreFile(t, got, writeFile(t, "d.sql", out))
				sameDatabase(t, src.db, src.Name, got.Name)
			})
			t.Run("old backup with the MERGE table's rows to Restore", func(t *testing.T) {
				// as migtest wrote them before: rows under the MERGE table too
				old := strings.Replace(text, "/*!40000 ALTER TABLE `m_part2` DISABLE KEYS */;",
					"INSERT INTO `a_all` (`id`,`v`) VALUES (1,'a'),(2,'b'),(3,'c');\n/*!40000 ALTER TABLE `m_part2` DISABLE KEYS */;", 1)
				got := newTarget(t)
				restoreFile(t, got, writeFile(t, "old.sql", []byte(old)))
				sameDatabase(t, src.db, src.Name, got.Name)
			})
		})
	}
}

// TestDropOtherDatabaseWarns: a DROP DATABASE of another database in a
// dump never runs; it is said once at WARN, naming the statement.
func TestDropOtherDatabaseWarns(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	var logs strings.Builder
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	text := "DROP DATABASE IF EXISTS mysql;\nCREATE TABLE t (id INT);\nDROP DATABASE mysql;\nINSERT INTO t VALUES (1);\n"
	if _, err := Restore(context.Background(), tg.db, tg.Name, strings.NewReader(text), WithRestoreLogger(lg)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "DROP DATABASE IF EXISTS mysql") || !strings.Contains(logs.String(), "statement=1") {
		t.Errorf("want one WARN naming statement 1, got:\n%s", logs.String())
	}
	var n int
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'mysql'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("mysql database: %d, %v", n, err)
	}
}
