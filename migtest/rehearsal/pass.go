package rehearsal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/progress"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/snapshot"
)

// The one-pass rehearsal is for production-sized fixtures: the fixture is
// restored (or imported from the cache) once, and the patches run in order
// on that one database with a snapshot and timing after each, the way a
// production up runs them. Every patch's golden delta, declared row
// changes, budgets, lint and lock spans come from that pass. The checks
// whose cost grows with the data run once, where size matters: one crash
// inside the largest batch, resumed in place, and a second up that must
// do nothing. The full crash-point sweep and the run-the-function-again
// check are properties of the code and stay with the demo fixture (Run).

// PassConfig says what one pass rehearses.
type PassConfig struct {
	// Set is the patch set; every patch runs, in order.
	Set patch.Set
	// Fixture is the path of the fixture backup.
	Fixture string
	// Cache hands out the database restored from the fixture.
	Cache *fixture.Cache
	// Lint checks every statement with package ddllint.
	Lint bool
	// ProductionRows, if set, are the row counts the lint judges big
	// tables by.
	ProductionRows map[string]int64
	// RowChanges checks each patch's row counts by its declared Rows.
	RowChanges bool
	// Crash injects one crash inside the largest batch of the pass (more
	// precisely: inside every batch larger by a tenth than all earlier
	// ones, past its middle) and resumes it with a second up, in place.
	Crash bool
	// SecondUp checks, after the last patch, that another up runs nothing
	// and changes nothing.
	SecondUp bool
	// AfterPatch, if set, is called with the migrated database after each
	// patch (before the next one runs).
	AfterPatch func(id string, db *sql.DB)
	// Checkpoint, if set, names the directory to keep the database in
	// right after patch id (fixture.Cache.Keep), for rehearsals whose
	// assertions need it later ("": not kept). A database that cannot be
	// kept is a warning, not an error: the pass goes on.
	Checkpoint func(id string) string
	// Logger receives the engine's log lines, the progress lines included
	// (discarded when nil).
	Logger *slog.Logger
	// Progress receives the progress of the restore (bytes), of batches
	// (rows) and of the pass (patches); nil: none.
	Progress migrate.ProgressFunc
}

// PassReport is what one pass saw.
type PassReport struct {
	// Fixture is the fixture's file name and FixtureSHA256 its sha256.
	Fixture, FixtureSHA256 string
	// ServerVersion is the rehearsal server's version.
	ServerVersion string
	// Setup is how long the fixture took to become a database: a restore,
	// or an import from the fixture cache.
	Setup time.Duration
	// Start is the fixture's snapshot, before the first patch.
	Start *snapshot.Snapshot
	// Steps are the patches in order.
	Steps []PassStep
	// Checks are the size-dependent checks that ran (and those that did not).
	Checks []CheckRun
	// Total is the wall time of the whole pass.
	Total time.Duration
	// Stopped, if set, says why the pass ended before the last patch (a
	// patch that did not resume after the crash check).
	Stopped string
	// Kept are the patches after which the database was kept
	// (PassConfig.Checkpoint), and KeepTook what keeping it cost;
	// KeepError says why it could not be kept, if so.
	Kept      []string
	KeepTook  time.Duration
	KeepError string
}

// PassStep is one patch of a pass.
type PassStep struct {
	ID string
	// Before and After are the snapshots around the patch.
	Before, After *snapshot.Snapshot
	// Timing is its duration (both attempts, when the crash check hit it),
	// statements and longest lock.
	Timing PatchTiming
	// Lint are the lint's findings on its statements.
	Lint []ddllint.Finding
	// Problems are its broken budgets and row changes.
	Problems []string

	stopped bool
}

// CheckRun is one check of a pass: what, on which patch, at which size.
type CheckRun struct {
	Name  string // "crash-resume", "second up"
	Patch string // the patch it ran on; empty for the whole set
	// Rows is the size of the data it ran on (the fixture's rows).
	Rows int64
	// Took is its own cost.
	Took time.Duration
	// Detail says what it did, e.g. "crash after 30000 of 60000 rows of batch tabCustomer".
	Detail string
	// Problem is empty when the check passed.
	Problem string
}

// Rows counts the rows of s's tables.
func Rows(s *snapshot.Snapshot) int64 {
	var n int64
	for _, t := range s.Tables {
		n += t.Rows
	}
	return n
}

