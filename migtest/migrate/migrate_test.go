package migrate_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

// insertPatch returns a patch that appends its id to table trace.
func insertPatch(id string) patch.Patch {
	return patch.Patch{ID: id, Description: "record " + id, Run: func(ctx context.Context, pc *patch.Context) error {
		if _, err := pc.DB.Exec(ctx, "CREATE TABLE IF NOT EXISTS trace (n int AUTO_INCREMENT PRIMARY KEY, id varchar(64))"); err != nil {
			return err
		}
		_, err := pc.DB.Exec(ctx, "INSERT INTO trace (id) VALUES (?)", id)
		return err
	}}
}

func trace(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT id FROM trace ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func newMigrator(t *testing.T, db *sql.DB, set patch.Set, opts ...migrate.Option) *migrate.Migrator {
	t.Helper()
	m, err := migrate.New(db, set, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDuplicateIDs(t *testing.T) {
	t.Parallel()
	set := patch.Set{Patches: []patch.Patch{insertPatch("a"), insertPatch("b"), insertPatch("a")}}
	_, err := migrate.New(&sql.DB{}, set)
	if err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Fatalf("New with duplicate IDs: err = %v, want 'appears twice'", err)
	}
}

func TestUpOrderLogAndRerun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	var hooks []string
	set := patch.Set{
		Patches: []patch.Patch{insertPatch("v1.c"), insertPatch("v1.a"), insertPatch("v1.b")},
		BeforeMigrate: func(ctx context.Context, pc *patch.Context) error {
			hooks = append(hooks, "before")
			return nil
		},
		AfterMigrate: func(ctx context.Context, pc *patch.Context) error {
			hooks = append(hooks, "after")
			return nil
		},
	}
	m := newMigrator(t, db, set, migrate.WithToolVersion("test-1"))

	plan, err := m.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 || plan[0].ID != "v1.c" {
		t.Fatalf("plan = %+v, want the 3 patches in set order", plan)
	}
	var n int
	db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").Scan(&n)
	if n != 0 {
		t.Fatalf("Plan created %d tables, want none", n)
	}

	res, err := m.Up(ctx, migrate.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(trace(t, db), ","), "v1.c,v1.a,v1.b"; got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
	if res.State != "done" || len(res.Patches) != 3 || res.Remaining != 0 {
		t.Errorf("result = %+v", res)
	}
	if got := strings.Join(hooks, ","); got != "before,after" {
		t.Errorf("hooks = %s", got)
	}

	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied != 3 || st.Pending != 0 || st.LastRun == nil || st.LastRun.RunID != res.RunID || st.LastRun.State != "done" || st.LastRun.PatchesRun != 3 {
		t.Errorf("status = %+v, last run %+v", st, st.LastRun)
	}
	for _, e := range st.Patches {
		if e.State != migrate.StateDone || e.RunID != res.RunID || e.Attempts != 1 || e.ToolVersion != "test-1" ||
			e.Started.IsZero() || e.Finished.Before(e.Started) || e.Host == "" {
			t.Errorf("log entry %+v", e)
		}
	}

	// Second up runs nothing, not even the hooks.
	res2, err := m.Up(ctx, migrate.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.State != "nothing" || len(res2.Patches) != 0 || len(trace(t, db)) != 3 || len(hooks) != 2 {
		t.Errorf("second up: %+v, trace %v, hooks %v", res2, trace(t, db), hooks)
	}

	// A log entry no longer in the set is unknown, not an error.
	m2 := newMigrator(t, db, patch.Set{Patches: set.Patches[:2]})
	st2, err := m2.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st2.Unknown) != 1 || st2.Unknown[0].ID != "v1.b" {
		t.Errorf("unknown = %+v, want v1.b", st2.Unknown)
	}
	if _, err := m2.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Errorf("up with an unknown log entry: %v", err)
	}
}

func TestFailingThenFixed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	broken := true
	bad := patch.Patch{ID: "p2", Run: func(ctx context.Context, pc *patch.Context) error {
		if broken {
			_, err := pc.DB.Exec(ctx, "SELECT * FROM no_such_table")
			return err
		}
		return insertPatch("p2").Run(ctx, pc)
	}}
	after := 0
	set := patch.Set{Patches: []patch.Patch{insertPatch("p1"), bad, insertPatch("p3")},
		AfterMigrate: func(context.Context, *patch.Context) error { after++; return nil }}
	m := newMigrator(t, db, set)
	res, err := m.Up(ctx, migrate.UpOptions{})
	var pe *migrate.PatchError
	if !errors.As(err, &pe) || pe.ID != "p2" || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("up err = %v, want a PatchError for p2 naming no_such_table", err)
	}
	if res.State != "failed" || res.Remaining != 2 || after != 0 {
		t.Errorf("result %+v, after hook ran %d times", res, after)
	}
	if got := strings.Join(trace(t, db), ","); got != "p1" {
		t.Errorf("trace = %s, want p1 (run stops at the failure)", got)
	}
	st, _ := m.Status(ctx)
	if st.Patches[1].State != migrate.StateFailed || !strings.Contains(st.Patches[1].Error, "no_such_table") || st.Failed != 1 {
		t.Errorf("p2 entry %+v", st.Patches[1])
	}
	if st.LastRun.State != "failed" {
		t.Errorf("last run %+v", st.LastRun)
	}

	broken = false
	res, err = m.Up(ctx, migrate.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Patches) != 2 || res.Patches[0].ID != "p2" {
		t.Errorf("the second up ran %+v, want p2 and p3", res.Patches)
	}
	if got := strings.Join(trace(t, db), ","); got != "p1,p2,p3" {
		t.Errorf("trace = %s", got)
	}
	st, _ = m.Status(ctx)
	if st.Patches[1].State != migrate.StateDone || st.Patches[1].Attempts != 2 || st.Patches[1].Error != "" || after != 1 {
		t.Errorf("p2 entry after fix %+v", st.Patches[1])
	}
}

