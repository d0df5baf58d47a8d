package rehearsal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/filelock"
	"github.com/migtest/migtest/migtest/internal/fsutil"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
)

// The pass cache lets the per-patch rehearsals share one pass over a big
// fixture: test binaries of different packages run in parallel processes,
// so the first one to ask runs the pass over its whole set under a file
// lock and writes it to MIGTEST_CACHE/passes; the others read it from
// there. `migrate rehearse` writes the same entries, so the go test
// rehearsals after it in CI (make rehearse-big) read its pass.
//
// An entry is found by a key per patch-set prefix (the set up to and
// including the patch a rehearsal asks for), like Go's test cache keyed by
// what the result depends on: the fixture's sha256, the server version,
// the pass's options, the Go version, the migtest library (its module
// version, or the sha256 of its Go files when it is the main module), and
// per patch of the prefix its ID, description, budgets, declared rows, and
// its code: the names of its Run and Verify functions and the sha256 of
// the Go files (tests included) of the package each is in (the same for the set's
// hooks). A change to any of them makes a new pass; delete
// MIGTEST_CACHE/passes to make one anyway.

// CachedPass returns the pass over cfg.Set from the pass cache when a
// process of this go test run has made it, and runs it (then caches it)
// otherwise. version is the server's version. cached says which. A patch
// that failed in the cached pass is an error when it is through (a patch
// ID) or before it; through "" means the whole set.
func CachedPass(ctx context.Context, cfg PassConfig, version, through string) (rep *PassReport, cached bool, err error) {
	e, n, err := openEntry(cfg, version, through)
	if err != nil {
		return nil, false, err
	}
	if rep, err := e.load(n); !errors.Is(err, fs.ErrNotExist) {
		return rep, true, err
	}
	unlock, err := e.lock(ctx)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if rep, err := e.load(n); !errors.Is(err, fs.ErrNotExist) {
		return rep, true, err
	}
	e.cfg.Logger.Info("rehearsal: no pass of this set in the cache yet; running it", "cache", e.dir)
	rep, err = e.run(ctx, false, n)
	return rep, false, err
}

// CachedPassAt is CachedPass for a rehearsal whose assertions need the
// database right after patch id: it also returns a fresh database opened
// from the checkpoint the pass kept after id (the caller drops it). A
// pass cached without that checkpoint is run again, keeping them. It
// returns an error wrapping fixture.ErrNoCheckpoint when the database
// cannot be kept (a server whose data directory is not on this machine, a
// table InnoDB cannot transport): the caller then runs a pass of its own.
func CachedPassAt(ctx context.Context, cfg PassConfig, version, id string) (*PassReport, *server.Database, bool, error) {
	if cfg.Cache == nil || !cfg.Cache.CanKeep() {
		return nil, nil, false, fixture.ErrNoCheckpoint
	}
	e, n, err := openEntry(cfg, version, id)
	if err != nil {
		return nil, nil, false, err
	}
	if id == "" {
		id = cfg.Set.Patches[len(cfg.Set.Patches)-1].ID
	}
	kept := e.kept(n - 1)
	// settled: the cache answers (a kept database, a pass that could not
	// keep one, a failure) without running the pass again.
	settled := func(rep *PassReport, err error) bool {
		switch {
		case err != nil:
			return !errors.Is(err, fs.ErrNotExist)
		default:
			return exists(kept) || rep.KeepError != ""
		}
	}
	rep, err := e.load(n)
	cached := settled(rep, err)
	if !cached {
		unlock, lerr := e.lock(ctx)
		if lerr != nil {
			return nil, nil, false, lerr
		}
		defer unlock()
		if rep, err = e.load(n); settled(rep, err) {
			cached = true
		} else {
			e.cfg.Logger.Info("rehearsal: no pass of this set with the database kept after each patch in the cache yet; running it", "cache", e.dir)
			rep, err = e.run(ctx, true, n)
		}
	}
	if err != nil {
		return rep, nil, false, err
	}
	if !exists(kept) {
		why := rep.KeepError
		if why == "" {
			why = "the pass kept no database after patch " + id
		}
		return rep, nil, cached, fmt.Errorf("%w: %s", fixture.ErrNoCheckpoint, why)
	}
	db, err := cfg.Cache.OpenCheckpoint(ctx, kept)
	return rep, db, cached, err
}

