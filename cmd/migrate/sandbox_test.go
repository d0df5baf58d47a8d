package main

import (
	"bufio"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestSandbox starts `migtest sandbox --fixture`, uses the DSN it prints
// first, stops it with SIGTERM and checks the server is gone.
func TestSandbox(t *testing.T) {
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if _, err := exec.LookPath("/usr/sbin/mariadbd"); err != nil {
			t.Skip("sandbox test uses the local provider: mariadbd not installed")
		}
	}
	cmd := exec.Command(devBinary, "sandbox", "--provider", "local", "--fixture", fixturePath(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // after Wait it is gone anyway
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var dsn string
	select {
	case dsn = <-lines:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no DSN within 2 minutes; stderr:\n%s", stderr.String())
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil || cfg.DBName == "" {
		t.Fatalf("first line is not a DSN with a database: %q (%v)", dsn, err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM `tabCustomer`").Scan(&n); err != nil || n == 0 {
		t.Fatalf("the sandbox database has no customers: %d, %v", n, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox exited with %v after SIGTERM; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("sandbox did not stop within a minute of SIGTERM")
	}
	db.SetMaxIdleConns(0)
	if err := db.Ping(); err == nil {
		t.Error("the sandbox server still answers after the sandbox stopped")
	}
}

// TestRehearseDemo runs what `make demo` runs: migtest rehearse of the
// whole set on the demo fixture against snapshots/demo-site.snap.
func TestRehearseDemo(t *testing.T) {
	golden, err := filepath.Abs("../../snapshots/demo-site.snap")
	if err != nil {
		t.Fatal(err)
	}
	r := runBin(t, devBinary, t.TempDir(), nil, "rehearse", "--fixture", fixturePath(t), "--golden", golden, "-q").must(t, 0)
	for _, want := range []string{"matches golden " + golden, "rehearsal passed", "v1_0.customer_profile"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rehearse output lacks %q:\n%s", want, r.stdout)
		}
	}
}
