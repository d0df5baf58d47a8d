// Package rehearsal runs a patch set against a restored fixture on a
// disposable server and reports what it changed, whether it matches a golden
// snapshot, and whether it is idempotent and resumes after a crash. The test
// API (package migtest) and `migtest rehearse` are thin layers over Run.
package rehearsal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/snapshot"
)

// Config says what to rehearse.
type Config struct {
	// Set is the patch set.
	Set patch.Set
	// PatchID is the patch under test: the patches before it run first,
	// then a snapshot, then it. Empty rehearses the whole set.
	PatchID string
	// Fixture is the path of the fixture backup.
	Fixture string
	// Cache hands out databases restored from the fixture.
	Cache *fixture.Cache
	// Idempotency checks that a second up runs nothing and that running the
	// patch's function once more changes nothing.
	Idempotency bool
	// CrashResume fails the run at CrashPoints statements of the patch under
	// test, runs up again, and checks that the result equals a clean run's.
	CrashResume bool
	CrashPoints int
	// Check, if set, is called with the migrated database before the checks
	// that change it.
	Check func(db *sql.DB)
	// Compare is how row counts are checked: config.CompareRowChanges
	// checks them by the patch under test's declared Patch.Rows (for a
	// fixture whose counts the golden does not know, such as a
	// production-sized dump); anything else leaves them to the golden.
	Compare config.Compare
	// Lint checks every DDL statement of the run with package ddllint
	// (table rebuilds, dropped data, NOT NULL without default, lossy type
	// changes) and reports the findings in Report.Lint.
	Lint bool
	// ProductionRows, if set, are the row counts the lint judges "big"
	// tables by (e.g. a production snapshot's), instead of the fixture's.
	ProductionRows map[string]int64
	// Load, if set, runs a synthetic application workload on the tables
	// each patch writes while the patches run, and reports in Report.Load
	// how long its statements waited.
	Load *Load
	// Logger receives the engine's logs (discarded when nil).
	Logger *slog.Logger
}

// Report is what a rehearsal saw.
type Report struct {
	// Before is the snapshot before the patch under test (the fixture's
	// when the whole set is rehearsed); After the one after it, with the
	// applied patch IDs.
	Before, After *snapshot.Snapshot
	// Changes is After compared with Before.
	Changes snapshot.Diff
	// Statements counts the statements the patch under test (or the set) ran.
	Statements int
	// Timing has, per patch run, its duration, statements and longest
	// lock, with its budgets; broken budgets are also in Problems.
	Timing []PatchTiming
	// Lint are the DDL lint's findings on the statements of the run.
	Lint []ddllint.Finding
	// Load is what the workload saw per patch (with Config.Load).
	Load []PatchLoad
	// Findings are Lint with the patch of each statement and its
	// Allowance; an error finding without one is also in Problems.
	Findings []Finding
	// Problems are the failed idempotency and crash-resume checks, one line
	// (or block) each; empty when all passed.
	Problems []string
	// Crashes are the crash-resume check's crash points: where each fell
	// and whether the patch resumed.
	Crashes []CrashPoint
}

