package migrate_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

// TestLiveRunIsNotTakenForDead: a run-log row "running" whose connection is
// alive on a standalone server is a live run (one that got past the lock
// some other way, as on a Galera cluster before row locks): up stops with a
// *LockedError naming it and applies nothing. Once its connection is gone,
// it counts as interrupted and up goes on.
func TestLiveRunIsNotTakenForDead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	m := newMigrator(t, db, patch.Set{Patches: []patch.Patch{insertPatch("a")}})
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil { // creates the logs
		t.Fatal(err)
	}
	other, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var connID int64
	if err := other.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&connID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO migtest_run_log (run_id, kind, status, started, host, pid, heartbeat, conn_id) VALUES ('other-run', 'up', 'running', NOW(6), 'node2', 4242, NOW(6), ?)", connID); err != nil {
		t.Fatal(err)
	}
	m2 := newMigrator(t, db, patch.Set{Patches: []patch.Patch{insertPatch("a"), insertPatch("b")}})
	_, err = m2.Up(ctx, migrate.UpOptions{})
	var le *migrate.LockedError
	if !errors.As(err, &le) || le.RunID != "other-run" || le.Host != "node2" || le.PID != 4242 {
		t.Fatalf("up beside a live run: want a *LockedError naming run other-run on node2, pid 4242; got %v", err)
	}
	if got := strings.Join(trace(t, db), ","); got != "a" {
		t.Fatalf("patches run beside a live run: %s", got)
	}
	var st string
	if err := db.QueryRow("SELECT status FROM migtest_run_log WHERE run_id = 'other-run'").Scan(&st); err != nil || st != "running" {
		t.Fatalf("the live run's row: %q, %v", st, err)
	}

	// Close the other connection for good (not back to the pool), and wait
	// for the server to see it gone.
	_ = other.Raw(func(any) error { return driver.ErrBadConn })
	_ = other.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", connID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed connection is still in the process list after 10s")
		}
	}
	if _, err := m2.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatalf("up after the other run's connection went: %v", err)
	}
	if err := db.QueryRow("SELECT status FROM migtest_run_log WHERE run_id = 'other-run'").Scan(&st); err != nil || st != "interrupted" {
		t.Fatalf("the dead run's row: %q, %v", st, err)
	}
	if got := strings.Join(trace(t, db), ","); got != "a,b" {
		t.Fatalf("patches run: %s", got)
	}
}

// TestRunHeartbeat: while a patch runs, the run log's heartbeat moves on.
func TestRunHeartbeat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	var beats []string
	set := patch.Set{Patches: []patch.Patch{{ID: "slow", Run: func(ctx context.Context, pc *patch.Context) error {
		for range 3 {
			time.Sleep(400 * time.Millisecond)
			var hb string
			if err := db.QueryRowContext(ctx, "SELECT DATE_FORMAT(heartbeat, '%H:%i:%s.%f') FROM migtest_run_log WHERE status = 'running'").Scan(&hb); err != nil {
				return err
			}
			beats = append(beats, hb)
		}
		return nil
	}}}}
	m := newMigrator(t, db, set, migrate.WithLockLease(4*time.Second)) // beats every 200ms
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(beats) != 3 || beats[0] == beats[1] || beats[1] == beats[2] {
		t.Errorf("heartbeats seen 400ms apart: %v; want three different ones", beats)
	}
}
