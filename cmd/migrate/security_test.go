package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/cmd/migrate/internal/faultpatches"
	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// The security tests: passwords never in output, logs, reports, manifests,
// error messages or the process list; files 0600; a dump cannot reach
// another database; weird identifiers through the patch helpers; TLS
// through the DSN.

// secretPassword holds the characters that break naive redaction: ':' '/'
// '@' ' ' ';' and both quotes. Its pieces are what a leak would show.
const secretPassword = `S3cr3t-pw:w/sl@sh sp;q'"x9`

var secretPieces = []string{secretPassword, "S3cr3t", "sl@sh", `sp;q'"x9`, `sp;q'\"x9`}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}

// userDSNs creates a user with secretPassword and all privileges on the
// database, and returns its DSN in the driver's form and as a URL.
func userDSNs(t *testing.T, db *sql.DB, d string, dsnStr string) (plain, asURL string) {
	t.Helper()
	user := "sec_" + d[len(d)-8:]
	for _, q := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY " + sqlString(secretPassword),
		"GRANT ALL ON `" + d + "`.* TO '" + user + "'@'%'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP USER IF EXISTS '" + user + "'@'%'") })
	cfg, err := dsn.Parse(dsnStr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = user, secretPassword
	u := url.URL{Scheme: "mysql", User: url.UserPassword(user, secretPassword), Host: cfg.Addr, Path: "/" + d}
	return cfg.FormatDSN(), u.String()
}

// leaks returns the secret pieces text contains.
func leaks(text string) []string {
	var out []string
	for _, p := range secretPieces {
		if strings.Contains(text, p) {
			out = append(out, p)
		}
	}
	return out
}

