package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// The bad-input tests give the binary each kind of wrong input of issue 8
// and check the contract: a non-zero exit, one clear error line, and
// nothing changed or lost — the database's tables and CHECKSUM TABLE values
// and its patch log are as before, and no file appears under a final name.
// TestExitCodes (main_test.go) covers unknown commands and flags, no
// database, an invalid DSN, a wrong password, --no-backup with
// --backup-dir, a missing fixture and a site config without db_password.

// dbState is what "nothing changed" compares: tables, checksums and the
// patch log of a database. An up creates its (empty) log tables before it
// backs up, so their existence is not compared, only the patch log's rows.
func dbState(t *testing.T, db *sql.DB, database string) string {
	t.Helper()
	var b strings.Builder
	var tables []string
	for _, n := range tableNames(t, db, database) {
		if !strings.HasPrefix(n, "migtest_") { // the tool's own log tables: their rows are compared below
			tables = append(tables, n)
		}
	}
	fmt.Fprintln(&b, tables)
	fmt.Fprintln(&b, checksums(t, db, database))
	if strings.Contains(fmt.Sprint(tableNames(t, db, database)), "migtest_patch_log") {
		rows, err := db.Query("SELECT id, status, attempts FROM `" + database + "`.migtest_patch_log ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, st string
			var n int
			if err := rows.Scan(&id, &st, &n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, id, st, n)
		}
	}
	return b.String()
}

// gz returns data gzip-compressed.
func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// badCase is one bad input: the command, the exit code and what its error
// line must say.
type badCase struct {
	name string
	env  []string
	args []string
	code int
	want []string
}

