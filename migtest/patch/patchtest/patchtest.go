// Package patchtest gives tests of patches and of the runner a fresh MariaDB
// database: on the server named by MIGTEST_DSN if set, else on one private
// mariadbd per test binary (temp datadir, private socket, no TCP).
//
// It is a stopgap until package server offers server.Shared; tests call
// patchtest.Main from TestMain so the private server is stopped at the end.
package patchtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

var (
	once    sync.Once
	baseDSN string // DSN without a database
	srvErr  error
	stop    func()
)

// Main runs the tests and stops the private server, if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// ServerDSN returns the DSN of the server (no database), starting it if
// needed; it skips t when no server can be had.
func ServerDSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { baseDSN, srvErr = start() })
	if srvErr != nil {
		t.Skipf("no MariaDB server for this test: %v", srvErr)
	}
	return baseDSN
}

// DSN returns the DSN of database name on the test server.
func DSN(t testing.TB, name string) string {
	cfg, err := mysql.ParseDSN(ServerDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}

// NewDatabase creates a fresh database, dropped when the test ends, and
// returns its name and an open handle to it.
func NewDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	dsn := ServerDSN(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "pt_" + hex.EncodeToString(b)
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	db, err := sql.Open("mysql", DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if a, err := sql.Open("mysql", dsn); err == nil {
			_, _ = a.Exec("DROP DATABASE IF EXISTS `" + name + "`")
			a.Close()
		}
	})
	return name, db
}

func start() (string, error) {
	if dsn := os.Getenv("MIGTEST_DSN"); dsn != "" {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return "", fmt.Errorf("MIGTEST_DSN: %w", err)
		}
		cfg.DBName = ""
		cfg.ParseTime = true
		return cfg.FormatDSN(), nil
	}
	mariadbd := ""
	for _, c := range []string{"mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld"} {
		if p, err := exec.LookPath(c); err == nil {
			mariadbd = p
			break
		}
	}
	install, _ := exec.LookPath("mariadb-install-db")
	if mariadbd == "" || install == "" {
		return "", fmt.Errorf("mariadbd or mariadb-install-db not found: install mariadb-server or set MIGTEST_DSN")
	}
	dir, err := os.MkdirTemp("", "pt")
	if err != nil {
		return "", err
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("mariadb-install-db: %v: %s", err, lastLines(string(out)))
	}
	sargs := []string{"--no-defaults", "--datadir=" + data, "--socket=" + sock, "--skip-networking",
		"--innodb-buffer-pool-size=256M", "--innodb-flush-log-at-trx-commit=2", "--innodb-log-file-size=256M",
		"--log-error=" + filepath.Join(dir, "error.log"), "--pid-file=" + filepath.Join(dir, "pid")}
	if os.Geteuid() == 0 {
		sargs = append(sargs, "--user=root")
	}
	cmd := exec.Command(mariadbd, sargs...)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.ParseTime = "root", "unix", sock, true
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	dsn := cfg.FormatDSN()
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, _ := sql.Open("mysql", dsn)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		db.Close()
		if err == nil {
			return dsn, nil
		}
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			stop()
			return "", fmt.Errorf("mariadbd exited: %s", lastLines(string(b)))
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Errorf("mariadbd did not accept connections within 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
