// Package migtest is the test-facing API of migtest: Rehearse restores a
// fixture backup into a disposable MariaDB, runs the patch set, and diffs the
// resulting schema and row counts against a golden snapshot file, with
// idempotency and crash-resume checks for free.
//
//	func TestAddCustomRegion(t *testing.T) {
//		migtest.Rehearse(t, patches.Set, migtest.Patch(addcustomregion.Patch.ID))
//	}
//
// `go test ./... -update` rewrites the golden files under snapshots/.
package migtest

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/migtest/snapshot"
)

// update is the one -update flag of every test binary that imports migtest;
// a test package must not define its own.
var update = flag.Bool("update", false, "rewrite the golden snapshot files of rehearsals")

// DefaultFixture is the fixture rehearsals restore unless told otherwise,
// relative to the module root.
const DefaultFixture = "fixtures/demo-site.sql.gz"

// Option configures Rehearse.
type Option func(*config)

type config struct {
	fixture     string
	patchID     string
	golden      string
	checks      []func(testing.TB, *sql.DB)
	idempotency bool
	crashResume bool
	crashPoints int
	srv         server.Server
	fullChecks  bool
}

// Fixture restores path (.sql or .sql.gz) instead of the default fixture.
// MIGTEST_FIXTURE, when set, wins over both.
func Fixture(path string) Option { return func(c *config) { c.fixture = path } }

// Patch rehearses the patch with this ID: every patch before it runs first,
// then a snapshot, then the patch, whose result is diffed against the
// golden file. Without Patch the whole set is rehearsed.
func Patch(id string) Option { return func(c *config) { c.patchID = id } }

// Golden names the golden snapshot file; a relative path is taken from the
// module root. The default is snapshots/<package dir>/<test name>.snap, e.g.
// snapshots/patches/v1_1/addterritory/TestRehearse.snap.
func Golden(path string) Option { return func(c *config) { c.golden = path } }

// Check adds an assertion on the migrated database, run after the golden diff.
func Check(fn func(t testing.TB, db *sql.DB)) Option {
	return func(c *config) { c.checks = append(c.checks, fn) }
}

// WithoutIdempotencyCheck turns off the check that a second up runs nothing
// and that running the patch's function once more changes nothing.
func WithoutIdempotencyCheck() Option { return func(c *config) { c.idempotency = false } }

// WithoutCrashResumeCheck turns off the check that a run failed at the k-th
// statement, then run again, ends where a clean run does.
func WithoutCrashResumeCheck() Option { return func(c *config) { c.crashResume = false } }

// CrashPoints sets how many statements the crash-resume check fails at (default 3).
func CrashPoints(n int) Option { return func(c *config) { c.crashPoints = n } }

// OnServer rehearses on srv instead of the process's shared server.
func OnServer(srv server.Server) Option { return func(c *config) { c.srv = srv } }

// Result is what a rehearsal saw.
type Result struct {
	// Before is the snapshot before the patch under test (the fixture's,
	// when the whole set is rehearsed); After is the snapshot after it.
	Before, After *snapshot.Snapshot
	// Changes is what the patch under test (or the set) changed.
	Changes snapshot.Diff
	// Golden is the golden file compared with.
	Golden string
}