func TestSkipFailingAndPanic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	set := patch.Set{Patches: []patch.Patch{
		insertPatch("p1"),
		{ID: "boom", Run: func(context.Context, *patch.Context) error { panic("kaboom") }},
		{ID: "verify", Run: insertPatch("verify").Run, Verify: func(context.Context, *patch.Context) error { return errors.New("count mismatch") }},
		insertPatch("p4"),
	}}
	m := newMigrator(t, db, set)
	res, err := m.Up(ctx, migrate.UpOptions{SkipFailing: true})
	if err == nil {
		t.Fatal("up with failing patches and SkipFailing returned nil error")
	}
	if got := strings.Join(trace(t, db), ","); got != "p1,verify,p4" {
		t.Errorf("trace = %s", got)
	}
	states := map[string]migrate.State{}
	for _, p := range res.Patches {
		states[p.ID] = p.State
	}
	if states["boom"] != migrate.StateFailed || states["verify"] != migrate.StateFailed || states["p4"] != migrate.StateDone {
		t.Errorf("states = %v", states)
	}
	st, _ := m.Status(ctx)
	if e := st.Patches[1]; !strings.Contains(e.Error, "panic: kaboom") {
		t.Errorf("panic entry error = %q", e.Error)
	}
	if e := st.Patches[2]; !strings.Contains(e.Error, "verify: count mismatch") {
		t.Errorf("verify entry error = %q", e.Error)
	}
}

func TestConcurrentUpLocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name, db := patchtest.NewDatabase(t)
	release := make(chan struct{})
	started := make(chan struct{})
	slow := patch.Patch{ID: "slow", Run: func(ctx context.Context, pc *patch.Context) error {
		close(started)
		<-release
		return nil
	}}
	m := newMigrator(t, db, patch.Set{Patches: []patch.Patch{slow}})
	var wg sync.WaitGroup
	var firstErr error
	wg.Add(1)
	go func() { defer wg.Done(); _, firstErr = m.Up(ctx, migrate.UpOptions{}) }()
	<-started

	db2, err := sql.Open("mysql", patchtest.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	m2 := newMigrator(t, db2, patch.Set{Patches: []patch.Patch{slow}})
	_, err = m2.Up(ctx, migrate.UpOptions{Wait: 200 * time.Millisecond})
	var le *migrate.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second up: err = %v, want *LockedError", err)
	}
	if le.RunID == "" || le.PID == 0 || le.Host == "" || le.Since.IsZero() {
		t.Errorf("LockedError does not name the holder: %+v", le)
	}
	if err := m2.Mark(ctx, "slow", migrate.StateDone, "x"); !errors.As(err, &le) {
		t.Errorf("mark under a held lock: %v", err)
	}
	close(release)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	// The lock is free again.
	if _, err := m2.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Errorf("up after the holder finished: %v", err)
	}
}

func TestOnlyAndMark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	m := newMigrator(t, db, patch.Set{Patches: []patch.Patch{insertPatch("a"), insertPatch("b"), insertPatch("c")}})
	if _, err := m.Up(ctx, migrate.UpOptions{Only: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx, migrate.UpOptions{Only: "zzz"}); err == nil {
		t.Error("Only with an unknown ID: no error")
	}
	if err := m.Mark(ctx, "a", migrate.StateDone, "applied by hand"); err != nil {
		t.Fatal(err)
	}
	plan, _ := m.Plan(ctx)
	if len(plan) != 1 || plan[0].ID != "c" {
		t.Errorf("plan = %+v, want only c", plan)
	}
	if err := m.Mark(ctx, "b", migrate.StatePending, "redo"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(trace(t, db), ","); got != "b,b,c" {
		t.Errorf("trace = %s, want b,b,c", got)
	}
	st, _ := m.Status(ctx)
	if st.Patches[0].State != migrate.StateSkipped || st.Patches[0].Note != "applied by hand" || st.Applied != 3 {
		t.Errorf("status %+v", st.Patches)
	}
}

func TestStatementHook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	var mu sync.Mutex
	var seen []string
	n := 0
	hook := func(ctx context.Context, q string) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		seen = append(seen, q)
		if n == 3 {
			return fmt.Errorf("injected fault at statement %d", n)
		}
		return nil
	}
	m := newMigrator(t, db, patch.Set{Patches: []patch.Patch{insertPatch("a"), insertPatch("b")}}, migrate.WithStatementHook(hook))
	_, err := m.Up(ctx, migrate.UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "injected fault at statement 3") {
		t.Fatalf("err = %v, want the injected fault", err)
	}
	if len(seen) != 3 || !strings.HasPrefix(seen[2], "CREATE TABLE IF NOT EXISTS trace") {
		t.Errorf("statements seen: %q", seen)
	}
}