// StorePass runs the pass over cfg.Set and stores it in the pass cache for
// the rehearsals that come after (`migrate rehearse`, then go test), with
// the database kept after each patch when the server allows it, for the
// rehearsals whose assertions need it.
func StorePass(ctx context.Context, cfg PassConfig, version string) (*PassReport, error) {
	e, _, err := openEntry(cfg, version, "")
	if err != nil {
		return nil, err
	}
	unlock, err := e.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return e.run(ctx, cfg.Cache != nil && cfg.Cache.CanKeep(), len(e.keys))
}

// entry is the pass cache's place for the pass over one set on one
// fixture and server: a file per prefix of the set, and the directories
// of the databases kept after each patch.
type entry struct {
	cfg     PassConfig
	version string
	dir     string   // MIGTEST_CACHE/passes
	sum     string   // the fixture's sha256
	keys    []string // per prefix of the set
}

// openEntry returns the entry of cfg's pass and the length of the prefix
// up to and including patch through (the whole set for "").
func openEntry(cfg PassConfig, version, through string) (*entry, int, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sum, err := fixture.Sum(cfg.Fixture)
	if err != nil {
		return nil, 0, err
	}
	e := &entry{cfg: cfg, version: version, dir: filepath.Join(fixture.CacheDir(), "passes"), sum: sum}
	if err := os.MkdirAll(e.dir, 0o700); err != nil {
		return nil, 0, fmt.Errorf("pass cache: %w (set MIGTEST_CACHE to a writable directory)", err)
	}
	e.keys = prefixKeys(cfg, sum, version)
	if len(e.keys) == 0 {
		return nil, 0, errors.New("the patch set is empty: nothing to rehearse")
	}
	n := len(e.keys)
	if through != "" {
		n = 0
		for i, p := range cfg.Set.Patches {
			if p.ID == through {
				n = i + 1
			}
		}
		if n == 0 {
			return nil, 0, fmt.Errorf("patch %s is not in the rehearsed set; check the ID", through)
		}
	}
	return e, n, nil
}

func (e *entry) lock(ctx context.Context) (func(), error) {
	return filelock.Lock(ctx, filepath.Join(e.dir, e.sum[:16]+".lock"), 2*time.Hour)
}

// kept is the directory of the database kept after the i-th patch.
func (e *entry) kept(i int) string {
	return filepath.Join(e.dir, e.sum[:16]+"-"+e.keys[i]+".db")
}

// load reads the pass over the entry's set (fs.ErrNotExist: not cached);
// a failure of one of its first n patches is an error.
func (e *entry) load(n int) (*PassReport, error) {
	return loadPass(filepath.Join(e.dir, e.keys[len(e.keys)-1]+".json"), len(e.keys), n)
}

// run runs the pass (keeping the database after each patch when keep is
// set), stores it under every prefix's key, and returns it as load(n)
// would. The caller holds the lock.
func (e *entry) run(ctx context.Context, keep bool, n int) (*PassReport, error) {
	if _, err := e.store(ctx, keep); err != nil {
		var pe *migrate.PatchError
		if !errors.As(err, &pe) {
			return nil, err
		}
	}
	return e.load(n)
}

// store runs the pass and writes it to the cache unless it could not be
// done at all (an error that is not a patch's: not cached).
func (e *entry) store(ctx context.Context, keep bool) (*PassReport, error) {
	cfg := e.cfg
	if keep {
		e.dropKept()
		kept := map[string]string{}
		for i, p := range cfg.Set.Patches {
			kept[p.ID] = e.kept(i)
		}
		cfg.Checkpoint = func(id string) string { return kept[id] }
	}
	rep, err := Pass(ctx, cfg)
	var pe *migrate.PatchError
	if err != nil && (rep == nil || !errors.As(err, &pe)) {
		return rep, err // not a finding of the patches: not cached
	}
	w := toWire(rep)
	if err != nil {
		w.Failed, w.FailedAt = err.Error(), len(rep.Steps)
	}
	b, merr := json.Marshal(w)
	if merr != nil {
		return rep, fmt.Errorf("pass cache: %w", merr)
	}
	for _, k := range e.keys {
		if werr := fsutil.WriteFileAtomic(filepath.Join(e.dir, k+".json"), b, 0o600); werr != nil {
			return rep, fmt.Errorf("pass cache: %w", werr)
		}
	}
	return rep, err
}

