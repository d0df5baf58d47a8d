package migrate_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/internal/topotest"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
)

// logSink is a log buffer safe for the runner's goroutines.
type logSink struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *logSink) logger() *slog.Logger { return slog.New(slog.NewTextHandler(s, nil)) }

// counted is a batched patch over big that counts its chunks and touches
// every row once (touched = touched + 1, so a chunk done twice shows).
func counted(id string, chunks *atomic.Int64, pause time.Duration) patch.Patch {
	return patch.Patch{ID: id, Run: func(ctx context.Context, pc *patch.Context) error {
		_, err := pc.Batch(ctx, patch.Batch{Table: "big", Name: id, Size: 500, MinSize: 500, MaxSize: 500,
			Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
				r, err := tx.Exec(ctx, "UPDATE big SET v = v + 1, touched = touched + 1 WHERE "+c.Where, c.Args...)
				if err != nil {
					return 0, err
				}
				chunks.Add(1)
				time.Sleep(pause)
				n, _ := r.RowsAffected()
				return n, nil
			}})
		return err
	}}
}

func makeRows(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, pad varchar(200) NOT NULL, v bigint NOT NULL DEFAULT 0, touched int NOT NULL DEFAULT 0)",
		fmt.Sprintf("INSERT INTO big (id, pad) SELECT seq, REPEAT('x', 200) FROM seq_1_to_%d", n),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func firstLineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func tableChecksum(t *testing.T, db *sql.DB) string {
	t.Helper()
	var name string
	var sum sql.NullInt64
	if err := db.QueryRow("CHECKSUM TABLE big").Scan(&name, &sum); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(sum.Int64)
}