// TestPasswordsNeverShown runs every command, and every error a command
// can give, with a password full of DSN delimiters, given by --dsn,
// MIGRATE_DSN, --dsn-file, a mysql:// URL and a site config, and greps
// everything written — stdout, stderr, --log files (text and JSON),
// reports, manifests, snapshots, the database's own log tables — for it.
func TestPasswordsNeverShown(t *testing.T) {
	bin := faultBinary(t)
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	plain, asURL := userDSNs(t, db, d.Name, d.DSN)
	cfg, _ := dsn.Parse(plain)
	host, port, _ := net.SplitHostPort(cfg.Addr)
	sc := writeFile(t, dir, "site_config.json", fmt.Sprintf(`{"db_name": %q, "db_user": %q, "db_password": %q, "db_host": %q, "db_port": %s}`,
		d.Name, cfg.User, secretPassword, host, port))
	dsnFile := writeFile(t, dir, "dsn.txt", plain+"\n")
	noDB := strings.Replace(plain, "/"+d.Name, "/nosuch_db", 1)
	badPort := strings.Replace(plain, cfg.Addr, "127.0.0.1:1", 1)
	broken := strings.TrimSuffix(plain[:strings.Index(plain, ")")], ")") // no closing parenthesis
	wrongPw := strings.Replace(plain, secretPassword, secretPassword+"X", 1)
	env := []string{"MIGRATE_DSN=" + plain}

	type step struct {
		bin  string
		env  []string
		args []string
	}
	steps := []step{
		{binary, env, []string{"restore", "--file", fixturePath(t)}},
		{binary, env, []string{"check", "-v"}},
		{binary, env, []string{"plan", "--json"}},
		{binary, env, []string{"snapshot", "--out", "before.snap"}},
		{bin, append(env, "FAULT_SET=error"), []string{"up", "-v", "--backup-dir", "b1", "--report", "failed.json", "--log", "failed.log"}},
		{binary, nil, []string{"--dsn", plain, "up", "-v", "--backup-dir", "b2", "--report", "up.json", "--log", "up.log"}},
		{binary, nil, []string{"--dsn-file", dsnFile, "status", "--json", "--log-format", "json", "--log", "status.json.log", "-v"}},
		{binary, nil, []string{"--dsn", asURL, "status", "-v"}},
		{binary, nil, []string{"--site-config", sc, "verify", "--snapshot", "before.snap", "-v"}},
		{binary, env, []string{"backup", "--out", "b3/site.sql.gz", "-v"}},
		{binary, nil, []string{"diff", "before.snap", plain}},
		{binary, nil, []string{"diff", plain, asURL}},
		{binary, env, []string{"rollback", "--yes", "--backup-dir", "b4", "-v"}},
		{binary, nil, []string{"--dsn", noDB, "status"}},
		{binary, nil, []string{"--dsn", badPort, "up"}},
		{binary, nil, []string{"--dsn", broken, "status"}},
		{binary, nil, []string{"--dsn=" + broken, "status", "--log-format", "json"}},
		{binary, nil, []string{"--dsn", wrongPw, "status"}},
		{binary, nil, []string{"diff", "before.snap", broken}},
		{binary, nil, []string{"--dsn", plain + "&nosuchparam=1", "status"}},
		{binary, nil, []string{"--dsn", plain + "&tls=skip-verify", "status"}},
		{binary, nil, []string{"--site-config", writeFile(t, dir, "sc-bad.json", fmt.Sprintf(`{"db_name": "nosuch_db", "db_password": %q, "db_host": %q, "db_port": %s}`, secretPassword, host, port)), "status"}},
	}
	codes := map[int]int{}
	check := func(s step) {
		r := runBin(t, s.bin, dir, s.env, s.args...)
		codes[r.code]++
		if l := leaks(r.stdout + r.stderr); len(l) > 0 {
			t.Errorf("migrate %s (exit %d) showed the password (%q):\n%s%s", redactArgs(s.args), r.code, l, r.stdout, r.stderr)
		}
	}
	for _, s := range steps {
		check(s)
	}
	// A held lock: the exit-3 message names the holder.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var got int
	if err := conn.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 0)", "migtest:"+d.Name).Scan(&got); err != nil || got != 1 {
		t.Fatalf("take the lock: %v", err)
	}
	check(step{binary, env, []string{"up", "--no-backup"}})
	check(step{binary, env, []string{"rollback", "--yes"}})
	t.Logf("%d commands, exit codes %v", len(steps)+2, codes)

	// Every file written: logs, reports, manifests, snapshots, backups.
	n := 0
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || p == dsnFile || filepath.Base(p) == "site_config.json" || strings.HasPrefix(filepath.Base(p), "sc-") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".gz") {
			b = gunzip(t, b)
		}
		n++
		if l := leaks(string(b)); len(l) > 0 {
			t.Errorf("%s holds the password (%q)", p, l)
		}
		return nil
	})
	if n < 10 {
		t.Errorf("only %d files were written; the test lost its coverage", n)
	}
	// The database's own log tables.
	for _, table := range []string{"migtest_patch_log", "migtest_run_log"} {
		rows, err := db.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if l := leaks(string(v)); len(l) > 0 {
					t.Errorf("%s.%s holds the password: %q", table, cols[i], v)
				}
			}
		}
		rows.Close()
	}
}

func redactArgs(args []string) string {
	return strings.ReplaceAll(strings.Join(args, " "), secretPassword, "<password>")
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return b
	}
	out, _ := io.ReadAll(zr)
	return out
}

// TestPasswordNotInProcessList looks at /proc/PID/cmdline of a running up
// given its DSN through MIGRATE_DSN and through --dsn-file: the password is
// not there. (With --dsn it is, as for any program: RELIABILITY.md says so.)
func TestPasswordNotInProcessList(t *testing.T) {
	bin := faultBinary(t)
	for _, how := range []string{"MIGRATE_DSN", "--dsn-file", "--dsn"} {
		t.Run(how, func(t *testing.T) {
			d, db := servertest.NewDatabase(t)
			dir := t.TempDir()
			plain, _ := userDSNs(t, db, d.Name, d.DSN)
			runBin(t, binary, dir, []string{"MIGRATE_DSN=" + plain}, "restore", "--file", fixturePath(t)).must(t, 0)
			tc := struct {
				name string
				env  []string
				args []string
			}{name: how}
			switch how {
			case "MIGRATE_DSN":
				tc.env = []string{"MIGRATE_DSN=" + plain}
			case "--dsn-file":
				tc.args = []string{"--dsn-file", writeFile(t, dir, "dsn.txt", plain)}
			default:
				tc.args = []string{"--dsn", plain}
			}
			env := append(tc.env, "FAULT_CHUNK_SLEEP=100ms")
			seen, wait := startUp(t, bin, dir, env, `msg="step done"&patch=v1_0.fault_ledger`, append(tc.args, "--no-backup")...)
			within(t, seen, time.Minute, "ledger batch start")
			// The newest faultmigrate process is the one just started.
			cmdline := newestCmdline(t, bin)
			r := wait()
			r.must(t, 0)
			if l := leaks(cmdline); len(l) > 0 {
				if tc.name == "--dsn" {
					t.Logf("as documented, --dsn puts the password in the process list; use MIGRATE_DSN or --dsn-file")
					return
				}
				t.Errorf("the process list shows the password (%q): %q", l, cmdline)
			}
		})
	}
}