// runBad runs the cases against one database and checks that none of them
// changed it.
func runBad(t *testing.T, bin, dir string, env []string, db *sql.DB, database string, cases []badCase) {
	t.Helper()
	before := dbState(t, db, database)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runBin(t, bin, dir, append(append([]string{}, env...), tc.env...), tc.args...)
			r.mustFailClearly(t, tc.code, tc.want...)
			if after := dbState(t, db, database); after != before {
				t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestBadDumps restores each kind of bad dump, into an empty database
// (which stays empty) and with --force over a populated one (which keeps
// its contents when the file can be told bad before anything is dropped).
func TestBadDumps(t *testing.T) {
	full, fullDB := servertest.NewDatabase(t)
	empty, emptyDB := servertest.NewDatabase(t)
	dir := t.TempDir()
	runBin(t, binary, dir, []string{"MIGRATE_DSN=" + full.DSN}, "restore", "--file", fixturePath(t)).must(t, 0)

	fixture, err := os.ReadFile(fixturePath(t))
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.UintN(256))
	}
	noise[0] = 0x8b // never gzip magic by chance
	files := map[string][]byte{
		"notgzip.sql.gz":   noise,
		"truncated.sql.gz": fixture[:len(fixture)/2],
		"empty.sql":        nil,
		"empty.sql.gz":     gz(t, nil),
		"blank.sql":        []byte("\n  \n\t\n"),
		"syntax.sql":       []byte("CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2;\nCREATE TABLE b (id int);\n"),
		"twodbs.sql":       []byte("CREATE TABLE t (id int);\nINSERT INTO `one`.t VALUES (1);\nINSERT INTO `two`.t VALUES (1);\n"),
		"zip.sql.gz":       []byte("PK\x03\x04 not really a zip"),
	}
	for name, data := range files {
		writeFile(t, dir, name, string(data))
	}

	restoreCases := []badCase{
		{"not gzip", nil, []string{"restore", "--file", "notgzip.sql.gz"}, 1, []string{"neither gzip nor SQL"}},
		{"truncated gzip", nil, []string{"restore", "--file", "truncated.sql.gz"}, 1, []string{"truncated"}},
		{"empty dump", nil, []string{"restore", "--file", "empty.sql"}, 1, []string{"empty"}},
		{"empty gzip", nil, []string{"restore", "--file", "empty.sql.gz"}, 1, []string{"nothing"}},
		{"blank dump", nil, []string{"restore", "--file", "blank.sql"}, 1, []string{"nothing"}},
		{"syntax error at line 3", nil, []string{"restore", "--file", "syntax.sql"}, 1, []string{"line 3", "syntax"}},
		{"dump naming two databases", nil, []string{"restore", "--file", "twodbs.sql"}, 1, []string{"`two`"}},
		{"zip archive", nil, []string{"restore", "--file", "zip.sql.gz"}, 1, []string{"zip"}},
		{"missing dump", nil, []string{"restore", "--file", "nope.sql.gz"}, 2, []string{"cannot read the dump"}},
	}
	t.Run("into_empty", func(t *testing.T) {
		runBad(t, binary, dir, []string{"MIGRATE_DSN=" + empty.DSN}, emptyDB, empty.Name, restoreCases)
	})
	// With --force the file is read through before anything is dropped:
	// only input that fails on the server (an SQL error) can get past that.
	var forced []badCase
	for _, tc := range restoreCases[:5] {
		tc.args = append(append([]string{}, tc.args...), "--force")
		tc.want = append(tc.want, "nothing was changed")
		forced = append(forced, tc)
	}
	t.Run("force_over_populated", func(t *testing.T) {
		runBad(t, binary, dir, []string{"MIGRATE_DSN=" + full.DSN}, fullDB, full.Name, forced)
	})
	// A dump that fails on the server halfway, forced over a populated
	// database: the old contents are put back from the safety backup.
	half := string(gunzipBytes(t, fixture))
	cut := strings.Index(half[len(half)/2:], ");\n") + len(half)/2 + 3 // after a statement
	if cut < len(half)/2+3 {
		t.Fatal("no statement ends in the second half of the fixture")
	}
	writeFile(t, dir, "halfbad.sql", half[:cut]+"INSERT INTO nowhere VALUES (2;\n"+half[cut:])
	t.Run("force_with_sql_error_puts_the_old_back", func(t *testing.T) {
		d, db := servertest.NewDatabase(t)
		env := []string{"MIGRATE_DSN=" + d.DSN}
		runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
		before := dbState(t, db, d.Name)
		r := runBin(t, binary, dir, env, "restore", "--file", "halfbad.sql", "--force", "--backup-dir", t.TempDir())
		r.mustFailClearly(t, 1, "syntax", "holds its previous contents again", "put back from the safety backup")
		if after := dbState(t, db, d.Name); after != before {
			t.Errorf("the database differs from before the failed forced restore:\nbefore %s\nafter  %s", before, after)
		}
	})
	t.Run("force_without_safety_backup_says_emptied", func(t *testing.T) {
		d, db := servertest.NewDatabase(t)
		env := []string{"MIGRATE_DSN=" + d.DSN}
		runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
		r := runBin(t, binary, dir, env, "restore", "--file", "syntax.sql", "--force", "--no-safety-backup")
		r.mustFailClearly(t, 1, "line 3", "--force had emptied", "restore a good backup")
		if n := len(tableNames(t, db, d.Name)); n != 0 {
			t.Errorf("%d tables left after the failed forced restore: a target that may look complete", n)
		}
	})
	// A dump of another database (CREATE DATABASE / USE other) is loaded
	// into the target: that is what restore is for; "other" is not created.
	t.Run("dump_for_another_database", func(t *testing.T) {
		d, db := servertest.NewDatabase(t)
		other := "other_" + d.Name
		writeFile(t, dir, "other.sql", "CREATE DATABASE IF NOT EXISTS `"+other+"`;\nUSE `"+other+"`;\nCREATE TABLE t (id int);\nINSERT INTO `"+other+"`.t VALUES (1);\n")
		runBin(t, binary, dir, []string{"MIGRATE_DSN=" + d.DSN}, "restore", "--file", "other.sql").must(t, 0)
		if n := queryInt(t, db, "SELECT COUNT(*) FROM `"+d.Name+"`.t"); n != 1 {
			t.Errorf("target has %d rows in t, want 1", n)
		}
		if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", other); n != 0 {
			t.Errorf("the restore created database %s", other)
		}
	})
}

