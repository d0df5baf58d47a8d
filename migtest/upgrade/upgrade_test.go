package upgrade

import (
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
)

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func writeDump(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	var w interface {
		Write([]byte) (int, error)
		Close() error
	} = f
	if strings.HasSuffix(name, ".gz") {
		w = gzip.NewWriter(f)
	}
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w != f {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestCheck reads dumps with features newer than some servers, as
// mariadb-dump writes them, against each server version of the matrix.
func TestCheck(t *testing.T) {
	t.Parallel()
	const header = "-- MariaDB dump 10.19  Distrib 11.8.9-MariaDB\n/*!40101 SET NAMES utf8mb4 */;\n"
	uca := writeDump(t, "uca.sql.gz", header+"CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `v` varchar(10) DEFAULT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci;\n"+
		"INSERT INTO `t` VALUES (1,'utf8mb4_uca1400_ai_ci in data, not schema');\n")
	vector := writeDump(t, "vector.sql", header+"CREATE TABLE `emb` (\n  `id` int(11) NOT NULL,\n  `e` vector(3) NOT NULL\n) ENGINE=InnoDB;\n")
	uuid := writeDump(t, "uuid.sql", header+"CREATE TABLE `u` (\n  `id` uuid NOT NULL DEFAULT uuid(),\n  `ip` inet4 DEFAULT NULL\n) ENGINE=InnoDB;\n")
	seq := writeDump(t, "seq.sql", header+"CREATE SEQUENCE `s` start with 1 minvalue 1 maxvalue 9223372036854775806 increment by 1 cache 1000 nocycle ENGINE=InnoDB;\n")
	dataOnly := writeDump(t, "data.sql", header+"INSERT INTO `t` VALUES (1,'`e` vector(3)'),(2,'CREATE SEQUENCE s');\n")
	for _, c := range []struct {
		dump, version, want string // want: "" for no error, else a part of it
	}{
		{uca, "10.5.23-MariaDB", "line 6 uses a utf8mb4_uca1400 collation (utf8mb4_uca1400_ai_ci), which MariaDB 10.5.23 does not have: convert those tables first"},
		{uca, "10.11.19-MariaDB", ""},
		{uca, "9.7.4", "which MySQL 9.7.4 does not have"},
		{vector, "10.11.19-MariaDB", "line 5 uses the VECTOR type (`e` vector(), which MariaDB 10.11.19 does not have"},
		{vector, "11.8.9-MariaDB", ""},
		{vector, "9.7.4", ""},
		{uuid, "10.5.23-MariaDB", "uses the UUID type"},
		{uuid, "10.7.0-MariaDB", "uses the INET4 type"},
		{uuid, "10.11.19-MariaDB", ""},
		{seq, "9.7.4", "uses a SEQUENCE"},
		{seq, "10.5.23-MariaDB", ""},
		{dataOnly, "5.7.44", ""},
	} {
		err := Check(c.dump, c.version)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("Check(%s, %s) = %v, want nil", filepath.Base(c.dump), c.version, err)
		case c.want != "" && (err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
			t.Errorf("Check(%s, %s) = %v, want one line with %q", filepath.Base(c.dump), c.version, err, c.want)
		}
	}
	if err := Check(filepath.Join(t.TempDir(), "missing.sql"), "10.11.19-MariaDB"); err == nil || !strings.Contains(err.Error(), "missing.sql") {
		t.Errorf("Check of a missing file = %v", err)
	}
}

// matrixImages are the images .ci/matrix runs on (MIGTEST_MATRIX_IMAGES).
// The cross-version tests start servers of their own, so they run there
// only, and fail when an image they need is not in the list.
func matrixImages(t *testing.T, need ...string) {
	t.Helper()
	list := os.Getenv("MIGTEST_MATRIX_IMAGES")
	if list == "" {
		t.Skip("cross-version round trips run in .ci/matrix (MIGTEST_MATRIX_IMAGES names the images)")
	}
	for _, n := range need {
		if !strings.Contains(" "+list+" ", " "+n+" ") {
			t.Fatalf("the cross-version round trip needs image %s; MIGTEST_MATRIX_IMAGES=%s", n, list)
		}
	}
}

func start(t *testing.T, image string) server.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, server.WithProvider(server.ProviderDocker), server.WithImage(image))
	if err != nil {
		t.Fatalf("start %s: %v", image, err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// sakila restores the Sakila sample database (../shared/data/sakila beside
// the module) into a fresh database on srv.
func sakila(t *testing.T, srv server.Server) *server.Database {
	t.Helper()
	root, err := fixture.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(filepath.Dir(root), "shared", "data", "sakila")
	ctx := context.Background()
	d, err := srv.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"sakila-schema.sql", "sakila-data.sql.gz"} {
		f, err := os.Open(filepath.Join(base, name))
		if err != nil {
			t.Fatalf("the Sakila sample database (the shared test data beside the module): %v", err)
		}
		_, err = dump.Restore(ctx, db, d.Name, f)
		f.Close()
		if err != nil {
			t.Fatalf("restore %s on %s: %v", name, srv.Version(), err)
		}
	}
	return d
}

func backup(t *testing.T, d *server.Database) string {
	t.Helper()
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := filepath.Join(t.TempDir(), "backup.sql.gz")
	if _, err := dump.Backup(context.Background(), db, d.Name, out); err != nil {
		t.Fatalf("backup of %s: %v", d.Name, err)
	}
	return out
}

// TestUpgrade105To118 backs Sakila up on MariaDB 10.5 and restores it on
// 11.8: every row arrives, and what the version change changed in the
// schema is reported (and is what README's support table says).
func TestUpgrade105To118(t *testing.T) {
	matrixImages(t, "migtest/mariadb:10.5", "migtest/mariadb:11.8")
	old, nu := start(t, "migtest/mariadb:10.5"), start(t, "migtest/mariadb:11.8")
	file := backup(t, sakila(t, old))
	rep, err := Compare(context.Background(), file, old, nu)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	t.Logf("\n%s", rep)
	for _, c := range rep.Schema.Changes {
		if c.Op == snapshot.RowsChanged {
			t.Errorf("rows differ after the upgrade: %s", c)
		}
	}
	// Known: none for Sakila's schema (its tables name their collation; the
	// snapshot format spells defaults and types one way on both); the
	// servers differ in explicit_defaults_for_timestamp (ON from 10.10).
	if !rep.Schema.Empty() {
		t.Errorf("the upgrade changed Sakila's schema:\n%s", rep.Schema)
	}
	if want := "~ explicit_defaults_for_timestamp: 0 → 1"; len(rep.Notes) != 1 || rep.Notes[0] != want {
		t.Errorf("notes %q, want [%s]", rep.Notes, want)
	}
}

// TestDowngrade118To1011 backs up on MariaDB 11.8 a database with 11.8's
// default collation (uca1400) and a VECTOR column: 10.11 holds uca1400, so
// without the VECTOR table it restores; with it, Compare fails at once
// with one line naming the column's type and the fix, before any restore.
func TestDowngrade118To1011(t *testing.T) {
	matrixImages(t, "migtest/mariadb:11.8", "migtest/mariadb:10.11", "migtest/mariadb:10.5")
	nu, old, older := start(t, "migtest/mariadb:11.8"), start(t, "migtest/mariadb:10.11"), start(t, "migtest/mariadb:10.5")
	ctx := context.Background()
	d, err := nu.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec(t, db,
		"CREATE TABLE note (id int PRIMARY KEY, body varchar(100)) DEFAULT CHARSET=utf8mb4", // 11.x: COLLATE utf8mb4_uca1400_ai_ci
		"INSERT INTO note VALUES (1, 'ça va'), (2, 'Straße')",
		"CREATE TABLE host (id uuid PRIMARY KEY DEFAULT uuid(), ip inet4, ip6 inet6)",
		"INSERT INTO host (ip, ip6) VALUES ('10.0.0.1', '::1')")
	file := backup(t, d)
	rep, err := Compare(ctx, file, nu, old)
	if err != nil {
		t.Fatalf("11.8 → 10.11 without VECTOR: %v", err)
	}
	t.Logf("\n%s", rep)
	for _, c := range rep.Schema.Changes {
		if c.Op == snapshot.RowsChanged {
			t.Errorf("rows differ after the downgrade: %s", c)
		}
	}
	// 10.5 has neither UUID/INET4 (table host, dumped first) nor uca1400:
	// one line, before any restore.
	_, err = Compare(ctx, file, nu, older)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "uses the UUID type (`id` uuid), which MariaDB 10.5") || strings.Contains(err.Error(), "\n") {
		t.Errorf("11.8 → 10.5: %v, want one line naming the UUID column", err)
	}
	exec(t, db, "DROP TABLE host")
	_, err = Compare(ctx, backup(t, d), nu, older)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "utf8mb4_uca1400_ai_ci") || strings.Contains(err.Error(), "\n") {
		t.Errorf("11.8 → 10.5 without UUID: %v, want one line naming the uca1400 collation", err)
	}

	exec(t, db, "CREATE TABLE emb (id int PRIMARY KEY, e vector(3) NOT NULL)", "INSERT INTO emb VALUES (1, VEC_FromText('[1,2,3]'))")
	file = backup(t, d)
	_, err = Compare(ctx, file, nu, old)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "VECTOR type") || !strings.Contains(err.Error(), "MariaDB 10.11") || strings.Contains(err.Error(), "\n") {
		t.Errorf("11.8 → 10.11 with a VECTOR column: %v, want one line naming the VECTOR type and 10.11", err)
	}
}
