package rehearsal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/snapshot"
)

// CrashPoint is one crash of the crash-resume check: where it fell and
// whether the next up resumed to a clean run's result.
type CrashPoint struct {
	// At is the statement the crash failed (Of+1: after the last one, at
	// the runner's patch-log write); Of counts the patches' statements.
	At, Of int
	// Patch is the patch the crash hit.
	Patch string
	// Where says where it fell: DDL, inside a batch, a step boundary, the
	// patch log.
	Where string
	// Resumed is true when the next up ended where a clean run does.
	Resumed bool
}

// String is the crash point on one line.
func (c CrashPoint) String() string {
	at := fmt.Sprintf("statement %d of %d", c.At, c.Of)
	if c.At > c.Of {
		at = fmt.Sprintf("after statement %d of %d", c.Of, c.Of)
	}
	out := "resumed to a clean run's result"
	if !c.Resumed {
		out = "did NOT resume (see the problem)"
	}
	p := ""
	if c.Patch != "" {
		p = " of " + c.Patch
	}
	return fmt.Sprintf("%s%s: %s; %s", at, p, c.Where, out)
}

// chunkCap is the chunk size of the crash-resume runs' batches: an eighth
// of the biggest table, so a batch over it runs in several chunks.
func chunkCap(before *snapshot.Snapshot) int {
	var most int64
	if before != nil {
		for _, t := range before.Tables {
			most = max(most, t.Rows)
		}
	}
	return int(min(max(most/8, 10), 10000))
}

// place follows the statements of a crashed run to say where the crash
// fell.
type place struct {
	mu        sync.Mutex
	patch     string
	inTx      bool
	commits   int
	sincePrev int // statements of the current patch so far
	prevQuery string
}

func (p *place) see(id, q string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id != "" && id != p.patch { // a helper's background lookups carry no ID
		p.patch, p.inTx, p.commits, p.sincePrev = id, false, 0, 0
	}
	p.sincePrev++
	switch strings.ToUpper(strings.TrimSpace(q)) {
	case "BEGIN":
		p.inTx = true
	case "COMMIT":
		p.inTx = false
		p.commits++
	}
	p.prevQuery = q
}

// where describes statement q, which the crash failed.
func (p *place) where(q string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	up := strings.ToUpper(strings.TrimSpace(q))
	switch {
	case strings.Contains(q, "migtest_patch_log"):
		return "the patch log (a checkpoint or step record of the patch)"
	case up == "COMMIT" || (p.inTx && up != "BEGIN"):
		if p.commits > 0 {
			return fmt.Sprintf("inside a batch: in chunk %d, after %d committed chunks", p.commits+1, p.commits)
		}
		return "inside a transaction, before its first commit"
	case up == "BEGIN" && p.commits > 0:
		return fmt.Sprintf("a step boundary: between chunk %d and %d of a batch", p.commits, p.commits+1)
	case locking(q) && !strings.HasPrefix(up, "INSERT") && !strings.HasPrefix(up, "UPDATE") && !strings.HasPrefix(up, "DELETE") && !strings.HasPrefix(up, "REPLACE"):
		return "DDL: " + shorten(q)
	case p.sincePrev == 0 || p.patch == "":
		return "a patch boundary: its first statement, " + shorten(q)
	}
	return "a statement: " + shorten(q)
}

// crashAt runs the patches on db's database through a pool that fails
// from the k-th patch statement on (after the last one when k > total),
// runs up again, and compares with want.
func (r *run) crashAt(ctx context.Context, k, total int, set patch.Set, db *sql.DB, name string, want *snapshot.Snapshot, rep *Report) error {
	what := fmt.Sprintf("crash-resume: crash at statement %d of %d, then up", k, total)
	if k > total {
		what = fmt.Sprintf("crash-resume: crash after the last statement (%d), at the patch log, then up", total)
	}
	var crashed, armed atomic.Bool
	cdb, err := crashDB(r.conn(name), &crashed, &armed)
	if err != nil {
		return err
	}
	var i atomic.Int64
	var hit atomic.Value // the patch the crash hit
	var pl place
	cp := CrashPoint{At: k, Of: total}
	// A batch looks up its next chunk's bound on another goroutine while a
	// chunk runs, so the hook is called from two at once: pl and cp are
	// guarded.
	var mu sync.Mutex
	res, err := r.up(ctx, cdb, set, func(ctx context.Context, q string) error {
		mu.Lock()
		defer mu.Unlock()
		n := int(i.Add(1))
		id := patchrt.IDFromContext(ctx)
		switch {
		case crashed.Load():
			return errCrash
		case k > total && n == total:
			armed.Store(true) // this statement runs; the next one (the runner's) fails
			hit.Store(id)
		case n >= k:
			if id == "" {
				id = pl.patch // COMMIT carries no ID
			}
			hit.Store(id)
			cp.Where = pl.where(q)
			crashed.Store(true)
			return errCrash
		}
		pl.see(id, q)
		return nil
	})
	cdb.Close()
	mu.Lock()
	defer mu.Unlock()
	if k > total {
		cp.Where = "the patch log: the patch's work is done, recording it as done fails"
	}
	cp.Patch, _ = hit.Load().(string)
	if !crashed.Load() {
		// Adaptive batches may run fewer statements than the clean run
		// did; a crash point past the end is no finding.
		r.cfg.Logger.Debug("crash point not reached: the run had fewer statements", "crash_at", k, "ran", i.Load())
		return nil
	}
	defer func() { rep.Crashes = append(rep.Crashes, cp) }()
	if !errors.Is(err, errCrash) {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the run did not fail after the crash (err: %v)", what, err))
		return nil
	}
	if res != nil && k <= total {
		for _, p := range res.Patches {
			if p.ID == cp.Patch && !p.RunFailed() {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: patch %s returned success although its statements failed; a patch must not swallow errors", what, cp.Patch))
			}
		}
	}
	if _, err := r.up(ctx, db, set, nil); err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s (%s): the second up failed: %v; the patch cannot resume", what, cp.Where, err))
		return nil
	}
	got, err := snapshot.Take(ctx, db, name)
	if err != nil {
		return err
	}
	got.Patches = want.Patches
	if d := snapshot.Compare(want, got); !d.Empty() {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s (%s): the database differs from a clean run's (- clean, + resumed):\n%s", what, cp.Where, d.String()))
		return nil
	}
	cp.Resumed = true
	return nil
}
