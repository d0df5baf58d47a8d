package migrate_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

// killSet is a batched patch over table big with a composite key; each row's
// v becomes a function of its key plus the number of times it was touched,
// so a chunk done twice would show.
func killSet(slow bool) patch.Set {
	return patch.Set{Patches: []patch.Patch{{ID: "v1.batched", Run: func(ctx context.Context, pc *patch.Context) error {
		_, err := pc.Batch(ctx, patch.Batch{Table: "big", Size: 50, MaxSize: 50,
			Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
				r, err := tx.Exec(ctx, "UPDATE big SET v = v + a * 1000 + CRC32(b), touched = touched + 1 WHERE "+c.Where, c.Args...)
				if err != nil {
					return 0, err
				}
				if slow {
					time.Sleep(20 * time.Millisecond)
				}
				n, _ := r.RowsAffected()
				return n, nil
			}})
		return err
	}}}}
}

func makeBig(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE big (a int NOT NULL, b varchar(20) NOT NULL, v bigint NOT NULL DEFAULT 0, touched int NOT NULL DEFAULT 0, PRIMARY KEY (a, b))",
		"INSERT INTO big (a, b) SELECT s.seq DIV 7, CONCAT('k', s.seq MOD 7) FROM seq_0_to_3499 s",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestKillHelper is the subprocess of TestKilledBatchResumes.
func TestKillHelper(t *testing.T) {
	dsn := os.Getenv("MIGTEST_KILL_HELPER_DSN")
	if dsn == "" {
		t.Skip("helper process for TestKilledBatchResumes")
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := migrate.New(db, killSet(true))
	_, err = m.Up(context.Background(), migrate.UpOptions{})
	t.Fatalf("helper was not killed: up returned %v", err)
}

func checksum(t *testing.T, db *sql.DB) string {
	t.Helper()
	var n, touched, sum int64
	if err := db.QueryRow("SELECT COUNT(*), SUM(touched), SUM(v) FROM big").Scan(&n, &touched, &sum); err != nil {
		t.Fatal(err)
	}
	var maxTouched int64
	db.QueryRow("SELECT MAX(touched) FROM big").Scan(&maxTouched)
	return fmt.Sprintf("rows=%d touched=%d max_touched=%d sum=%d", n, touched, maxTouched, sum)
}

func TestKilledBatchResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	t.Parallel()
	ctx := context.Background()

	// Reference: an uninterrupted run.
	_, ref := patchtest.NewDatabase(t)
	makeBig(t, ref)
	if _, err := newMigrator(t, ref, killSet(false)).Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	want := checksum(t, ref)

	name, db := patchtest.NewDatabase(t)
	makeBig(t, db)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MIGTEST_KILL_HELPER_DSN="+patchtest.DSN(t, name))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until some chunks are committed, then SIGKILL.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var cp sql.NullString
		db.QueryRow("SELECT checkpoint FROM migtest_patch_log WHERE id = 'v1.batched'").Scan(&cp)
		if strings.Contains(cp.String, `"rows":`) && !strings.Contains(cp.String, `"rows":50,`) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the helper made no progress in 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	var partial int64
	db.QueryRow("SELECT COUNT(*) FROM big WHERE touched > 0").Scan(&partial)
	if partial == 0 || partial == 3500 {
		t.Fatalf("killed run touched %d of 3500 rows; want a partial run", partial)
	}
	m := newMigrator(t, db, killSet(false))
	st, _ := m.Status(ctx)
	if st.Patches[0].State != migrate.StateRunning {
		t.Errorf("killed patch state = %s, want running", st.Patches[0].State)
	}
	// The lock died with the process: up runs at once and resumes.
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := checksum(t, db); got != want {
		t.Errorf("after kill and resume: %s, uninterrupted run: %s", got, want)
	}
	st, _ = m.Status(ctx)
	if st.Patches[0].State != migrate.StateDone || st.Patches[0].Attempts != 2 || st.LastRun.State != "done" {
		t.Errorf("status after resume: %+v", st.Patches[0])
	}
}