// Pass rehearses cfg.Set on one copy of the fixture, patch after patch. An
// error means the pass could not be done (no fixture, a patch failed, a
// server error); findings are in the steps' and checks' Problems.
func Pass(ctx context.Context, cfg PassConfig) (*PassReport, error) {
	if err := cfg.Set.Validate(); err != nil {
		return nil, fmt.Errorf("the patch set is invalid: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	sum, err := fixture.Sum(cfg.Fixture)
	if err != nil {
		return nil, err
	}
	p := &pass{cfg: cfg, r: &run{cfg: Config{Cache: cfg.Cache, Fixture: cfg.Fixture, Logger: cfg.Logger}}, tm: newTimer()}
	defer p.r.cleanup()
	rep := &PassReport{Fixture: fixtureName(cfg.Fixture), FixtureSHA256: sum}
	cfg.Logger.Info("rehearsal: fixture to database", "fixture", rep.Fixture)
	db, name, err := p.r.fresh(ctx)
	if err != nil {
		return nil, err
	}
	rep.Setup = time.Since(start)
	p.db, p.name = db, name
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&rep.ServerVersion); err != nil {
		return nil, fmt.Errorf("server version: %w", err)
	}
	if rep.Start, err = snapshot.Take(ctx, db, name); err != nil {
		return nil, err
	}
	p.rows = Rows(rep.Start)
	cfg.Logger.Info("rehearsal: fixture ready", "took", rep.Setup.Round(time.Millisecond), "tables", len(rep.Start.Tables), "rows", p.rows)
	before := rep.Start
	for i, pt := range cfg.Set.Patches {
		cfg.Logger.Info("rehearsal: patch started", "patch", pt.ID, "n", fmt.Sprintf("%d/%d", i+1, len(cfg.Set.Patches)))
		stop := p.heartbeat("patch " + pt.ID)
		step, err := p.patch(ctx, i, before, rep)
		stop()
		if err != nil {
			return rep, err
		}
		rep.Steps = append(rep.Steps, *step)
		if step.stopped {
			rep.Stopped = fmt.Sprintf("patch %s did not resume after the crash check; the patches after it were not rehearsed", pt.ID)
			cfg.Logger.Warn("rehearsal: " + rep.Stopped)
			rep.Total = time.Since(start)
			return rep, nil
		}
		cfg.Logger.Info("rehearsal: patch done", "patch", pt.ID, "took", step.Timing.Duration.Round(time.Millisecond),
			"longest_lock", step.Timing.LongestLock.Round(time.Millisecond), "elapsed", time.Since(start).Round(time.Second))
		before = step.After
		p.keep(ctx, pt.ID, rep)
		if cfg.AfterPatch != nil {
			cfg.AfterPatch(pt.ID, db)
		}
	}
	if cfg.SecondUp && len(rep.Steps) > 0 {
		c, err := p.secondUp(ctx, before)
		if err != nil {
			return rep, err
		}
		rep.Checks = append(rep.Checks, c)
	}
	rep.Total = time.Since(start)
	return rep, nil
}

// pass is the state of one Pass.
type pass struct {
	cfg  PassConfig
	r    *run
	tm   *timer
	db   *sql.DB
	name string
	rows int64
	// largest is the total of the largest batch seen so far: a batch
	// larger than it gets the crash.
	largest int64
	// kept is the directory of the last checkpoint ("" before the first).
	kept string
}

// keep keeps the database after patch id where cfg.Checkpoint says, its
// files shared with the previous checkpoint's where unchanged. After a
// failure nothing more is kept.
func (p *pass) keep(ctx context.Context, id string, rep *PassReport) {
	if p.cfg.Checkpoint == nil || rep.KeepError != "" {
		return
	}
	dir := p.cfg.Checkpoint(id)
	if dir == "" {
		return
	}
	t0 := time.Now()
	if err := p.cfg.Cache.Keep(ctx, p.name, dir, p.kept); err != nil {
		rep.KeepError = fmt.Sprintf("the database after patch %s could not be kept: %v", id, err)
		p.cfg.Logger.Warn("rehearsal: " + rep.KeepError)
		return
	}
	took := time.Since(t0)
	p.kept = dir
	rep.Kept = append(rep.Kept, id)
	rep.KeepTook += took
	p.cfg.Logger.Info("rehearsal: kept the database for the assertions of go test", "after", id, "took", took.Round(time.Millisecond))
}

// patch runs the i-th patch (an up of the set up to it), with the crash
// check when it hits one of the patch's batches, and checks its result.
func (p *pass) patch(ctx context.Context, i int, before *snapshot.Snapshot, rep *PassReport) (*PassStep, error) {
	set := p.cfg.Set
	set.Patches = p.cfg.Set.Patches[: i+1 : i+1]
	pt := set.Patches[i]
	step := &PassStep{ID: pt.ID, Before: before}
	var lint *ddllint.Linter
	if p.cfg.Lint {
		var opts []ddllint.Option
		if p.cfg.ProductionRows != nil {
			opts = append(opts, ddllint.WithRowCounts(p.cfg.ProductionRows))
		}
		var err error
		if lint, err = ddllint.New(ctx, p.db, p.name, opts...); err != nil {
			return nil, fmt.Errorf("ddl lint: %w", err)
		}
		defer lint.Close()
	}
	var lintMu sync.Mutex
	hook := func(ctx context.Context, q string) error {
		if lint != nil {
			if fs := lint.Check(ctx, q); len(fs) > 0 {
				lintMu.Lock()
				step.Lint = append(step.Lint, fs...)
				lintMu.Unlock()
			}
		}
		return p.tm.hook(ctx, q)
	}
	took, check, err := p.upWithCrash(ctx, set, hook)
	if err != nil {
		return nil, fmt.Errorf("patch %s: %w", pt.ID, err)
	}
	if check != nil {
		rep.Checks = append(rep.Checks, check.CheckRun)
		step.stopped = check.stop
	}
	timings := p.tm.finish(patch.Set{Patches: []patch.Patch{pt}}, map[string]time.Duration{pt.ID: took})
	if len(timings) == 1 {
		step.Timing = timings[0]
	} else {
		step.Timing = PatchTiming{ID: pt.ID, Duration: took, MaxDuration: pt.MaxDuration, MaxLock: pt.MaxLock}
	}
	step.Problems = append(step.Problems, budgetProblems([]PatchTiming{step.Timing})...)
	if step.After, err = snapshot.Take(ctx, p.db, p.name); err != nil {
		return nil, err
	}
	if p.cfg.RowChanges {
		step.Problems = append(step.Problems, CheckRows(pt, step.Before, step.After)...)
	}
	return step, nil
}

// upWithCrash runs set (whose last patch is pending) on a pool that can
// crash: when a batch larger than every earlier one passes its middle,
// every statement from then on fails, as when the process dies. The patch
// is then resumed by a second up on a fresh pool. It returns the patch's
// time (both attempts) and the crash check, if one ran.
func (p *pass) upWithCrash(ctx context.Context, set patch.Set, hook migrate.StatementHook) (time.Duration, *crashCheck, error) {
	id := set.Patches[len(set.Patches)-1].ID
	var crashed atomic.Bool
	var detail atomic.Value
	progress := p.cfg.Progress
	var mu sync.Mutex
	seen := map[string]bool{}
	watch := func(name string, done, total int64) {
		if progress != nil {
			progress("batch "+name, done, total)
		}
		if !p.cfg.Crash || crashed.Load() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !seen[name] {
			// Totals are the server's estimates, a few percent apart for one
			// table: a batch gets the crash when it is larger by a tenth than
			// every earlier one.
			seen[name] = true
			if total*10 <= p.largest*11 {
				seen[name+"\x00skip"] = true
			}
			p.largest = max(p.largest, total)
		}
		if seen[name+"\x00skip"] || done*2 < total {
			return
		}
		detail.Store(fmt.Sprintf("crash after %d of %d rows of batch %s", done, total, name))
		crashed.Store(true)
	}
	t0 := time.Now()
	cdb, err := crashDB(p.r.conn(p.name), &crashed, new(atomic.Bool))
	if err != nil {
		return 0, nil, err
	}
	res, err := p.up(ctx, cdb, set, hook, watch)
	cdb.Close()
	first := time.Since(t0)
	if !crashed.Load() {
		if err != nil {
			return 0, nil, err
		}
		return p.took(res, id, first), nil, nil
	}
	c := &crashCheck{CheckRun: CheckRun{Name: "crash-resume", Patch: id, Rows: p.rows, Detail: detail.Load().(string)}}
	p.cfg.Logger.Info("rehearsal: check: injected a crash, resuming", "patch", id, "detail", c.Detail)
	switch {
	case !errors.Is(err, errCrash):
		c.Problem = fmt.Sprintf("crash-resume: %s: the up did not fail after the crash (err: %v); a patch must not swallow errors", c.Detail, err)
	case res != nil:
		for _, r := range res.Patches {
			if r.ID == id && !r.RunFailed() {
				c.Problem = fmt.Sprintf("crash-resume: %s: patch %s returned success although its statements failed; a patch must not swallow errors", c.Detail, id)
			}
		}
	}
	t1 := time.Now()
	var resumedAt atomic.Int64
	resumedAt.Store(-1)
	_, err = p.up(ctx, p.db, set, hook, func(name string, done, total int64) {
		resumedAt.CompareAndSwap(-1, done)
		if progress != nil {
			progress("batch "+name, done, total)
		}
	})
	c.Took = time.Since(t1)
	if err != nil {
		c.Problem = fmt.Sprintf("crash-resume: %s: the second up failed: %v; the patch cannot resume", c.Detail, err)
		c.stop = true
		return first + c.Took, c, nil
	}
	if n := resumedAt.Load(); n >= 0 {
		c.Detail += fmt.Sprintf("; resumed, first progress at row %d", n)
	}
	return first + c.Took, c, nil
}

// crashCheck is the crash check's result; stop is set when the patch did
// not resume, so the pass cannot go on.
type crashCheck struct {
	CheckRun
	stop bool
}

// took is the runner's duration of patch id in res, else wall.
func (p *pass) took(res *migrate.UpResult, id string, wall time.Duration) time.Duration {
	if res != nil {
		for _, r := range res.Patches {
			if r.ID == id && r.Duration > 0 {
				return time.Duration(r.Duration * float64(time.Second))
			}
		}
	}
	return wall
}

// up runs set on db with the statement hook and progress.
func (p *pass) up(ctx context.Context, db *sql.DB, set patch.Set, hook migrate.StatementHook, progress migrate.ProgressFunc) (*migrate.UpResult, error) {
	m, err := migrate.New(db, set, migrate.WithLogger(p.cfg.Logger), migrate.WithStatementHook(hook), migrate.WithProgress(progress))
	if err != nil {
		return nil, err
	}
	return m.Up(ctx, migrate.UpOptions{Wait: time.Minute})
}

// secondUp checks that an up after the last patch runs nothing and leaves
// the database as it was.
func (p *pass) secondUp(ctx context.Context, last *snapshot.Snapshot) (CheckRun, error) {
	t0 := time.Now()
	c := CheckRun{Name: "second up", Rows: p.rows, Detail: "an up after the last patch runs nothing and changes nothing"}
	p.cfg.Logger.Info("rehearsal: check: second up")
	res, err := p.up(ctx, p.db, p.cfg.Set, nil, nil)
	if err != nil {
		return c, fmt.Errorf("second up: %w", err)
	}
	got, err := snapshot.Take(ctx, p.db, p.name)
	if err != nil {
		return c, err
	}
	c.Took = time.Since(t0)
	got.Patches = last.Patches
	switch d := snapshot.Compare(last, got); {
	case len(res.Patches) != 0:
		c.Problem = fmt.Sprintf("idempotency: a second up ran %d patches, want none", len(res.Patches))
	case !d.Empty():
		c.Problem = fmt.Sprintf("idempotency: after a second up, the database changed (- first run, + now):\n%s", d.String())
	}
	return c, nil
}

// RestoreReadAhead is how many bytes of statements a rehearsal's restore
// holds in memory ahead of its workers (the rest spills to disk): a quarter
// of the loader's default, so a rehearsal of a 10 M-row dump stays well
// under 500 MB.
const RestoreReadAhead = 64 << 20

// BigFixtureBytes is the file size from which a fixture counts as
// production-sized: rehearsals of it take the one pass (Pass) and run the
// size-dependent checks there, instead of the full per-patch sweep.
const BigFixtureBytes = 4 << 20

// BigFixture reports whether the fixture at path is production-sized.
func BigFixture(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() >= BigFixtureBytes
}

// heartbeat logs a line every progress.Interval while what runs (when
// progress is on): the elapsed time and the statement running, so a long
// statement without progress of its own still shows in a CI log.
func (p *pass) heartbeat(what string) (stop func()) {
	if p.cfg.Progress == nil {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(progress.Interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.cfg.Logger.Info("rehearsal: running", "what", what, "elapsed", time.Since(start).Round(time.Second), "statement", p.tm.current())
			}
		}
	}()
	return func() { close(done) }
}

// current is the statement running now (the last one the hook saw), shortened.
func (tm *timer) current() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return shorten(tm.last.query)
}
