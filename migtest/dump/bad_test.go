package dump

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// restoreBytes runs Restore on b into tg and returns the error.
func restoreBytes(t *testing.T, tg target, b []byte, opts ...RestoreOption) (Stats, error) {
	t.Helper()
	return Restore(context.Background(), tg.db, tg.Name, bytes.NewReader(b), opts...)
}

// objectCount is the number of tables, views, routines, triggers and
// events in tg.
func objectCount(t *testing.T, tg target) int {
	t.Helper()
	conn, err := tg.db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	objs, err := listObjects(context.Background(), conn, tg.Name)
	if err != nil {
		t.Fatal(err)
	}
	return len(objs)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	return mustRead(t, writeFile(t, "x.gz", b))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRestoreBadInput(t *testing.T) {
	t.Parallel()
	script := "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10), KEY k (v));\nINSERT INTO a VALUES (1,'x'),(2,'y');\n" +
		"CREATE TABLE b (id INT AUTO_INCREMENT PRIMARY KEY);\nCREATE VIEW va AS SELECT * FROM a;\n" +
		"DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\n"
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(rng.IntN(256))
	}
	noise[0] = 0x89
	dumpGz := gz(t, []byte(script+strings.Repeat("INSERT INTO b VALUES (NULL);\n", 20000)))
	tests := []struct {
		name  string
		in    []byte
		check func(t *testing.T, err error)
	}{
		{"empty", nil, errIs(ErrEmpty)},
		{"empty gzip", gz(t, nil), errIs(ErrEmpty)},
		{"only comments", []byte("-- nothing here\n/* at all */\n"), errIs(ErrEmpty)},
		{"not gzip", noise, errIs(ErrNotSQL)},
		{"broken gzip header", append([]byte{0x1f, 0x8b, 0x08, 0xff}, noise[:100]...), errIs(ErrNotSQL)},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0, 1, 2}, errIs(ErrNotSQL)},
		{"truncated gzip", dumpGz[:len(dumpGz)*2/3], errContains("truncated")},
		{"truncated inside a string", []byte(script + "INSERT INTO a VALUES (3,'abc"), func(t *testing.T, err error) {
			var se *StatementError
			if !errors.As(err, &se) || se.Line != 8 || se.Number != 6 || !strings.Contains(err.Error(), "truncated") {
				t.Fatalf("err = %v, want a truncation in statement 6 at line 8", err)
			}
		}},
		{"syntax error at a known line", []byte(script + "\n\nINSERT INTO a VALUES (3,'z');\nINSERT INTO a VALUS (4,'w');\nINSERT INTO a VALUES (5,'v');\n"), func(t *testing.T, err error) {
			var se *StatementError
			var me *mysql.MySQLError
			if !errors.As(err, &se) || se.Line != 11 || se.Number != 7 || !strings.HasPrefix(se.Excerpt, "INSERT INTO a VALUS (4") || !errors.As(err, &me) || me.Number != 1064 {
				t.Fatalf("err = %v, want statement 7 at line 11, a syntax error (1064)", err)
			}
			if !strings.Contains(err.Error(), "dropped what it had created (2 tables, 1 view, 1 procedure)") {
				t.Fatalf("err = %v, want it to say what it dropped", err)
			}
		}},
		{"duplicate key in parallel data", []byte(script + strings.Repeat("INSERT INTO b VALUES (7);\n", 2)), func(t *testing.T, err error) {
			var me *mysql.MySQLError
			if !errors.As(err, &me) || me.Number != 1062 || !strings.Contains(err.Error(), "statement 7 at line 9") {
				t.Fatalf("err = %v, want a duplicate key in statement 7 at line 9", err)
			}
		}},
		{"lost connection", []byte(script + "KILL CONNECTION CONNECTION_ID();\n"), errContains("statement 6 at line 8")},
		{"second database", []byte("CREATE DATABASE src;\nUSE src;\n" + script + "USE other;\nCREATE TABLE c (id INT);\n"), errContains("second database `other`")},
		{"qualified other database", []byte("USE src;\n" + script + "INSERT INTO other.t VALUES (1);\n"), errContains("names the database `other`")},
		{"mariadb-dump without its last line", []byte("-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n" + script), errContains("truncated")},
		{"rollback in parallel", []byte(script + "START TRANSACTION;\nINSERT INTO b VALUES (9);\nROLLBACK;\n"), errContains("WithParallel(1)")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t)
			_, err := restoreBytes(t, tg, tc.in)
			if err == nil {
				t.Fatal("restore succeeded")
			}
			tc.check(t, err)
			if n := objectCount(t, tg); n != 0 {
				t.Errorf("the failed restore left %d objects in the target: %v", n, err)
			}
		})
	}
}

