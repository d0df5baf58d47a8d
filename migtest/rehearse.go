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

	mtconfig "github.com/migtest/migtest/migtest/config"
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

// Option configures Rehearse. Each option is named for the setting it
// sets; one given a bad value fails the rehearsal with an error that names
// the option and the fix.
type Option func(*config)

type config struct {
	fixture     string
	production  bool // the fixture is a production-sized dump
	compare     CompareMode
	patchID     string
	golden      string
	checks      []func(testing.TB, *sql.DB)
	idempotency bool
	crashResume bool
	crashPoints int
	srv         server.Server
	errs        []error
	image       string
	load        bool
	fullChecks  bool
}

func (c *config) bad(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// CompareMode is how a rehearsal compares row counts with the golden file.
type CompareMode = mtconfig.Compare

const (
	// RowCounts compares the schema and every table's absolute row count
	// with the golden: for the fixture the golden was written from. It is
	// the default.
	RowCounts = mtconfig.CompareRowCounts
	// RowChanges compares the schema with the golden and checks row counts
	// by the patch under test's declared Patch.Rows: for a fixture with
	// other counts (a production-sized dump). A production fixture
	// (ProductionFixture or MIGTEST_FIXTURE) turns it on.
	RowChanges = mtconfig.CompareRowChanges
)

// Fixture restores path (.sql or .sql.gz; relative to the module root)
// instead of the default fixture, as the fixture the golden was written
// from. It wins over MIGTEST_FIXTURE.
func Fixture(path string) Option {
	return func(c *config) {
		if path == "" {
			c.bad("migtest.Fixture(\"\"): the path is empty; name a .sql or .sql.gz file, or leave the option out for %s", DefaultFixture)
		}
		c.fixture, c.production = path, false
	}
}

// ProductionFixture restores path, a production-sized dump whose row
// counts the golden does not know: the rehearsal compares the schema with
// the golden and row counts by each patch's declared Patch.Rows
// (RowChanges), as with MIGTEST_FIXTURE. It wins over MIGTEST_FIXTURE.
func ProductionFixture(path string) Option {
	return func(c *config) {
		if path == "" {
			c.bad("migtest.ProductionFixture(\"\"): the path is empty; name a .sql or .sql.gz file")
		}
		c.fixture, c.production = path, true
	}
}

// Compare sets how row counts are compared, whatever the fixture:
// RowCounts or RowChanges.
func Compare(mode CompareMode) Option {
	return func(c *config) {
		if mode != RowCounts && mode != RowChanges {
			c.bad("migtest.Compare(%s): not a mode; use migtest.RowCounts or migtest.RowChanges", mode)
		}
		c.compare = mode
	}
}

// Patch rehearses the patch with this ID: every patch before it runs first,
// then a snapshot, then the patch, whose result is diffed against the
// golden file. Without Patch the whole set is rehearsed.
func Patch(id string) Option {
	return func(c *config) {
		if id == "" {
			c.bad("migtest.Patch(\"\"): the ID is empty; give the patch's ID (Patch.ID), or leave the option out to rehearse the whole set")
		}
		c.patchID = id
	}
}

// Golden names the golden snapshot file; a relative path is taken from the
// module root. The default is snapshots/<package dir>/<test name>.snap, e.g.
// snapshots/patches/v1_1/addterritory/TestRehearse.snap.
func Golden(path string) Option {
	return func(c *config) {
		if path == "" {
			c.bad("migtest.Golden(\"\"): the path is empty; name a .snap file, or leave the option out for the default under snapshots/")
		}
		c.golden = path
	}
}

// Check adds an assertion on the migrated database, run after the golden diff.
func Check(fn func(t testing.TB, db *sql.DB)) Option {
	return func(c *config) {
		if fn == nil {
			c.bad("migtest.Check(nil): give a func(t testing.TB, db *sql.DB)")
			return
		}
		c.checks = append(c.checks, fn)
	}
}

// Builtin names a check every rehearsal makes unless skipped.
type Builtin int

const (
	// Idempotency: a second up runs nothing, and running the patch's
	// function once more changes nothing.
	Idempotency Builtin = iota + 1
	// CrashResume: a run failed at the k-th statement, then run again,
	// ends where a clean run does (CrashPoints sets how many k).
	CrashResume
)

func (b Builtin) String() string {
	switch b {
	case Idempotency:
		return "Idempotency"
	case CrashResume:
		return "CrashResume"
	}
	return fmt.Sprintf("Builtin(%d)", int(b))
}

// Skip turns off built-in checks: migtest.Skip(migtest.Idempotency).
func Skip(checks ...Builtin) Option {
	return func(c *config) {
		for _, b := range checks {
			switch b {
			case Idempotency:
				c.idempotency = false
			case CrashResume:
				c.crashResume = false
			default:
				c.bad("migtest.Skip(%s): not a built-in check; use migtest.Idempotency or migtest.CrashResume", b)
			}
		}
	}
}

// CrashPoints sets how many statements the crash-resume check fails at
// (default 3: the first, middle and last).
func CrashPoints(n int) Option {
	return func(c *config) {
		if n < 1 {
			c.bad("migtest.CrashPoints(%d): want 1 or more; leave the option out for 3, or use migtest.Skip(migtest.CrashResume) to turn the check off", n)
		}
		c.crashPoints = n
	}
}

// Server rehearses on srv instead of the process's shared server.
func Server(srv server.Server) Option {
	return func(c *config) {
		if srv == nil {
			c.bad("migtest.Server(nil): give a started server.Server, or leave the option out for the shared one")
		}
		c.srv = srv
	}
}

// OnServer rehearses on srv.
//
// Deprecated: use Server.
func OnServer(srv server.Server) Option { return Server(srv) }

// WithoutIdempotencyCheck turns off the idempotency check.
//
// Deprecated: use Skip(Idempotency).
func WithoutIdempotencyCheck() Option { return Skip(Idempotency) }

// WithoutCrashResumeCheck turns off the crash-resume check.
//
// Deprecated: use Skip(CrashResume).
func WithoutCrashResumeCheck() Option { return Skip(CrashResume) }

// OnImage rehearses on a disposable server of this Docker image instead of
// the shared server: a server version production runs or will run, e.g.
// "migtest/mariadb:11.8" (make images builds migtest/mariadb:10.5, :10.11,
// :11.8 and migtest/mysql:9). The server is started for the test and
// stopped when it ends; the DDL lint's findings name its version. Without a
// Docker engine or the image the test is skipped (failed under CI or
// MIGTEST_REQUIRE).
func OnImage(image string) Option { return func(c *config) { c.image = image } }

// UnderLoad runs a synthetic application workload (reads and row locks by
// primary key) on the tables each patch writes while it runs, and logs per
// patch the longest wait of an application statement and its p99.
func UnderLoad() Option { return func(c *config) { c.load = true } }

// Result is what a rehearsal saw.
type Result struct {
	// Before is the snapshot before the patch under test (the fixture's,
	// when the whole set is rehearsed); After is the snapshot after it.
	Before, After *snapshot.Snapshot
	// Changes is what the patch under test (or the set) changed.
	Changes snapshot.Diff
	// Golden is the golden file compared with.
	Golden string
	// Server is the VERSION() of the server rehearsed on.
	Server string
	// Lint is the DDL lint's findings on the run's statements; each names
	// the server version it applies to.
	Lint []ddllint.Finding
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
	if err := errors.Join(cfg.errs...); err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	fx, err := fixture.Find(cfg.fixture, DefaultFixture)
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	fixturePath := fx.Value
	// a production fixture compares row changes, however it was given
	compare := mtconfig.ResolveCompare(cfg.compare, cfg.production || fx.Source == mtconfig.FromEnv)
	srv := cfg.srv
	switch {
	case srv == nil && cfg.image != "":
		srv = imageServer(t, cfg.image)
	case srv == nil:
		srv = sharedServer(t)
	}
	root, err := fixture.ModuleRoot()
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	prod, prodFile, err := rehearsal.Production(root, "")
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	rc := rehearsal.Config{
		Set: set, PatchID: cfg.patchID, Fixture: fixturePath, Cache: cacheFor(srv),
		Idempotency: cfg.idempotency, CrashResume: cfg.crashResume, CrashPoints: cfg.crashPoints,
		Compare: compare, Lint: true, ProductionRows: prod.RowCounts(), Logger: testLogger(t),
	}
	if cfg.load {
		rc.Load = &rehearsal.Load{}
	}
	if len(cfg.checks) > 0 {
		rc.Check = func(db *sql.DB) {
			for _, check := range cfg.checks {
				check(t, db)
			}
		}
	}
	rep, err := runRehearsal(t, rc, cfg.fullChecks, srv, prod)
	if err != nil {
		t.Fatalf("rehearse %s: %v", label(cfg.patchID), err)
	}
	res := &Result{Before: rep.Before, After: rep.After, Changes: rep.Changes, Golden: cfg.golden, Server: srv.Version(), Lint: rep.Lint}
	sum := rehearsal.Summary{Label: label(cfg.patchID), Fixture: filepath.Base(fixturePath), Server: srv.Version(),
		Report: rep, Production: prod, ProductionFile: relTo(root, prodFile)}
	printSummary(t, sum)
	if cfg.load {
		t.Logf("rehearse %s: application waits under load:\n%s", label(cfg.patchID), indent(rehearsal.LoadTable(rep.Load)))
	}
	if res.Golden == "" {
		res.Golden = defaultGolden(t)
	} else if !filepath.IsAbs(res.Golden) {
		res.Golden = filepath.Join(root, res.Golden)
	}
	for _, p := range rep.Problems {
		t.Errorf("rehearse %s: %s", label(cfg.patchID), p)
	}
	g := golden{path: res.Golden, rel: relTo(root, res.Golden), patchID: cfg.patchID, mode: compare, set: set}
	if *update {
		g.write(t, rep)
	} else {
		g.compare(t, rep)
	}
	return res
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

// imageServer starts a disposable server of image for t, stopped (and its
// fixture cache dropped) when t ends.
func imageServer(t testing.TB, image string) server.Server {
	t.Helper()
	srv, err := server.Start(t.Context(), server.WithProvider(server.ProviderDocker), server.WithImage(image))
	if err != nil {
		if servertest.Required() {
			t.Fatalf("rehearse: no server of image %s, and one is required here (CI or MIGTEST_REQUIRE set): %v", image, err)
		}
		t.Skipf("rehearse: no server of image %s: %v", image, err)
	}
	t.Cleanup(func() {
		cachesMu.Lock()
		delete(caches, srv)
		cachesMu.Unlock()
		if err := srv.Close(); err != nil {
			t.Errorf("rehearse: stop the server of %s: %v", image, err)
		}
	})
	return srv
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