// dropKept deletes the databases kept by earlier passes over this
// fixture, and this set's own, before a pass keeps them anew: the cache
// holds one pass's worth per fixture (a checkpoint shares the files of
// unchanged tables with the one before it, so that is about one copy of
// the fixture plus the tables the patches changed).
func (e *entry) dropKept() {
	old, _ := filepath.Glob(filepath.Join(e.dir, e.sum[:16]+"-*.db"))
	for _, d := range old {
		if err := os.RemoveAll(d); err != nil {
			e.cfg.Logger.Warn("pass cache: could not delete an old checkpoint", "dir", d, "err", err)
		}
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// loadPass reads a cached pass and cuts it to its first cut patches; a
// failure of one of its first n patches is an error.
func loadPass(path string, cut, n int) (*PassReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w wirePass
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("pass cache %s is corrupt: %w; delete it", path, err)
	}
	rep, err := fromWire(&w)
	if err != nil {
		return nil, fmt.Errorf("pass cache %s: %w; delete it", path, err)
	}
	if w.Failed != "" && w.FailedAt < n {
		return rep.Prefix(cut), fmt.Errorf("%s (the pass of this go test run, from the cache)", w.Failed)
	}
	return rep.Prefix(cut), nil
}

// Prefix returns the pass as if it had run only its first n patches: the
// checks on later patches, and the second up when it ran after them, are
// left out.
func (pr *PassReport) Prefix(n int) *PassReport {
	if n >= len(pr.Steps) {
		return pr
	}
	out := *pr
	out.Steps = pr.Steps[:n]
	out.Checks = nil
	in := map[string]bool{}
	for _, s := range out.Steps {
		in[s.ID] = true
	}
	for _, c := range pr.Checks {
		if c.Patch != "" && in[c.Patch] {
			out.Checks = append(out.Checks, c)
		}
	}
	return &out
}

// prefixKeys returns the cache key of each prefix of cfg.Set.
func prefixKeys(cfg PassConfig, sum, version string) []string {
	h := sha256.New()
	fmt.Fprintf(h, "migtest pass v1\nfixture %s\nserver %s\ngo %s\nlibrary %s\n", sum, version, runtime.Version(), librarySum())
	fmt.Fprintf(h, "lint %t rows %t crash %t secondup %t production %s\n", cfg.Lint, cfg.RowChanges, cfg.Crash, cfg.SecondUp, rowsKey(cfg.ProductionRows))
	fmt.Fprintf(h, "hooks %s %s\n", funcPrint(cfg.Set.BeforeMigrate), funcPrint(cfg.Set.AfterMigrate))
	var keys []string
	for _, p := range cfg.Set.Patches {
		fmt.Fprintf(h, "patch %q %q %d %d %v intx %t run %s verify %s\n", p.ID, p.Description, p.MaxDuration, p.MaxLock, p.Rows, p.InTx,
			funcPrint(p.Run), funcPrint(p.Verify))
		keys = append(keys, hex.EncodeToString(h.Sum(nil))[:32])
	}
	return keys
}

func rowsKey(m map[string]int64) string {
	if m == nil {
		return "-"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%q %d\n", n, m[n])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// funcPrint is a function's name and the sha256 of the Go files of its
// package directory ("-" for nil).
func funcPrint(fn any) string {
	v := reflect.ValueOf(fn)
	if fn == nil || v.IsNil() {
		return "-"
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "?"
	}
	file, _ := f.FileLine(f.Entry())
	return f.Name() + "@" + dirSum(filepath.Dir(file))
}

var (
	dirSumsMu sync.Mutex
	dirSums   = map[string]string{}
)

// dirSum hashes the .go files of dir, tests included (a patch may be
// defined in a test file) (once per process); "?" when
// the sources are not on this machine.
func dirSum(dir string) string {
	dirSumsMu.Lock()
	defer dirSumsMu.Unlock()
	if s, ok := dirSums[dir]; ok {
		return s
	}
	h := sha256.New()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	sort.Strings(files)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n++
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		_, _ = h.Write(b)
	}
	s := "?"
	if n > 0 {
		s = hex.EncodeToString(h.Sum(nil))[:16]
	}
	dirSums[dir] = s
	return s
}

// librarySum identifies the migtest library this binary runs: its module
// version and sum when it is a dependency, else (the main module, during
// development) the sha256 of the Go files of its packages.
func librarySum() string {
	librarySumOnce.Do(func() {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, d := range bi.Deps {
				if d.Path == "github.com/migtest/migtest" && d.Version != "(devel)" && d.Version != "" {
					libSum = d.Version + " " + d.Sum
					return
				}
			}
		}
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			libSum = "?"
			return
		}
		root := filepath.Dir(filepath.Dir(file)) // migtest/
		h := sha256.New()
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if err == nil && d.IsDir() {
				fmt.Fprintf(h, "%s %s\n", path[len(root):], dirSum(path))
			}
			return nil
		})
		libSum = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return libSum
}

