package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// stockClient runs mariadb or mariadb-dump against the server of dsnStr
// (password in a defaults file), stdin from file when given, and returns
// stdout.
func stockClient(t *testing.T, dsnStr, stdin string, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if servertest.Required() {
			t.Fatalf("%s not installed: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	cfg, err := dsn.Parse(dsnStr)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[client]\nuser=%s\npassword=%s\n", cfg.User, cfg.Passwd)
	if cfg.Net == "unix" {
		fmt.Fprintf(&b, "socket=%s\n", cfg.Addr)
	} else {
		host, port, _ := strings.Cut(cfg.Addr, ":")
		fmt.Fprintf(&b, "host=%s\nport=%s\n", host, port)
	}
	cnf := filepath.Join(t.TempDir(), "client.cnf")
	if err := os.WriteFile(cnf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append([]string{"--defaults-extra-file=" + cnf}, args...)...)
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %v: %v: %s", name, args, err, stderr)
	}
	return out
}

// withDatabase returns dsnStr naming another database.
func withDatabase(t *testing.T, dsnStr, name string) string {
	t.Helper()
	cfg, err := dsn.Parse(dsnStr)
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.Clone()
	cfg.DBName = name
	return cfg.FormatDSN()
}

// charsetOf returns the database's default character set and collation
// and its routines' parameters' character sets.
func charsetOf(t *testing.T, db *sql.DB, database string) string {
	t.Helper()
	var cs, co string
	if err := db.QueryRow("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database).Scan(&cs, &co); err != nil {
		t.Fatalf("database %s: %v", database, err)
	}
	rows, err := db.Query("SELECT SPECIFIC_NAME, COALESCE(PARAMETER_NAME, 'RETURNS'), COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, '') FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = ? ORDER BY SPECIFIC_NAME, ORDINAL_POSITION", database)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := cs + "/" + co + ":"
	for rows.Next() {
		var r, p, pc, pco string
		if err := rows.Scan(&r, &p, &pc, &pco); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf(" %s.%s=%s/%s", r, p, pc, pco)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRestoreCreatesDatabaseWithDumpCharset: a database that restore
// creates gets the dump's character set (from the manifest of a migtest
// backup), or the server's default for a dump that records none, as a
// stock CREATE DATABASE + mariadb would; --charset/--collation override.
// Routine parameters that take the database default follow it.
func TestRestoreCreatesDatabaseWithDumpCharset(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private server (its default character set is changed): not in -short")
	}
	// A server whose default differs from the utf8mb4_unicode_ci that
	// restore used to impose.
	ps := startPrivateServer(t)
	admin, err := sql.Open("mysql", ps.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("SET GLOBAL character_set_server = 'latin1', collation_server = 'latin1_german1_ci'"); err != nil {
		t.Fatal(err)
	}
	src, err := ps.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"ALTER DATABASE `" + src.Name + "` CHARACTER SET latin1 COLLATE latin1_swedish_ci",
		"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))",
		"INSERT INTO t VALUES (1, 'é')",
		"CREATE FUNCTION f(x VARCHAR(10)) RETURNS VARCHAR(20) DETERMINISTIC RETURN CONCAT(x, '!')",
		"CREATE PROCEDURE p(IN a VARCHAR(5), OUT b TEXT) SET b = a",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	want := charsetOf(t, db, src.Name)
	if !strings.Contains(want, "f.x=latin1/latin1_swedish_ci") {
		t.Fatalf("the source's parameters are not latin1: %s", want)
	}
	dir := t.TempDir()
	env := func(database string) []string { return []string{"MIGRATE_DSN=" + withDatabase(t, src.DSN, database)} }
	fresh := func(tag string) string {
		n := fmt.Sprintf("%s_%s", src.Name, tag)
		t.Cleanup(func() { db.Exec("DROP DATABASE IF EXISTS `" + n + "`") })
		return n
	}
	runBin(t, binary, dir, env(src.Name), "backup", "--out", filepath.Join(dir, "b.sql.gz")).must(t, 0)

	t.Run("backup with manifest", func(t *testing.T) {
		n := fresh("m")
		runBin(t, binary, dir, env(n), "restore", "--file", "b.sql.gz").must(t, 0)
		if got := charsetOf(t, db, n); got != want {
			t.Errorf("restored: %s\nsource:   %s", got, want)
		}
	})
	t.Run("override", func(t *testing.T) {
		n := fresh("o")
		runBin(t, binary, dir, env(n), "restore", "--file", "b.sql.gz", "--charset", "utf8mb4", "--collation", "utf8mb4_bin").must(t, 0)
		if got := charsetOf(t, db, n); !strings.HasPrefix(got, "utf8mb4/utf8mb4_bin:") || !strings.Contains(got, "f.x=utf8mb4/utf8mb4_bin") {
			t.Errorf("with --charset utf8mb4 --collation utf8mb4_bin: %s", got)
		}
	})
	t.Run("stock dump as the stock client", func(t *testing.T) {
		stock := filepath.Join(dir, "stock.sql")
		if err := os.WriteFile(stock, stockClient(t, src.DSN, "", "mariadb-dump", "--routines", src.Name), 0o600); err != nil {
			t.Fatal(err)
		}
		base := fresh("s")
		if _, err := db.Exec("CREATE DATABASE `" + base + "`"); err != nil {
			t.Fatal(err)
		}
		stockClient(t, src.DSN, stock, "mariadb", base)
		n := fresh("r")
		runBin(t, binary, dir, env(n), "restore", "--file", "stock.sql").must(t, 0)
		if got, stockGot := charsetOf(t, db, n), charsetOf(t, db, base); got != stockGot {
			t.Errorf("migrate restore: %s\nstock client:    %s", got, stockGot)
		}
	})
}