// TestTopologyReplica: on a primary with one GTID replica, up refuses the
// replica; a big batch is throttled while the (stalled) replica lags and
// finishes with the replica caught up; a replica stopped mid-batch pauses
// the run, which resumes when the replica is back.
func TestTopologyReplica(t *testing.T) {
	topotest.Require(t)
	ctx := context.Background()
	primary, replica := topotest.Replication(t, "app")
	pdb, rdb := primary.Open("app"), replica.Open("app")
	makeRows(t, pdb, 40000)
	topotest.WaitCaughtUp(t, primary, replica, time.Minute)
	watched := migrate.Replica{Name: replica.IP + ":3306", DB: rdb}

	t.Run("inspect", func(t *testing.T) {
		topo, err := migrate.InspectTopology(ctx, pdb, []migrate.Replica{watched})
		if err != nil {
			t.Fatal(err)
		}
		if topo.ReadOnly || topo.ReplicaOf != "" || !topo.LogBin || topo.BinlogFormat != "ROW" || len(topo.Replicas) != 1 || topo.Replicas[0].Problem != "" {
			t.Errorf("primary's topology: %+v", topo)
		}
		if strings.Join(topo.ReplicaHosts, ",") != "replica:3306" {
			t.Errorf("SHOW SLAVE HOSTS: %v, want replica:3306", topo.ReplicaHosts)
		}
	})

	t.Run("up refuses the replica", func(t *testing.T) {
		var chunks atomic.Int64
		m := newMigrator(t, rdb, patch.Set{Patches: []patch.Patch{counted("v1.on_replica", &chunks, 0)}})
		_, err := m.Up(ctx, migrate.UpOptions{})
		if err == nil || !strings.Contains(err.Error(), "is a replica of "+primary.IP+":3306: run up against the primary") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("up on the replica: %v", err)
		}
		if chunks.Load() != 0 {
			t.Fatal("up on the replica ran a chunk")
		}
	})

	t.Run("check and up on the command line", func(t *testing.T) {
		var chunks atomic.Int64
		set := patch.Set{Patches: []patch.Patch{counted("v1.cli", &chunks, 0)}}
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, set, []string{"check", "--dsn", primary.DSN("app"), "--replica", replica.DSN(""), "--max-replica-lag", "2s", "--backup-dir", t.TempDir()}, &out, &errOut)
		if code != 0 || !strings.Contains(out.String(), "replica "+replica.IP+":3306") || !strings.Contains(out.String(), "primary or standalone, read_only OFF, binlog ROW") {
			t.Errorf("check with --replica: exit %d\n%s%s", code, out.String(), errOut.String())
		}
		t.Logf("check:\n%s", out.String())
		if strings.Contains(out.String()+errOut.String(), topotest.Password) {
			t.Error("check printed the replica's password")
		}
		out.Reset()
		errOut.Reset()
		code = cli.Main(ctx, set, []string{"up", "--no-backup", "--dsn", replica.DSN("app")}, &out, &errOut)
		lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
		if code != 1 || chunks.Load() != 0 || !strings.Contains(lines[len(lines)-1], "is a replica of "+primary.IP+":3306: run up against the primary") {
			t.Errorf("up on the replica: exit %d, %d chunks\n%s", code, chunks.Load(), errOut.String())
		}
	})

	t.Run("throttled while the replica lags", func(t *testing.T) {
		// A session on the replica holds a row the batch will reach (a long
		// report query would do the same): the replica's SQL thread waits
		// for it, lag builds past the one-second limit, the batch pauses;
		// once the session lets go, the replica catches up and the batch
		// resumes. (A MASTER_DELAY replica beyond the limit would throttle
		// forever: the run's own heartbeat keeps a transaction pending.)
		stall, err := rdb.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stall.Exec("SELECT * FROM big WHERE id = 20000 FOR UPDATE"); err != nil {
			t.Fatal(err)
		}
		var logs logSink
		var chunks atomic.Int64
		go func() {
			deadline := time.Now().Add(2 * time.Minute)
			for !strings.Contains(logs.String(), "throttled: replica lag ") && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(time.Second)
			_ = stall.Rollback()
		}()
		m := newMigrator(t, pdb, patch.Set{Patches: []patch.Patch{counted("v1.lagged", &chunks, 40*time.Millisecond)}},
			migrate.WithReplicas(watched), migrate.WithLogger(logs.logger()))
		if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "throttled: replica lag ") || !strings.Contains(logs.String(), "throttle lifted, resuming") {
			t.Errorf("no throttling in the log:\n%s", logs.String())
		}
		pauses := strings.Count(logs.String(), "throttle lifted")
		t.Logf("%d pauses in %d chunks; the first: %s", pauses, chunks.Load(), firstLineWith(logs.String(), "throttled:"))
		topotest.WaitCaughtUp(t, primary, replica, time.Minute)
		if p, r := tableChecksum(t, pdb), tableChecksum(t, rdb); p != r {
			t.Errorf("after the batch: primary's checksum %s, replica's %s", p, r)
		}
	})

	t.Run("replica stopped mid-batch", func(t *testing.T) {
		var logs logSink
		var chunks atomic.Int64
		m := newMigrator(t, pdb, patch.Set{Patches: []patch.Patch{counted("v1.stopped", &chunks, 30*time.Millisecond)}},
			migrate.WithReplicas(watched), migrate.WithLogger(logs.logger()))
		done := make(chan error, 1)
		go func() { _, err := m.Up(ctx, migrate.UpOptions{}); done <- err }()
		for chunks.Load() < 5 {
			time.Sleep(20 * time.Millisecond)
		}
		replica.Docker("stop")
		for !strings.Contains(logs.String(), "does not answer") {
			select {
			case err := <-done:
				t.Fatalf("up ended while the replica was stopped: %v\n%s", err, logs.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
		atPause := chunks.Load()
		time.Sleep(3 * time.Second)
		if n := chunks.Load(); n > atPause+1 {
			t.Errorf("%d chunks ran while the replica was stopped", n-atPause)
		}
		replica.Docker("start")
		if err := <-done; err != nil {
			t.Fatalf("up after the replica came back: %v\n%s", err, logs.String())
		}
		if !strings.Contains(logs.String(), "throttle lifted, resuming") {
			t.Errorf("the log does not say the run resumed:\n%s", logs.String())
		}
		topotest.WaitCaughtUp(t, primary, replica, time.Minute)
		if p, r := tableChecksum(t, pdb), tableChecksum(t, rdb); p != r {
			t.Errorf("after the batch: primary's checksum %s, replica's %s", p, r)
		}
	})
}

// onceSet is two patches that must not run twice: an ALTER without IF NOT
// EXISTS (a second run fails with 1060) and an insert into trace.
func onceSet() patch.Set {
	return patch.Set{Patches: []patch.Patch{
		{ID: "v1.add_column", Run: func(ctx context.Context, pc *patch.Context) error {
			if _, err := pc.DB.Exec(ctx, "CREATE TABLE IF NOT EXISTS trace (n int AUTO_INCREMENT PRIMARY KEY, id varchar(64))"); err != nil {
				return err
			}
			if _, err := pc.DB.Exec(ctx, "ALTER TABLE trace ADD COLUMN extra int NULL"); err != nil {
				return err
			}
			time.Sleep(500 * time.Millisecond) // hold the lock a while
			_, err := pc.DB.Exec(ctx, "INSERT INTO trace (id) VALUES ('v1.add_column')")
			return err
		}},
		insertPatch("v1.second"),
	}}
}

// TestTopologyGalera: on a three-node Galera cluster two concurrent ups,
// one per node, apply every patch exactly once; a node killed mid-run
// fails its run, and an up on a healthy node finishes the batch with no
// chunk applied twice.
func TestTopologyGalera(t *testing.T) {
	topotest.Require(t)
	ctx := context.Background()
	nodes := topotest.Galera(t)

	t.Run("concurrent ups apply once", func(t *testing.T) {
		for trial := range 3 {
			db := fmt.Sprintf("once%d", trial)
			topotest.CreateDatabase(t, nodes, db)
			h1, h2 := nodes[0].Open(db), nodes[1].Open(db)
			var wg sync.WaitGroup
			results := make([]*migrate.UpResult, 2)
			errs := make([]error, 2)
			start := make(chan struct{})
			for i, h := range []*sql.DB{h1, h2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m := newMigrator(t, h, onceSet())
					<-start
					results[i], errs[i] = m.Up(ctx, migrate.UpOptions{Wait: time.Minute})
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("trial %d: up on node %d: %v", trial, i+1, err)
				}
			}
			states := []string{results[0].State, results[1].State}
			if !(states[0] == "done" && states[1] == "nothing" || states[0] == "nothing" && states[1] == "done") {
				t.Errorf("trial %d: the runs ended %v; want one done and one with nothing to do", trial, states)
			}
			if got := strings.Join(trace(t, h1), ","); got != "v1.add_column,v1.second" {
				t.Errorf("trial %d: patches applied: %s", trial, got)
			}
			winner := results[0].RunID
			if results[1].State == "done" {
				winner = results[1].RunID
			}
			var runs int
			if err := h2.QueryRow("SELECT COUNT(DISTINCT run_id) FROM migtest_patch_log WHERE status = 'done' AND run_id = ? AND attempts = 1", winner).Scan(&runs); err != nil || runs != 1 {
				t.Errorf("trial %d: the patch log does not give both patches to the winner %s once: %d, %v", trial, winner, runs, err)
			}
		}
	})

	t.Run("lint flags TOI DDL", func(t *testing.T) {
		topotest.CreateDatabase(t, nodes, "lint")
		h := nodes[1].Open("lint")
		makeRows(t, h, 5000)
		if _, err := h.Exec("ANALYZE TABLE big"); err != nil {
			t.Fatal(err)
		}
		l, err := ddllint.New(ctx, h, "", ddllint.WithThreshold(1000))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var rules []string
		for _, f := range l.Check(ctx, "ALTER TABLE big ADD INDEX v (v)") {
			rules = append(rules, f.Rule)
		}
		if !strings.Contains(strings.Join(rules, ","), ddllint.RuleGaleraTOI) {
			t.Errorf("an index build on a Galera node in TOI: rules %v, want %s", rules, ddllint.RuleGaleraTOI)
		}
		if fs := l.Check(ctx, "ALTER TABLE big ADD COLUMN note varchar(20) NULL"); len(fs) != 0 {
			t.Errorf("an INSTANT change: %v", fs)
		}
	})

	t.Run("node killed mid-run", func(t *testing.T) {
		topotest.CreateDatabase(t, nodes, "killed")
		h1, h2 := nodes[0].Open("killed"), nodes[1].Open("killed")
		makeRows(t, h1, 20000)
		var chunks atomic.Int64
		set := patch.Set{Patches: []patch.Patch{counted("v1.touch", &chunks, 40*time.Millisecond)}}
		m1 := newMigrator(t, h1, set, migrate.WithLockLease(5*time.Second))
		done := make(chan error, 1)
		go func() { _, err := m1.Up(ctx, migrate.UpOptions{}); done <- err }()
		for chunks.Load() < 10 {
			time.Sleep(20 * time.Millisecond)
		}
		nodes[0].Docker("kill")
		select {
		case err := <-done:
			if err == nil {
				t.Fatal("up on the killed node reported success")
			}
			t.Logf("up on the killed node: %v", err)
		case <-time.After(90 * time.Second):
			t.Fatal("up on the killed node did not return within 90s")
		}
		// The second up is the operator's retry once the cluster has
		// evicted the dead node (evs.suspect_timeout): until then the
		// survivors stall writes, and a retry then only times out.
		waitClusterSize(t, h2, 2, time.Minute)
		var logs logSink
		m2 := newMigrator(t, h2, set, migrate.WithLockLease(5*time.Second), migrate.WithLogger(logs.logger()))
		res, err := m2.Up(ctx, migrate.UpOptions{Wait: time.Minute})
		if err != nil {
			t.Fatalf("up on a healthy node: %v\n%s", err, logs.String())
		}
		if res.State != "done" {
			t.Errorf("up on a healthy node: %s", res.State)
		}
		var twice, once int
		if err := h2.QueryRow("SELECT COUNT(CASE WHEN touched > 1 THEN 1 END), COUNT(CASE WHEN touched = 1 THEN 1 END) FROM big").Scan(&twice, &once); err != nil {
			t.Fatal(err)
		}
		if twice != 0 || once != 20000 {
			t.Errorf("after the takeover: %d rows touched twice, %d once (want 0 and 20000)", twice, once)
		}
		var interrupted int
		if err := h2.QueryRow("SELECT COUNT(*) FROM migtest_run_log WHERE status = 'interrupted'").Scan(&interrupted); err != nil || interrupted != 1 {
			t.Errorf("the killed run is not marked interrupted: %d, %v", interrupted, err)
		}
		if !strings.Contains(logs.String(), "resuming batch from checkpoint") {
			t.Errorf("the second up did not resume the batch:\n%s", logs.String())
		}
		var le *migrate.LockedError
		if errors.As(err, &le) {
			t.Errorf("locked: %v", le)
		}
	})
}

// waitClusterSize waits until db's node is in a Primary component of n nodes.
func waitClusterSize(t *testing.T, db *sql.DB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var name, size, status string
		err := db.QueryRow("SHOW STATUS LIKE 'wsrep_cluster_size'").Scan(&name, &size)
		if err == nil {
			err = db.QueryRow("SHOW STATUS LIKE 'wsrep_cluster_status'").Scan(&name, &status)
		}
		if err == nil && size == strconv.Itoa(n) && status == "Primary" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster did not re-form as a Primary component of %d nodes within %s (size %q, status %q, err %v)", n, timeout, size, status, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