var (
	librarySumOnce sync.Once
	libSum         string
)

// wirePass is a PassReport on disk: snapshots in their text format.
type wirePass struct {
	Fixture       string        `json:"fixture"`
	FixtureSHA256 string        `json:"fixture_sha256"`
	ServerVersion string        `json:"server_version"`
	Setup         time.Duration `json:"setup_ns"`
	Total         time.Duration `json:"total_ns"`
	Start         string        `json:"start"`
	Steps         []wireStep    `json:"steps"`
	Checks        []CheckRun    `json:"checks"`
	Stopped       string        `json:"stopped,omitempty"`
	Failed        string        `json:"failed,omitempty"`
	FailedAt      int           `json:"failed_at,omitempty"` // the index of the patch that failed
	Kept          []string      `json:"kept,omitempty"`
	KeepTook      time.Duration `json:"keep_ns,omitempty"`
	KeepError     string        `json:"keep_error,omitempty"`
	Created       time.Time     `json:"created"`
}

type wireStep struct {
	ID       string            `json:"id"`
	Before   string            `json:"before"`
	After    string            `json:"after"`
	Patches  []string          `json:"patches"`
	Timing   PatchTiming       `json:"timing"`
	Lint     []ddllint.Finding `json:"lint,omitempty"`
	Problems []string          `json:"problems,omitempty"`
}

func toWire(pr *PassReport) *wirePass {
	w := &wirePass{Fixture: pr.Fixture, FixtureSHA256: pr.FixtureSHA256, ServerVersion: pr.ServerVersion, Setup: pr.Setup, Total: pr.Total,
		Start: string(pr.Start.Format()), Checks: pr.Checks, Stopped: pr.Stopped, Created: time.Now().UTC(),
		Kept: pr.Kept, KeepTook: pr.KeepTook, KeepError: pr.KeepError}
	for _, s := range pr.Steps {
		w.Steps = append(w.Steps, wireStep{ID: s.ID, Before: string(s.Before.Format()), After: string(s.After.Format()), Patches: s.After.Patches,
			Timing: s.Timing, Lint: s.Lint, Problems: s.Problems})
	}
	return w
}

func fromWire(w *wirePass) (*PassReport, error) {
	pr := &PassReport{Fixture: w.Fixture, FixtureSHA256: w.FixtureSHA256, ServerVersion: w.ServerVersion, Setup: w.Setup, Total: w.Total,
		Checks: w.Checks, Stopped: w.Stopped, Kept: w.Kept, KeepTook: w.KeepTook, KeepError: w.KeepError}
	var err error
	if pr.Start, err = snapshot.Parse([]byte(w.Start)); err != nil {
		return nil, err
	}
	for _, s := range w.Steps {
		st := PassStep{ID: s.ID, Timing: s.Timing, Lint: s.Lint, Problems: s.Problems}
		if st.Before, err = snapshot.Parse([]byte(s.Before)); err != nil {
			return nil, err
		}
		if st.After, err = snapshot.Parse([]byte(s.After)); err != nil {
			return nil, err
		}
		st.After.Patches = s.Patches
		pr.Steps = append(pr.Steps, st)
	}
	return pr, nil
}