func errIs(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("err = %v, want %v", err, target)
		}
	}
}

func errContains(s string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("err = %v, want it to contain %q", err, s)
		}
	}
}

// TestRestoreStaysInTarget restores a dump that names its own database and
// another one into a target, and checks the other database is untouched.
func TestRestoreStaysInTarget(t *testing.T) {
	t.Parallel()
	other := newTarget(t)
	if _, err := other.db.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t)
	src := "DROP DATABASE IF EXISTS `srcdb`;\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `srcdb` /*!40100 DEFAULT CHARACTER SET latin1 */;\nUSE `srcdb`;\n" +
		"CREATE TABLE `srcdb`.`t` (id INT PRIMARY KEY, v VARCHAR(10));\nINSERT INTO srcdb.t VALUES (1, 'a');\nCREATE VIEW v AS SELECT srcdb.t.id, `srcdb`.t.v FROM `srcdb`.`t`;\n"
	if _, err := restoreBytes(t, tg, []byte(src)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM v").Scan(&n); err != nil || n != 1 {
		t.Fatalf("view in target: %d rows, %v", n, err)
	}
	var cs string
	if err := tg.db.QueryRow("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", tg.Name).Scan(&cs); err != nil || cs != "latin1" {
		t.Fatalf("target charset %q (%v), want latin1 from the dump's CREATE DATABASE", cs, err)
	}
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'srcdb'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the restore created database srcdb: %d, %v", n, err)
	}
	// A dump of another database that the target happens to be: its USE of
	// a second database is refused before anything touches it.
	bad := "USE `" + tg.Name + "`;\nCREATE TABLE x (id INT);\nUSE `" + other.Name + "`;\nDROP TABLE t;\n"
	if _, err := restoreBytes(t, newTarget(t), []byte(bad)); err == nil || !strings.Contains(err.Error(), "second database") {
		t.Fatalf("err = %v, want a refusal of the second database", err)
	}
	if err := other.db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil {
		t.Fatalf("the other database lost its table: %v", err)
	}
}