// Rehearse restores the fixture into a fresh database on a disposable
// server, runs set (up to and including the patch under test), and compares
// the snapshot with the golden file. It fails t with a readable diff on a
// mismatch, a missing golden (naming the command that writes it), a patch
// that is not idempotent, or one that does not resume after a crash.
func Rehearse(t testing.TB, set patch.Set, opts ...Option) *Result {
	t.Helper()
	cfg := config{idempotency: true, crashResume: true, crashPoints: 3}
	for _, o := range opts {
		o(&cfg)
	}
	def := cfg.fixture
	if def == "" {
		def = DefaultFixture
	}
	fixturePath, err := fixture.Path(def)
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	srv := cfg.srv
	if srv == nil {
		srv = sharedServer(t)
	}
	rc := rehearsal.Config{
		Set: set, PatchID: cfg.patchID, Fixture: fixturePath, Cache: cacheFor(srv),
		Idempotency: cfg.idempotency, CrashResume: cfg.crashResume, CrashPoints: cfg.crashPoints,
		RowChanges: os.Getenv(fixture.EnvFixture) != "", Lint: true, Logger: testLogger(t),
	}
	if len(cfg.checks) > 0 {
		rc.Check = func(db *sql.DB) {
			for _, check := range cfg.checks {
				check(t, db)
			}
		}
	}
	rep, err := runRehearsal(t, rc, cfg.fullChecks, srv)
	if err != nil {
		t.Fatalf("rehearse %s: %v", label(cfg.patchID), err)
	}
	res := &Result{Before: rep.Before, After: rep.After, Changes: rep.Changes, Golden: cfg.golden}
	t.Logf("rehearse %s on %s (%s): %d statements; changes:\n%s\ntiming:\n%s", label(cfg.patchID), filepath.Base(fixturePath), srv.Version(), rep.Statements,
		indent(rep.Changes.String()), indent(rehearsal.TimingTable(rep.Timing)))
	for _, f := range rep.Lint {
		if f.Severity != ddllint.Info {
			t.Logf("rehearse %s: ddl lint: %s", label(cfg.patchID), f)
		}
	}
	if res.Golden == "" {
		res.Golden = defaultGolden(t)
	} else if !filepath.IsAbs(res.Golden) {
		root, err := fixture.ModuleRoot()
		if err != nil {
			t.Fatalf("rehearse: %v", err)
		}
		res.Golden = filepath.Join(root, res.Golden)
	}
	for _, p := range rep.Problems {
		t.Errorf("rehearse %s: %s", label(cfg.patchID), p)
	}
	compareGolden(t, res.Golden, rep.After, os.Getenv(fixture.EnvFixture) != "")
	return res
}

// compareGolden writes (with -update) or compares the golden file. With a
// MIGTEST_FIXTURE override only the schema is compared: a production-sized
// dump has other row counts.
func compareGolden(t testing.TB, path string, got *snapshot.Snapshot, schemaOnly bool) {
	t.Helper()
	rerun := fmt.Sprintf("go test %s -run '^%s$' -update", pkgPattern(), strings.SplitN(t.Name(), "/", 2)[0])
	if *update {
		if schemaOnly {
			t.Fatalf("rehearse: -update with MIGTEST_FIXTURE set would write the big fixture's row counts into %s; unset MIGTEST_FIXTURE to update goldens", path)
		}
		if err := rehearsal.WriteGolden(path, got); err != nil {
			t.Fatalf("rehearse: %v", err)
		}
		t.Logf("wrote golden %s", path)
		return
	}
	d, err := rehearsal.CompareGolden(path, got, schemaOnly)
	if errors.Is(err, rehearsal.ErrGoldenMissing) {
		t.Fatalf("rehearse: golden file %s does not exist; create it with: %s, then review and commit it", path, rerun)
	}
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	if !d.Empty() {
		t.Errorf("rehearse: the database differs from golden %s (- golden, + this run):\n%s\nif the change is intended: %s", path, indent(d.String()), rerun)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// defaultGolden is snapshots/<package dir>/<test name>.snap at the module
// root: every patch package may have its TestRehearse without two sharing
// a golden.
func defaultGolden(t testing.TB) string {
	root, err := fixture.ModuleRoot()
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	return filepath.Join(root, "snapshots", filepath.FromSlash(strings.TrimPrefix(pkgPattern(), "./")), unsafeName.ReplaceAllString(t.Name(), "_")+".snap")
}

// pkgPattern is ./path/of/the/test/package from the module root.
func pkgPattern() string {
	root, err := fixture.ModuleRoot()
	wd, err2 := os.Getwd()
	if err != nil || err2 != nil {
		return "."
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil || rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

func label(id string) string {
	if id == "" {
		return "the whole set"
	}
	return "patch " + id
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (none)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// testLogger sends the engine's logs to t.Log, at warning level unless -v.
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var _ io.Writer = tWriter{}

// sharedServer returns the process's shared disposable server, or skips
// (fails, where a server is required) when none can be had.
func sharedServer(t testing.TB) server.Server {
	t.Helper()
	return servertest.Server(t)
}

var (
	cachesMu sync.Mutex
	caches   = map[server.Server]*fixture.Cache{}
)

// cacheFor returns the restored-fixture cache of srv, one per server per process.
func cacheFor(srv server.Server) *fixture.Cache {
	cachesMu.Lock()
	defer cachesMu.Unlock()
	c := caches[srv]
	if c == nil {
		c = fixture.NewCache(srv, restore)
		caches[srv] = c
	}
	return c
}

// restore loads a dump into database with the dump package's loader.
func restore(ctx context.Context, db *sql.DB, database string, r io.Reader) error {
	_, err := dump.Restore(ctx, db, database, r, dump.WithReadAhead(rehearsal.RestoreReadAhead, 4<<30))
	return err
}