// newestCmdline is the command line of the newest process running bin.
func newestCmdline(t *testing.T, bin string) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	var best string
	var bestTime time.Time
	for _, p := range procs {
		if exe, err := os.Readlink(p); err != nil || exe != bin {
			continue
		}
		st, err := os.Stat(filepath.Dir(p))
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline")); err == nil && st.ModTime().After(bestTime) {
			best, bestTime = strings.ReplaceAll(string(b), "\x00", " "), st.ModTime()
		}
	}
	if best == "" {
		t.Fatalf("no running %s", bin)
	}
	return best
}

// TestFileModes: backups, manifests, reports, --log files and the
// rollback's safety backup are 0600, in directories created 0700.
func TestFileModes(t *testing.T) {
	d, _ := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	runBin(t, binary, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	runBin(t, binary, dir, env, "up", "--backup-dir", "new/backups", "--report", "up.json", "--log", "up.log").must(t, 0)
	runBin(t, binary, dir, env, "backup", "--out", "b/site.sql.gz").must(t, 0)
	runBin(t, binary, dir, env, "rollback", "--yes", "--backup-dir", "safety").must(t, 0)
	runBin(t, binary, dir, env, "snapshot", "--out", "site.snap").must(t, 0)

	var checked int
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		mode := info.Mode().Perm()
		switch {
		case info.IsDir():
			if mode&0o077 != 0 {
				t.Errorf("directory %s has mode %v, want 0700", rel, mode)
			}
		case strings.HasSuffix(p, ".snap"):
			t.Logf("%s: %v (a snapshot: schema and row counts only)", rel, mode)
		default:
			checked++
			if mode != 0o600 {
				t.Errorf("%s has mode %v, want 0600", rel, mode)
			}
		}
		return nil
	})
	if checked < 7 {
		t.Errorf("checked %d files; want the backups, manifests, report, log and safety backup", checked)
	}
}