// gunzipBytes returns data decompressed.
func gunzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStatementLargerThanMaxAllowedPacket restores a dump with a 3 MB
// statement into a server whose max_allowed_packet is 1 MB.
func TestStatementLargerThanMaxAllowedPacket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private server: not in -short")
	}
	ps := startPrivateServer(t)
	admin, err := sql.Open("mysql", ps.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("SET GLOBAL max_allowed_packet = 1048576"); err != nil {
		t.Fatal(err)
	}
	d, err := ps.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	writeFile(t, dir, "big.sql", "CREATE TABLE big (id int PRIMARY KEY, b longtext);\nINSERT INTO big VALUES (1, '"+strings.Repeat("x", 3<<20)+"');\n")
	runBad(t, binary, dir, []string{"MIGRATE_DSN=" + d.DSN}, db, d.Name, []badCase{
		{"3 MB statement, 1 MB max_allowed_packet", nil, []string{"restore", "--file", "big.sql"}, 1, []string{"line 2", "max_allowed_packet"}},
	})
}

// TestBadConnections: unknown host, closed port, missing database, wrong
// password through a site config, and invalid DSNs.
func TestBadConnections(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	cfg, err := dsn.Parse(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(cfg.Addr, ":")
	sc := writeFile(t, dir, "site_config.json", fmt.Sprintf(`{"db_name": %q, "db_user": "root", "db_password": "hunter2", "db_host": %q, "db_port": %s}`, d.Name, host, port))
	env := []string{"MIGRATE_DSN=" + d.DSN}
	runBad(t, binary, dir, env, db, d.Name, []badCase{
		{"unknown host", nil, []string{"status", "--dsn", "root:hunter2@tcp(no-such-host.invalid:3306)/x"}, 1, []string{"cannot reach the server", "no-such-host.invalid"}},
		{"closed port", nil, []string{"up", "--dsn", "root:hunter2@tcp(127.0.0.1:1)/x"}, 1, []string{"cannot reach the server", "127.0.0.1:1"}},
		{"database missing", nil, []string{"up", "--dsn", strings.Replace(d.DSN, "/"+d.Name, "/nosuch_"+d.Name, 1)}, 1, []string{"does not exist", "nosuch_" + d.Name}},
		{"wrong password in site config", []string{"MIGRATE_DSN="}, []string{"up", "--site-config", sc}, 1, []string{"access denied"}},
		{"URL with another scheme", nil, []string{"status", "--dsn", "postgres://u:hunter2@h/db"}, 2, []string{"not supported"}},
		{"DSN without a database", nil, []string{"status", "--dsn", "root:hunter2@tcp(127.0.0.1:3306)/"}, 2, []string{"names no database"}},
		{"URL with a bad port", nil, []string{"status", "--dsn", "mysql://u:hunter2@h:notaport/db"}, 2, []string{"invalid"}},
		{"site config not JSON", []string{"MIGRATE_DSN="}, []string{"status", "--site-config", writeFile(t, dir, "sc1.json", "{db_name: x")}, 2, []string{"not valid JSON"}},
		{"site config missing", []string{"MIGRATE_DSN="}, []string{"status", "--site-config", filepath.Join(dir, "nope.json")}, 2, []string{"cannot read"}},
		{"site config without db_name", []string{"MIGRATE_DSN="}, []string{"status", "--site-config", writeFile(t, dir, "sc2.json", `{"db_password": "hunter2"}`)}, 2, []string{"db_name"}},
		{"site config with a bad port", []string{"MIGRATE_DSN="}, []string{"status", "--site-config", writeFile(t, dir, "sc3.json", `{"db_name": "x", "db_password": "hunter2", "db_port": "33o6"}`)}, 2, []string{"db_port"}},
	})
}

// TestBadFlags: flags that contradict each other.
func TestBadFlags(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	sc := writeFile(t, dir, "sc.json", `{"db_name": "x", "db_password": "y"}`)
	runBad(t, binary, dir, env, db, d.Name, []badCase{
		{"--dsn and --site-config", nil, []string{"up", "--dsn", d.DSN, "--site-config", sc}, 2, []string{"dsn", "site-config"}},
		{"-v and -q", nil, []string{"up", "-v", "-q"}, 2, []string{"verbose", "quiet"}},
		{"backup --verify and --out", nil, []string{"backup", "--verify", "a.sql.gz", "--out", "b.sql.gz"}, 2, []string{"contradict"}},
		{"mark --done and --pending", nil, []string{"mark", "v1_0.add_custom_region", "--done", "--pending", "--reason", "x"}, 2, []string{"done", "pending"}},
		{"mark without a reason", nil, []string{"mark", "v1_0.add_custom_region", "--done"}, 2, []string{"--reason"}},
		{"up --only an unknown patch", nil, []string{"up", "--only", "v9.nope", "--no-backup"}, 1, []string{"v9.nope", "not in the patch set"}},
		{"--log-format yaml", nil, []string{"status", "--log-format", "yaml"}, 2, []string{"log-format"}},
		{"--log into a missing directory", nil, []string{"status", "--log", filepath.Join(dir, "no", "such", "dir", "x.log")}, 2, []string{"--log"}},
		{"backup without --out", nil, []string{"backup"}, 2, []string{"--out"}},
		{"backup to a name without .gz", nil, []string{"backup", "--out", "x.sql"}, 1, []string{".sql.gz"}},
	})
}

// TestBadGoldens: a missing or corrupt golden snapshot for rehearse, and
// a corrupt snapshot for verify and diff.
func TestBadGoldens(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	writeFile(t, dir, "corrupt.snap", "# migtest snapshot v1\n\ntable t rows=x\n  colum a int\n")
	writeFile(t, dir, "garbage.snap", "\x00\x01 not a snapshot\n")
	fx := fixturePath(t)
	runBad(t, binary, dir, env, db, d.Name, []badCase{
		{"rehearse, golden missing", nil, []string{"rehearse", "--fixture", fx, "--golden", "nope.snap"}, 2, []string{"nope.snap", "--update"}},
		{"rehearse, golden corrupt", nil, []string{"rehearse", "--fixture", fx, "--golden", "corrupt.snap"}, 1, []string{"corrupt.snap", "line 3"}},
		{"verify, snapshot corrupt", nil, []string{"verify", "--snapshot", "garbage.snap"}, 2, []string{"garbage.snap", "corrupt"}},
		{"verify, snapshot missing", nil, []string{"verify", "--snapshot", "nope.snap"}, 2, []string{"nope.snap"}},
		{"diff, snapshot corrupt", nil, []string{"diff", "corrupt.snap", d.DSN}, 2, []string{"corrupt.snap"}},
	})
}

// TestSelectOnlyUser runs up, backup and restore as a user that may only
// SELECT: up and restore fail naming the missing privilege and change
// nothing (up before its backup); a backup needs no more than SELECT.
func TestSelectOnlyUser(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	empty, emptyDB := servertest.NewDatabase(t)
	dir := t.TempDir()
	runBin(t, binary, dir, []string{"MIGRATE_DSN=" + d.DSN}, "restore", "--file", fixturePath(t)).must(t, 0)
	user := "ro_" + d.Name[len(d.Name)-8:]
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'r0-pass'",
		"GRANT SELECT ON `" + d.Name + "`.* TO '" + user + "'@'%'",
		"GRANT SELECT ON `" + empty.Name + "`.* TO '" + user + "'@'%'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	cfg, err := dsn.Parse(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, "r0-pass"
	roDSN := cfg.FormatDSN()
	cfg.DBName = empty.Name
	roEmpty := cfg.FormatDSN()

	runBad(t, binary, dir, []string{"MIGRATE_DSN=" + roDSN}, db, d.Name, []badCase{
		{"up", nil, []string{"up", "--backup-dir", "backups"}, 1, []string{"CREATE command denied", "privilege"}},
		{"up --no-backup", nil, []string{"up", "--no-backup"}, 1, []string{"CREATE command denied"}},
		{"mark", nil, []string{"mark", "v1_0.add_custom_region", "--done", "--reason", "x"}, 1, []string{"denied"}},
		{"rollback", nil, []string{"rollback", "--yes", "--backup", fixturePath(t)}, 1, []string{"denied"}},
	})
	if backups, _ := filepath.Glob(filepath.Join(dir, "backups", "*[0-9]Z.sql.gz")); len(backups) > 0 {
		for _, b := range backups {
			if !strings.Contains(b, "-before-rollback-") { // the rollback's safety backup is expected
				t.Errorf("up without privileges left a backup %s", b)
			}
		}
	}
	runBad(t, binary, dir, []string{"MIGRATE_DSN=" + roEmpty}, emptyDB, empty.Name, []badCase{
		{"restore", nil, []string{"restore", "--file", fixturePath(t)}, 1, []string{"denied"}},
	})
	t.Run("backup_needs_only_select", func(t *testing.T) {
		runBin(t, binary, dir, []string{"MIGRATE_DSN=" + roDSN}, "backup", "--out", "ro.sql.gz").must(t, 0)
		runBin(t, binary, dir, nil, "backup", "--verify", "ro.sql.gz").must(t, 0)
	})
}

// mountTmpfs mounts a tmpfs of size (with extra mount options) on a new
// directory, or skips the test saying why it cannot.
func mountTmpfs(t *testing.T, size string, opts ...string) string {
	t.Helper()
	dir := t.TempDir()
	o := strings.Join(append([]string{"size=" + size}, opts...), ",")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// TestBackupDirProblems: a backup directory that cannot be created or
// written, and a disk that fills up during the backup. up changes nothing
// (the backup comes first), and no file is left under its final name.
func TestBackupDirProblems(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	notADir := writeFile(t, dir, "plainfile", "x")
	cases := []badCase{
		{"backup dir under a file", nil, []string{"up", "--backup-dir", filepath.Join(notADir, "backups")}, 2, []string{"--backup-dir", "cannot create"}},
		{"backup --out under a file", nil, []string{"backup", "--out", filepath.Join(notADir, "x.sql.gz")}, 2, []string{"--out"}},
		{"report under a file", nil, []string{"up", "--no-backup", "--report", filepath.Join(notADir, "r.json")}, 2, []string{"--report"}},
	}
	ro := ""
	full := ""
	if os.Geteuid() == 0 {
		ro = mountTmpfs(t, "1m", "ro")
		full = mountTmpfs(t, "48k")
		cases = append(cases,
			badCase{"read-only backup dir", nil, []string{"up", "--backup-dir", ro}, 2, []string{"not writable", "read-only"}},
			badCase{"disk full during the up's backup", nil, []string{"up", "--backup-dir", full}, 1, []string{"no space left"}},
			badCase{"disk full during backup", nil, []string{"backup", "--out", filepath.Join(full, "site.sql.gz")}, 1, []string{"no space left"}},
		)
	} else {
		t.Log("not root: the read-only and full tmpfs cases are skipped (mount needs root)")
	}
	runBad(t, binary, dir, env, db, d.Name, cases)
	if full != "" {
		left, _ := os.ReadDir(full)
		for _, e := range left {
			t.Errorf("the failed backups left %s on the full disk", e.Name())
		}
	}
}

// TestBadPatchSets runs the fault patch sets: duplicate IDs, a patch that
// panics, returns an error or has an SQL syntax error, and a patch removed
// after it was applied.
func TestBadPatchSets(t *testing.T) {
	bin := faultBinary(t)
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)

	runBad(t, bin, dir, env, db, d.Name, []badCase{
		{"duplicate patch IDs, up", []string{"FAULT_SET=dup"}, []string{"up", "--no-backup"}, 1, []string{"v1_0.add_custom_region appears twice"}},
		{"duplicate patch IDs, status", []string{"FAULT_SET=dup"}, []string{"status"}, 1, []string{"appears twice"}},
	})

	// A failing patch stops the run after the patches before it, which stay
	// applied (each is its own unit) and are in the backup taken first; the
	// failing patch is recorded failed with its error, and retried next time.
	for _, tc := range []struct {
		set, id string
		want    []string
	}{
		{"panic", "v1_0.fault_panics", []string{"panic: assignment to entry in nil map", "stack in the patch log"}},
		{"error", "v1_0.fault_fails", []string{"3 rows without a name"}},
		{"badsql", "v1_0.fault_bad_sql", []string{"Error 1064", "SQL syntax"}},
	} {
		t.Run("patch_"+tc.set, func(t *testing.T) {
			d, db := servertest.NewDatabase(t)
			dir := t.TempDir()
			env := []string{"MIGRATE_DSN=" + d.DSN, "FAULT_SET=" + tc.set}
			runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
			before := checksums(t, db, d.Name)
			r := runBin(t, bin, dir, env, "up", "--backup-dir", "backups", "--report", "up.json")
			r.mustFailClearly(t, 1, append([]string{"patch " + tc.id + " failed"}, tc.want...)...)
			st := readStatus(t, bin, dir, env)
			for _, p := range st.Patches {
				if p.ID == tc.id && (p.Status != "failed" || p.Error == "") {
					t.Errorf("status of %s: %s %q, want failed with its error", p.ID, p.Status, p.Error)
				}
			}
			// Nothing lost: the backup taken before the run holds the data
			// as it was, and a second up retries the patch (attempt 2).
			backups, _ := filepath.Glob(filepath.Join(dir, "backups", "*.sql.gz"))
			if len(backups) != 1 {
				t.Fatalf("backups %v, want one", backups)
			}
			runBin(t, bin, dir, env, "up", "--no-backup").mustFailClearly(t, 1, tc.id)
			if n := queryInt(t, db, "SELECT attempts FROM migtest_patch_log WHERE id = ?", tc.id); n != 2 {
				t.Errorf("%s attempted %d times after two ups, want 2", tc.id, n)
			}
			other, otherDB := servertest.NewDatabase(t)
			runBin(t, binary, dir, []string{"MIGRATE_DSN=" + other.DSN}, "restore", "--file", backups[0]).must(t, 0)
			if got := checksums(t, otherDB, other.Name); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Errorf("the backup taken before the failed up does not hold the data as it was")
			}
		})
	}

	t.Run("patch_removed_after_applied", func(t *testing.T) {
		d, db := servertest.NewDatabase(t)
		dir := t.TempDir()
		env := []string{"MIGRATE_DSN=" + d.DSN}
		runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
		runBin(t, binary, dir, env, "up", "--no-backup").must(t, 0)
		before := dbState(t, db, d.Name)
		renv := append(env, "FAULT_SET=removed")
		st := readStatus(t, bin, dir, renv)
		if len(st.Unknown) != 1 || st.Unknown[0].ID != "v1_1.customer_emails" || st.Unknown[0].Status != "done" {
			t.Errorf("status --json unknown = %+v, want v1_1.customer_emails (done)", st.Unknown)
		}
		text := runBin(t, bin, dir, renv, "status").must(t, 0)
		if !strings.Contains(text.stdout, "unknown") || !strings.Contains(text.stdout, "v1_1.customer_emails") || !strings.Contains(text.stdout, "no longer in the patch set") {
			t.Errorf("status does not show the removed patch as unknown:\n%s", text.stdout)
		}
		runBin(t, bin, dir, renv, "up", "--no-backup").must(t, 0)
		if after := dbState(t, db, d.Name); after != before {
			t.Errorf("up with a removed patch changed the database:\nbefore %s\nafter  %s", before, after)
		}
	})
}