func TestRestoreProgress(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(100));\n")
	for i := range 2000 {
		b.WriteString("INSERT INTO a VALUES ")
		for j := range 50 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(" + itoa(i*50+j) + ",'" + strings.Repeat("x", 60) + "')")
		}
		b.WriteString(";\n")
	}
	p := writeFile(t, "p.sql.gz", []byte(b.String()))
	size := int64(len(mustRead(t, p)))
	// Rows count on every path: LOAD DATA, INSERTs on the loading
	// connections, and the one connection of WithParallel(1).
	for _, tc := range []struct {
		name string
		opts []RestoreOption
	}{
		{"default", nil},
		{"INSERTs", []RestoreOption{WithLoadData(false)}},
		{"one connection", []RestoreOption{WithParallel(1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t)
			var last Progress
			calls := 0
			st := restoreFile(t, tg, p, append(tc.opts, WithRestoreProgress(func(p Progress) { last = p; calls++ }))...)
			if calls == 0 || last.Bytes != size || last.TotalBytes != size || last.Rows != 100000 || last.Statements != 2001 {
				t.Fatalf("last progress %+v after %d calls; want bytes = total = %d, 100000 rows, 2001 statements", last, calls, size)
			}
			if st.Rows != 100000 || st.Statements != 2001 || st.Tables != 1 || st.Bytes != size {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// TestBackupOutputErrors covers where a backup cannot be written: a missing
// directory, a read-only one and a full disk. Nothing is left behind.
func TestBackupOutputErrors(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	createEdgeDB(t, src)
	ctx := context.Background()
	t.Run("missing directory", func(t *testing.T) {
		_, err := Backup(ctx, src.db, src.Name, filepath.Join(t.TempDir(), "nope", "b.sql.gz"))
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "writable directory") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not .gz", func(t *testing.T) {
		if _, err := Backup(ctx, src.db, src.Name, filepath.Join(t.TempDir(), "b.sql")); err == nil {
			t.Fatal("backup to a .sql name succeeded")
		}
	})
	t.Run("missing database", func(t *testing.T) {
		if _, err := Backup(ctx, src.db, "no_such_db_here", filepath.Join(t.TempDir(), "b.sql.gz")); err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		dir := tmpfs(t, "ro,size=64k")
		_, err := Backup(ctx, src.db, src.Name, filepath.Join(dir, "b.sql.gz"))
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("err = %v, want a read-only file system error", err)
		}
	})
	t.Run("a failed backup keeps the earlier one", func(t *testing.T) {
		// The files archive cannot be written (a directory holds its
		// name) after the dump has been: the earlier backup at the same
		// path, and its manifest, stay as they were.
		dir := t.TempDir()
		p := filepath.Join(dir, "b.sql.gz")
		if _, err := Backup(ctx, src.db, src.Name, p); err != nil {
			t.Fatal(err)
		}
		before := dirFiles(t, dir)
		if err := os.Mkdir(filesPath(p), 0o700); err != nil {
			t.Fatal(err)
		}
		files := t.TempDir()
		if err := os.WriteFile(filepath.Join(files, "logo.png"), []byte("png"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Backup(ctx, src.db, src.Name, p, WithFiles(files))
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("err = %v, want the files archive's name taken by a directory", err)
		}
		if after := dirFiles(t, dir); !maps.Equal(before, after) {
			t.Errorf("files after the failed backup: %v, want the earlier backup's: %v", after, before)
		}
		if _, err := Verify(ctx, p); err != nil {
			t.Errorf("the earlier backup no longer verifies: %v", err)
		}
	})
	t.Run("full disk", func(t *testing.T) {
		dir := tmpfs(t, "size=256k")
		p := filepath.Join(dir, "b.sql.gz")
		_, err := Backup(ctx, src.db, src.Name, p)
		if err == nil || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("err = %v, want no space left on device", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("the failed backup left %d files: %v", len(left), left[0].Name())
		}
	})
}

// tmpfs mounts a small tmpfs with opts for the test, or skips it when
// this process may not mount (not root, or no CAP_SYS_ADMIN).
func tmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root; a full or read-only disk cannot be made otherwise without a loop device")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): the disk-full case needs CAP_SYS_ADMIN", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

func TestBackupManifestAndFiles(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	createEdgeDB(t, src)
	files := t.TempDir()
	os.MkdirAll(filepath.Join(files, "public", "files"), 0o755)
	os.WriteFile(filepath.Join(files, "public", "files", "logo.png"), bytes.Repeat([]byte{0x89, 'P'}, 5000), 0o644)
	os.WriteFile(filepath.Join(files, "site_config.json"), []byte(`{"db_password": "secret"}`), 0o600)
	os.Symlink("public/files/logo.png", filepath.Join(files, "link"))
	dir := t.TempDir()
	p := filepath.Join(dir, "site.sql.gz")
	var last Progress
	m, err := Backup(context.Background(), src.db, src.Name, p, WithFiles(files), WithToolVersion("v9.9.9"), WithBackupProgress(func(p Progress) { last = p }))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p, ManifestPath(p), filepath.Join(dir, "site-files.tar.gz")} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want 0600", f, err, st.Mode())
		}
	}
	if m.Files == nil || m.Files.Entries != 5 || m.Files.File != "site-files.tar.gz" {
		t.Fatalf("files: %+v", m.Files)
	}
	if last.Bytes == 0 || last.Rows == 0 {
		t.Fatalf("progress %+v", last)
	}
	read, err := ReadManifest(p)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(read)
	for _, w := range []string{`"tool_version":"v9.9.9"`, `"database":"` + src.Name + `"`, `"name":"big","rows":1`, `"views":["v_base","v on v","v_top","a_view_first","v_func"]`, `"consistency":"consistent snapshot on`} {
		if !strings.Contains(string(j), w) {
			t.Errorf("manifest lacks %s: %s", w, j)
		}
	}
	cfg, _ := dsn.Parse(src.DSN)
	if cfg.Passwd != "" && strings.Contains(string(mustRead(t, ManifestPath(p))), cfg.Passwd) {
		t.Fatal("the manifest holds the password")
	}
	if _, err := Verify(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	createEdgeDB(t, src)
	dir := t.TempDir()
	p := filepath.Join(dir, "b.sql.gz")
	if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
		t.Fatal(err)
	}
	good := mustRead(t, p)
	manifest := mustRead(t, ManifestPath(p))
	ctx := context.Background()
	cases := []struct {
		name     string
		data     []byte
		manifest []byte
		want     func(*testing.T, error)
	}{
		{"sound", good, manifest, func(t *testing.T, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated", good[:len(good)/2], manifest, errContains("truncated")},
		{"corrupt byte", flip(good, len(good)/2), manifest, func(t *testing.T, err error) {
			if err == nil {
				t.Fatal("verify passed a corrupt file")
			}
		}},
		{"not gzip", []byte("SELECT 1;\n"), manifest, errIs(ErrNotSQL)},
		{"empty", nil, manifest, errIs(ErrEmpty)},
		{"no trailer", gz(t, []byte("SELECT 1;\n")), manifest, errIs(ErrIncomplete)},
		{"sha256 differs", good, bytes.Replace(manifest, []byte(`"sha256": "`), []byte(`"sha256": "00`), 1), errIs(ErrMismatch)},
		{"no manifest", good, nil, errIs(fs.ErrNotExist)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := t.TempDir()
			f := filepath.Join(d, "b.sql.gz")
			os.WriteFile(f, tc.data, 0o600)
			if tc.manifest != nil {
				os.WriteFile(ManifestPath(f), tc.manifest, 0o600)
			}
			_, err := Verify(ctx, f)
			tc.want(t, err)
		})
	}
	if _, err := Verify(ctx, filepath.Join(dir, "missing.sql.gz")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

// TestBackupWithoutReload takes a backup as a user without the RELOAD
// privilege: it falls back to one connection in one transaction.
func TestBackupWithoutReload(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	createEdgeDB(t, src)
	user := "bk_" + src.Name[len(src.Name)-8:]
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'pw-Secret-1'",
		"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `" + src.Name + "`.* TO '" + user + "'@'%'",
		"GRANT SELECT ON mysql.proc TO '" + user + "'@'%'",
	} {
		if _, err := src.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { src.db.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	cfg, err := dsn.Parse(src.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, "pw-Secret-1"
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := filepath.Join(t.TempDir(), "b.sql.gz")
	m, err := Backup(context.Background(), db, src.Name, p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Consistency, "single transaction") {
		t.Fatalf("consistency %q, want the single-transaction fallback", m.Consistency)
	}
	if strings.Contains(string(mustRead(t, ManifestPath(p))), "pw-Secret-1") {
		t.Fatal("the manifest holds the password")
	}
	got := newTarget(t)
	restoreFile(t, got, p)
	sameDatabase(t, src.db, src.Name, got.Name)
	_ = servertest.Required
}