// TestRestoreStaysInItsDatabase restores hostile dumps: each tries to reach
// another database (or the server) by USE, CREATE/DROP/ALTER DATABASE,
// qualified names, RENAME, a routine, a prepared statement, a versioned
// comment, grants and global settings. Whether the restore fails or loads
// into its target, the victim database, the list of databases, the users
// and the global settings must be as they were.
func TestRestoreStaysInItsDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private server (the dumps try global settings): not in -short")
	}
	// A private server: a dump that gets through may change global
	// settings (max_connections, read_only) that would hurt other tests.
	ps := startPrivateServer(t)
	ctx := context.Background()
	victim, err := ps.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vdb, err := victim.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer vdb.Close()
	reset := func() {
		for _, q := range []string{
			"DROP TABLE IF EXISTS `" + victim.Name + "`.t", "DROP TABLE IF EXISTS `" + victim.Name + "`.x", "DROP TABLE IF EXISTS `" + victim.Name + "`.evil",
			"CREATE DATABASE IF NOT EXISTS `" + victim.Name + "`", "ALTER DATABASE `" + victim.Name + "` CHARACTER SET utf8mb4",
			"CREATE TABLE `" + victim.Name + "`.t (id int PRIMARY KEY, v varchar(20))", "INSERT INTO `" + victim.Name + "`.t VALUES (1, 'precious')",
			"DROP USER IF EXISTS 'evil'@'%'", "DELETE FROM mysql.global_priv WHERE User = 'evil2'", "FLUSH PRIVILEGES",
			"SET GLOBAL max_connections = 500", "SET GLOBAL read_only = 0", "SET GLOBAL general_log = 0", "SET GLOBAL event_scheduler = OFF",
			"DROP DATABASE IF EXISTS `evil_new_db`", "DROP DATABASE IF EXISTS `src_db`",
		} {
			if _, err := vdb.Exec(q); err != nil {
				t.Fatalf("reset: %s: %v", q, err)
			}
		}
	}
	reset()
	v := "`" + victim.Name + "`"
	dir := t.TempDir()
	state := func() string {
		var b strings.Builder
		fmt.Fprintln(&b, checksums(t, vdb, victim.Name), tableNames(t, vdb, victim.Name))
		for _, q := range []string{
			"SELECT GROUP_CONCAT(SCHEMA_NAME ORDER BY SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT LIKE 'mt\\_%' OR SCHEMA_NAME = '" + victim.Name + "'",
			"SELECT GROUP_CONCAT(CONCAT(User, '@', Host) ORDER BY User, Host) FROM mysql.user WHERE User NOT LIKE 'site\\_%'",
			"SELECT GROUP_CONCAT(CONCAT(VARIABLE_NAME, '=', VARIABLE_VALUE) ORDER BY VARIABLE_NAME) FROM information_schema.GLOBAL_VARIABLES WHERE VARIABLE_NAME IN ('MAX_CONNECTIONS', 'READ_ONLY', 'GENERAL_LOG', 'EVENT_SCHEDULER')",
			"SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" + victim.Name + "'",
		} {
			var s sql.NullString
			if err := vdb.QueryRow(q).Scan(&s); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			fmt.Fprintln(&b, s.String)
		}
		return b.String()
	}
	before := state()
	dumps := map[string]string{
		"use_victim":            "USE " + v + ";\nCREATE TABLE x (id int);\nINSERT INTO x VALUES (1);\nDROP TABLE IF EXISTS t;\n",
		"create_database":       "CREATE DATABASE IF NOT EXISTS `evil_new_db`;\nUSE `evil_new_db`;\nCREATE TABLE x (id int);\n",
		"drop_database":         "CREATE TABLE x (id int);\nDROP DATABASE " + v + ";\n",
		"drop_database_if":      "DROP DATABASE IF EXISTS " + v + ";\nCREATE TABLE x (id int);\n",
		"alter_database":        "ALTER DATABASE " + v + " CHARACTER SET latin1;\nCREATE TABLE x (id int);\n",
		"qualified_writes":      "CREATE TABLE x (id int);\nINSERT INTO " + v + ".t VALUES (2, 'evil');\nUPDATE " + v + ".t SET v = 'evil';\nDELETE FROM " + v + ".t;\n",
		"qualified_ddl":         "CREATE TABLE x (id int);\nDROP TABLE " + v + ".t;\nCREATE TABLE " + v + ".evil (id int);\nTRUNCATE TABLE " + v + ".t;\n",
		"rename_into_victim":    "CREATE TABLE x (id int);\nRENAME TABLE x TO " + v + ".x;\n",
		"second_use":            "USE `src_db`;\nCREATE TABLE x (id int);\nUSE " + v + ";\nDROP TABLE t;\n",
		"procedure":             "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN DROP TABLE " + v + ".t; END;;\nDELIMITER ;\nCALL p();\n",
		"prepared_statement":    "SET @q = 'DROP TABLE " + strings.ReplaceAll(v, "'", "''") + ".t';\nPREPARE s FROM @q;\nEXECUTE s;\n",
		"prepared_literal":      "PREPARE s FROM 'DELETE FROM " + v + ".t';\nEXECUTE s;\n",
		"versioned_comment":     "CREATE TABLE x (id int);\n/*!40000 DROP TABLE " + v + ".t */;\n/*!50001 DROP DATABASE " + v + " */;\n",
		"trigger_body":          "CREATE TABLE x (id int);\nDELIMITER ;;\nCREATE TRIGGER tr AFTER INSERT ON x FOR EACH ROW DELETE FROM " + v + ".t;;\nDELIMITER ;\nINSERT INTO x VALUES (1);\n",
		"grant_and_user":        "CREATE USER 'evil'@'%' IDENTIFIED BY 'x';\nGRANT ALL ON *.* TO 'evil'@'%';\nCREATE TABLE x (id int);\n",
		"global_settings":       "SET GLOBAL max_connections = 3;\nSET GLOBAL read_only = 1;\nSET @@GLOBAL.general_log = 1;\nCREATE TABLE x (id int);\n",
		"system_tables":         "INSERT INTO mysql.user (Host, User) VALUES ('%', 'evil2');\nCREATE TABLE x (id int);\n",
		"event_on_victim":       "CREATE EVENT ev ON SCHEDULE AT CURRENT_TIMESTAMP DO DELETE FROM " + v + ".t;\nSET GLOBAL event_scheduler = ON;\n",
		"view_reading_victim":   "CREATE VIEW vv AS SELECT * FROM " + v + ".t;\n",
		"create_table_select":   "CREATE TABLE x AS SELECT * FROM " + v + ".t;\nDELETE FROM " + v + ".t WHERE id = 1;\n",
		"load_data_and_outfile": "CREATE TABLE x (l text);\nLOAD DATA INFILE '/etc/passwd' INTO TABLE x;\nSELECT * FROM x INTO OUTFILE '/tmp/migtest-evil-out';\n",
	}
	names := make([]string, 0, len(dumps))
	for name := range dumps {
		names = append(names, name)
	}
	sort.Strings(names)
	// As a site's own user (ALL on its database only, as Frappe creates
	// them) the server contains every dump; as root only Restore can.
	for _, who := range []string{"site_user", "root"} {
		for _, name := range names {
			t.Run(who+"/"+name, func(t *testing.T) {
				target, err := ps.NewDatabase(ctx)
				if err != nil {
					t.Fatal(err)
				}
				targetDSN := target.DSN
				if who == "site_user" {
					user := "site_" + target.Name[len(target.Name)-8:]
					for _, q := range []string{
						"CREATE USER '" + user + "'@'%' IDENTIFIED BY 'site-pass'",
						"GRANT ALL ON `" + target.Name + "`.* TO '" + user + "'@'%'",
					} {
						if _, err := vdb.Exec(q); err != nil {
							t.Fatal(err)
						}
					}
					cfg, err := dsn.Parse(target.DSN)
					if err != nil {
						t.Fatal(err)
					}
					cfg.User, cfg.Passwd = user, "site-pass"
					targetDSN = cfg.FormatDSN()
				}
				f := writeFile(t, dir, name+".sql", dumps[name])
				r := runBin(t, binary, dir, []string{"MIGRATE_DSN=" + targetDSN}, "restore", "--file", f)
				outcome := "loaded into the target"
				if r.code != 0 {
					outcome = "refused: " + lastLine(r.stderr)
				}
				t.Log(outcome)
				if after := state(); after != before && (who != "site_user" || !strings.Contains(after, "site_")) {
					t.Errorf("the restore reached outside its database (%s):\nbefore %s\nafter  %s", outcome, before, after)
					reset()
				}
				if _, err := os.Stat("/tmp/migtest-evil-out"); err == nil {
					os.Remove("/tmp/migtest-evil-out")
					t.Errorf("the restore wrote a file on the server host (SELECT ... INTO OUTFILE)")
				}
			})
		}
	}
}

