package patch_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

// syncBuffer is a log sink safe for the helpers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBatchPausesWhileThrottled gives Batch a Throttle that asks for a pause
// before the third chunk for a few checks: no chunk commits during the
// pause, the log says why, and the batch then finishes every row once.
func TestBatchPausesWhileThrottled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)", "INSERT INTO t (id) SELECT seq FROM seq_1_to_500"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	checks, commits, commitsDuringPause := 0, 0, 0
	paused := false
	th := &patch.Throttle{Poll: 10 * time.Millisecond, Check: func(context.Context) string {
		mu.Lock()
		defer mu.Unlock()
		checks++
		paused = checks >= 3 && checks < 8
		if paused {
			return "replica lag 7.2 s on db2:3306"
		}
		return ""
	}}
	hook := func(_ context.Context, q string) error {
		mu.Lock()
		defer mu.Unlock()
		if q == "COMMIT" {
			commits++
			if paused {
				commitsDuringPause++
			}
		}
		return nil
	}
	var logs syncBuffer
	pc := patch.NewContext("p", patch.NewDB(db, hook), patch.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	res, err := pc.Batch(patch.ContextWithThrottle(ctx, th), patch.Batch{Table: "t", Set: "v = v + 1", Size: 50, MinSize: 50, MaxSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	var once int
	if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE v = 1").Scan(&once); err != nil {
		t.Fatal(err)
	}
	// 10 chunks of 50, and the last, empty one past the end.
	if once != 500 || res.Chunks != 11 {
		t.Errorf("after the pause: %d rows changed once, %d chunks; want 500 and 11", once, res.Chunks)
	}
	if commitsDuringPause != 0 || checks < 12 {
		t.Errorf("%d commits while throttled, %d checks", commitsDuringPause, checks)
	}
	for _, want := range []string{"throttled: replica lag 7.2 s on db2:3306", "throttle lifted, resuming"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestBatchThrottledTooLongIsResumable: a pause longer than MaxPause fails
// the batch with a *ThrottledError naming the reason; the committed chunks
// are kept and the next run resumes after them.
func TestBatchThrottledTooLongIsResumable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)", "INSERT INTO t (id) SELECT seq FROM seq_1_to_300"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	store := newTableStore(t, db)
	checks := 0
	th := &patch.Throttle{Poll: 5 * time.Millisecond, MaxPause: 50 * time.Millisecond, Check: func(context.Context) string {
		checks++
		if checks >= 3 {
			return "replica db2:3306 does not answer"
		}
		return ""
	}}
	b := patch.Batch{Table: "t", Set: "v = v + 1", Size: 50, MinSize: 50, MaxSize: 50}
	pc := patch.NewContext("p", patch.NewDB(db, nil), patch.Config{Store: store})
	_, err := pc.Batch(patch.ContextWithThrottle(ctx, th), b)
	var te *patch.ThrottledError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "does not answer") || !strings.Contains(err.Error(), "run up again") {
		t.Fatalf("want a *ThrottledError naming the replica, got %v", err)
	}
	var done int
	if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE v = 1").Scan(&done); err != nil {
		t.Fatal(err)
	}
	if done != 100 {
		t.Fatalf("%d rows done before the pause, want the 2 chunks before it (100)", done)
	}
	pc = patch.NewContext("p", patch.NewDB(db, nil), patch.Config{Store: store})
	res, err := pc.Batch(ctx, b)
	if err != nil || !res.Resumed || res.Rows != 300 {
		t.Fatalf("resume: %+v, %v", res, err)
	}
	var twice, once int
	if err := db.QueryRow("SELECT COUNT(CASE WHEN v > 1 THEN 1 END), COUNT(CASE WHEN v = 1 THEN 1 END) FROM t").Scan(&twice, &once); err != nil {
		t.Fatal(err)
	}
	if twice != 0 || once != 300 {
		t.Errorf("after resuming: %d rows twice, %d once", twice, once)
	}
}

// TestBatchRespectsTransactionLimits: Galera's wsrep_max_ws_rows, passed
// as MaxTxRows, caps the chunks at half of it.
func TestBatchRespectsTransactionLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)", "INSERT INTO t (id) SELECT seq FROM seq_1_to_1000", "ANALYZE TABLE t"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	th := &patch.Throttle{Check: func(context.Context) string { return "" }, MaxTxRows: 100}
	pc := patch.NewContext("p", patch.NewDB(db, nil), patch.Config{})
	res, err := pc.Batch(patch.ContextWithThrottle(ctx, th), patch.Batch{Table: "t", Set: "v = 1", Size: 1000, MaxSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// 20 chunks of 50, and the last, empty one past the end.
	if res.Chunks != 21 || res.Changed != 1000 {
		t.Errorf("with MaxTxRows 100: %d chunks, %d changed; want 21 chunks (20 of 50)", res.Chunks, res.Changed)
	}
}

// TestCopyTableDoesNotLockRows: CopyTable reads a snapshot of the table, so
// a row another session holds locked does not stop it, and the copy has the
// committed value (REPEATABLE READ's INSERT ... SELECT share-locks every
// row and would wait here for the lock wait timeout).
func TestCopyTableDoesNotLockRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	for _, q := range []string{"CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)", "INSERT INTO t SELECT seq, seq FROM seq_1_to_100"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	app, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Rollback() //nolint:errcheck
	if _, err := app.Exec("UPDATE t SET v = -1 WHERE id = 50"); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pc := patch.NewContext("p", patch.NewDB(db, nil), patch.Config{})
	name, err := pc.CopyTable(cctx, "t")
	if err != nil {
		t.Fatalf("CopyTable beside a locked row: %v", err)
	}
	var n, v int
	if err := db.QueryRow("SELECT COUNT(*), (SELECT v FROM "+patch.QuoteIdent(name)+" WHERE id = 50) FROM "+patch.QuoteIdent(name)).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != 100 || v != 50 {
		t.Errorf("copy: %d rows, row 50 has %d; want 100 and the committed 50", n, v)
	}
}