// Run rehearses cfg. An error means the rehearsal could not be done (no
// fixture, a patch failed, a server error); findings are in Report.Problems.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Set.Validate(); err != nil {
		return nil, fmt.Errorf("the patch set is invalid: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CrashPoints == 0 {
		cfg.CrashPoints = 3
	}
	before, target, err := Split(cfg.Set, cfg.PatchID)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg}
	defer r.cleanup()

	db, name, err := r.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if len(before.Patches) > 0 {
		if _, err := r.up(ctx, db, before, nil); err != nil {
			return nil, fmt.Errorf("the patches before %s: %w", cfg.PatchID, err)
		}
	}
	rep := &Report{}
	if rep.Before, err = snapshot.Take(ctx, db, name); err != nil {
		return nil, err
	}
	var count atomic.Int64
	tm := newTimer()
	lint, closeLint, err := lintHook(ctx, cfg, db, name, rep)
	if err != nil {
		return rep, err
	}
	defer closeLint()
	underTest, _ := cfg.Set.Lookup(cfg.PatchID)
	where, err := whereCounts(ctx, db, underTest)
	if err != nil {
		return rep, err
	}
	load, err := r.startLoad(ctx, name)
	if err != nil {
		return rep, err
	}
	obs := &patchrt.Observer{}
	res, err := r.up(patchrt.WithObserver(ctx, obs), db, target, func(ctx context.Context, q string) error {
		count.Add(1)
		if load != nil {
			_ = load.hook(ctx, q)
		}
		lint(ctx, q)
		return tm.hook(ctx, q)
	})
	if err != nil {
		return rep, err
	}
	if load != nil {
		rep.Load = load.finish(target)
	}
	rep.Problems = append(rep.Problems, swallowedProblems(obs)...)
	rep.Problems = append(rep.Problems, lintProblems(cfg.Set, rep.Findings)...)
	rep.Statements = int(count.Load())
	durations := map[string]time.Duration{}
	for _, p := range res.Patches {
		durations[p.ID] = time.Duration(p.Duration * float64(time.Second))
	}
	rep.Timing = tm.finish(target, durations)
	rep.Problems = append(rep.Problems, budgetProblems(rep.Timing)...)
	if rep.After, err = snapshot.Take(ctx, db, name); err != nil {
		return rep, err
	}
	if rep.After.Patches, err = applied(ctx, db, target); err != nil {
		return rep, err
	}
	rep.Changes = snapshot.Compare(rep.Before, rep.After)
	if cfg.PatchID != "" { // on every fixture: a declared change that did not happen fails the first -update too
		rep.Problems = append(rep.Problems, checkDeclaredRows(underTest, rep.Before, rep.After, where)...)
	}
	if cfg.Check != nil {
		cfg.Check(db)
	}
	if cfg.Idempotency {
		if err := r.checkIdempotent(ctx, db, name, target, rep); err != nil {
			return rep, err
		}
	}
	if cfg.CrashResume && rep.Statements > 0 {
		if err := r.checkCrashResume(ctx, before, target, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Split returns the patches before the one with id, and the set up to and
// including it (the whole set when id is empty). Both keep the set's hooks.
func Split(set patch.Set, id string) (before, target patch.Set, err error) {
	target = set
	before = patch.Set{BeforeMigrate: set.BeforeMigrate, AfterMigrate: set.AfterMigrate}
	if id == "" {
		return before, target, nil
	}
	for i, p := range set.Patches {
		if p.ID == id {
			before.Patches = set.Patches[:i:i]
			target.Patches = set.Patches[: i+1 : i+1]
			return before, target, nil
		}
	}
	return before, target, fmt.Errorf("patch %s is not in the patch set: add it to the Set in patches/patches.go (after the last patch), and rebuild a prebuilt migrate/migtest binary (make build); or check the ID", id)
}

type run struct {
	cfg      Config
	cleanups []func()
	conns    map[string]*mysql.Config // database name → its connection settings
}

func (r *run) conn(name string) *mysql.Config { return r.conns[name].Clone() }

// startLoad starts the workload of cfg.Load on database name, on a pool of
// its own; nil without cfg.Load.
func (r *run) startLoad(ctx context.Context, name string) (*loadRun, error) {
	if r.cfg.Load == nil {
		return nil, nil
	}
	db, err := sql.Open("mysql", r.conn(name).FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	l := startLoad(ctx, db, *r.cfg.Load)
	r.cleanups = append(r.cleanups, func() { l.stop(); l.wg.Wait(); db.Close() })
	return l, nil
}

func (r *run) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// fresh returns a new database holding the fixture, dropped at the end.
func (r *run) fresh(ctx context.Context) (*sql.DB, string, error) {
	d, err := r.cfg.Cache.Database(ctx, r.cfg.Fixture)
	if err != nil {
		return nil, "", err
	}
	db, err := d.Open()
	if err != nil {
		_ = d.Drop(context.WithoutCancel(ctx))
		return nil, "", err
	}
	if r.conns == nil {
		r.conns = map[string]*mysql.Config{}
	}
	r.conns[d.Name] = d.Config
	r.cleanups = append(r.cleanups, func() {
		db.Close()
		_ = d.Drop(context.Background())
	})
	return db, d.Name, nil
}

func (r *run) up(ctx context.Context, db *sql.DB, set patch.Set, hook migrate.StatementHook) (*migrate.UpResult, error) {
	opts := []migrate.Option{migrate.WithLogger(logFor(ctx, r.cfg.Logger))}
	if hook != nil {
		opts = append(opts, migrate.WithStatementHook(hook))
	}
	m, err := migrate.New(db, set, opts...)
	if err != nil {
		return nil, err
	}
	// A crashed run's connections close asynchronously on the server; its
	// lock may outlive the pool by a moment, so wait for it.
	return m.Up(ctx, migrate.UpOptions{Wait: time.Minute})
}

// applied lists the IDs of set applied on db, in order.
func applied(ctx context.Context, db *sql.DB, set patch.Set) ([]string, error) {
	m, err := migrate.New(db, set)
	if err != nil {
		return nil, err
	}
	st, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range st.Patches {
		if e.State == migrate.StateDone || e.State == migrate.StateSkipped {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}

// checkIdempotent: a second up runs nothing and changes nothing; running the
// patch under test's function (every patch's, for a whole set) once more
// changes nothing, so a patch is safe to retry after a failure.
func (r *run) checkIdempotent(ctx context.Context, db *sql.DB, name string, target patch.Set, rep *Report) error {
	ctx = quietly(ctx)
	res, err := r.up(ctx, db, target, nil)
	if err != nil {
		return fmt.Errorf("idempotency: a second up: %w", err)
	}
	if len(res.Patches) != 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("idempotency: a second up ran %d patches, want none", len(res.Patches)))
	}
	if err := r.same(ctx, db, name, rep, "idempotency: after a second up"); err != nil {
		return err
	}
	pdb := patchrt.NewDB[*patch.DB](db, nil)
	for _, p := range target.Patches {
		if r.cfg.PatchID != "" && p.ID != r.cfg.PatchID {
			continue
		}
		pc := patchrt.NewContext[*patch.Context](p.ID, pdb, patchrt.Config{Logger: logFor(ctx, r.cfg.Logger)})
		obs := &patchrt.Observer{}
		if err := p.Run(patchrt.WithObserver(patchrt.ContextWithID(ctx, p.ID), obs), pc); err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("idempotency: running patch %s once more failed: %v; a patch must be safe to run again after a failure", p.ID, err))
			return nil
		}
		for _, sw := range swallowedProblems(obs) {
			rep.Problems = append(rep.Problems, "idempotency: running the patch once more: "+sw)
		}
	}
	return r.same(ctx, db, name, rep, "idempotency: after running the patch's function once more")
}

// checkCrashResume fails the run at a few statements, runs up again, and
// compares with a clean run. The set's hooks are left out of these runs so
// that only the patches' own statements count.
func (r *run) checkCrashResume(ctx context.Context, before, target patch.Set, rep *Report) error {
	// Batches run in small chunks here, so that a crash can land between
	// two committed chunks on a small fixture too.
	ctx = patchrt.WithChunkCap(quietly(ctx), chunkCap(rep.Before))
	noHooks := patch.Set{Patches: target.Patches}
	prepare := func() (*sql.DB, string, error) {
		db, name, err := r.fresh(ctx)
		if err != nil {
			return nil, "", err
		}
		if len(before.Patches) > 0 {
			if _, err := r.up(ctx, db, before, nil); err != nil {
				return nil, "", err
			}
		}
		return db, name, nil
	}
	ref, refName, err := prepare()
	if err != nil {
		return fmt.Errorf("crash-resume: %w", err)
	}
	var n atomic.Int64
	if _, err := r.up(ctx, ref, noHooks, func(context.Context, string) error { n.Add(1); return nil }); err != nil {
		return fmt.Errorf("crash-resume: clean run: %w", err)
	}
	want, err := snapshot.Take(ctx, ref, refName)
	if err != nil {
		return err
	}
	total := int(n.Load())
	// The crash points, and one past the last statement: the patch has
	// done its work, the runner's patch-log write is what fails.
	for _, k := range append(CrashPoints(total, r.cfg.CrashPoints), total+1) {
		db, name, err := prepare()
		if err != nil {
			return fmt.Errorf("crash-resume: %w", err)
		}
		if err := r.crashAt(ctx, k, total, noHooks, db, name, want, rep); err != nil {
			return err
		}
	}
	return nil
}

// same records a problem when db's snapshot differs from rep.After.
func (r *run) same(ctx context.Context, db *sql.DB, name string, rep *Report, what string) error {
	got, err := snapshot.Take(ctx, db, name)
	if err != nil {
		return err
	}
	got.Patches = rep.After.Patches
	if d := snapshot.Compare(rep.After, got); !d.Empty() {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s, the database changed (- first run, + now):\n%s", what, d.String()))
	}
	return nil
}

// CrashPoints picks up to n of total statements to fail at: the first, the
// last and evenly spaced ones between.
func CrashPoints(total, n int) []int {
	if total <= 0 || n <= 0 {
		return nil
	}
	seen := map[int]bool{}
	var out []int
	for j := range n {
		k := 1
		if n > 1 {
			k = 1 + j*(total-1)/(n-1)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// ErrGoldenMissing is returned by CompareGolden when the golden file does not exist.
var ErrGoldenMissing = errors.New("golden file missing")

// CompareGolden compares got with the golden snapshot file at path. With
// config.CompareRowChanges, row counts are left out (a production-sized fixture has other
// counts than the one the golden was written from).
func CompareGolden(path string, got *snapshot.Snapshot, mode config.Compare) (snapshot.Diff, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return snapshot.Diff{}, fmt.Errorf("%w: %s", ErrGoldenMissing, path)
	}
	if err != nil {
		return snapshot.Diff{}, fmt.Errorf("read golden: %w", err)
	}
	want, err := snapshot.Parse(b)
	if err != nil {
		return snapshot.Diff{}, fmt.Errorf("golden file %s is corrupt: %w; rewrite it with -update (or --update) and review the diff", path, err)
	}
	if mode == config.CompareRowChanges {
		want, got = want.SchemaOnly(), got.SchemaOnly()
	}
	return snapshot.Compare(want, got), nil
}

// WriteGolden writes got to path (creating its directory).
func WriteGolden(path string, got *snapshot.Snapshot) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write golden: %w", err)
	}
	if err := os.WriteFile(path, got.Format(), 0o644); err != nil {
		return fmt.Errorf("write golden: %w", err)
	}
	return nil
}