// TestWeirdIdentifiers runs faultpatches.Identifiers — every schema helper
// and both batch modes over a table, columns and an index whose names hold
// backticks, quotes, spaces and semicolons, with a value that does too —
// then backs the database up, restores it elsewhere and compares.
func TestWeirdIdentifiers(t *testing.T) {
	bin := faultBinary(t)
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN, "FAULT_SET=ident"}
	runBin(t, bin, dir, env, "up", "--backup-dir", "backups").must(t, 0)
	runBin(t, bin, dir, env, "up", "--no-backup").must(t, 0) // idempotent: nothing to do
	if n := queryInt(t, db, "SELECT COUNT(*) FROM victim"); n != 1 {
		t.Errorf("victim has %d rows, want 1", n)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", d.Name, faultpatches.WeirdTable); n != 3 {
		t.Errorf("%q has %d columns, want 3 (key, value, renamed)", faultpatches.WeirdTable, n)
	}
	runBin(t, bin, dir, env, "verify").must(t, 0)
	runBin(t, bin, dir, env, "snapshot", "--out", "a.snap").must(t, 0)
	runBin(t, bin, dir, env, "backup", "--out", "weird.sql.gz").must(t, 0)

	other, odb := servertest.NewDatabase(t)
	oenv := []string{"MIGRATE_DSN=" + other.DSN}
	runBin(t, binary, dir, oenv, "restore", "--file", "weird.sql.gz").must(t, 0)
	runBin(t, bin, dir, append(oenv, "FAULT_SET=ident"), "snapshot", "--out", "b.snap").must(t, 0)
	if r := runBin(t, binary, dir, nil, "diff", "a.snap", "b.snap"); r.code != 0 {
		t.Errorf("backup → restore changed the weird schema:\n%s%s", r.stdout, r.stderr)
	}
	if a, b := checksums(t, db, d.Name), checksums(t, odb, other.Name); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("checksums differ after backup → restore:\n%v\n%v", a, b)
	}
	// The rollback path quotes them too.
	runBin(t, bin, dir, env, "rollback", "--yes", "--backup-dir", "safety").must(t, 0)
	if n := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", d.Name, faultpatches.WeirdTable); n != 0 {
		t.Errorf("after the rollback to the backup taken before the up, %q still exists", faultpatches.WeirdTable)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "migtest test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server-cert.pem"), filepath.Join(dir, "server-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestTLS connects through the DSN's tls= parameter: to a server without
// TLS, tls=skip-verify fails with a clear line and tls=preferred falls
// back; to a server with a self-signed certificate, a user that requires
// TLS gets in with tls=skip-verify only, and tls=true refuses the unknown
// certificate.
func TestTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a private server with a certificate: not in -short")
	}
	ps := startPrivateServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	plainDB, err := ps.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	with := func(dsnStr string, params string) string {
		if strings.Contains(dsnStr, "?") {
			return dsnStr + "&" + params
		}
		return dsnStr + "?" + params
	}
	t.Run("server_without_tls", func(t *testing.T) {
		runBin(t, binary, dir, nil, "--dsn", with(plainDB.DSN, "tls=skip-verify"), "status").mustFailClearly(t, 1, "asks for TLS", "offers none")
		runBin(t, binary, dir, nil, "--dsn", with(plainDB.DSN, "tls=true"), "status").mustFailClearly(t, 1, "TLS")
		runBin(t, binary, dir, nil, "--dsn", with(plainDB.DSN, "tls=preferred"), "status").must(t, 0)
	})

	cert, key := selfSigned(t, dir)
	ps.kill(t)
	ps.restart(t, "--ssl-cert="+cert, "--ssl-key="+key)
	admin, err := sql.Open("mysql", ps.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var haveSSL string
	if err := admin.QueryRow("SELECT @@have_ssl").Scan(&haveSSL); err != nil || haveSSL != "YES" {
		t.Skipf("mariadbd did not enable TLS with the test certificate (have_ssl=%q, %v)", haveSSL, err)
	}
	d, err := ps.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE USER 'tlsonly'@'%' IDENTIFIED BY 'tls-pass' REQUIRE SSL",
		"GRANT ALL ON `" + d.Name + "`.* TO 'tlsonly'@'%'",
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Passwd = "tlsonly", "tls-pass"
	cfg.TLSConfig, cfg.TLS = "", nil
	base := cfg.FormatDSN()
	t.Run("server_with_tls", func(t *testing.T) {
		runBin(t, binary, dir, nil, "--dsn", with(base, "tls=skip-verify"), "restore", "--file", fixturePath(t)).must(t, 0)
		runBin(t, binary, dir, nil, "--dsn", with(base, "tls=skip-verify"), "up", "--backup-dir", "tlsbackups").must(t, 0)
		runBin(t, binary, dir, nil, "--dsn", with(base, "tls=preferred"), "status").must(t, 0)
		// Without TLS the user that requires it is refused: the runs above were encrypted.
		runBin(t, binary, dir, nil, "--dsn", base, "status").mustFailClearly(t, 1, "access denied")
		runBin(t, binary, dir, nil, "--dsn", with(base, "tls=true"), "status").mustFailClearly(t, 1, "certificate", "tls=skip-verify")
	})
}
