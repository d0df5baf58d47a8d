package migtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	mtconfig "github.com/migtest/migtest/migtest/config"

	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/progress"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
)

// FullChecks runs every check at every fixture size. By default a
// production-sized fixture (rehearsal.BigFixtureBytes and up) is rehearsed
// in one pass shared by all the rehearsals of a go test run, with the
// checks whose cost grows with the data run once where size matters (one
// crash inside the largest batch, resumed; a second up that does nothing);
// with FullChecks each patch is rehearsed on its own there too, with the
// crash-point sweep and the run-the-function-again check, as on the demo
// fixture.
func FullChecks() Option { return func(c *config) { c.fullChecks = true } }

// runRehearsal rehearses rc: the demo path (rehearsal.Run, every check) for
// a small fixture or with FullChecks, the one pass for a big one.
func runRehearsal(t testing.TB, rc rehearsal.Config, full bool, srv server.Server, prod *snapshot.Snapshot) (*rehearsal.Report, error) {
	if full || !rehearsal.BigFixture(rc.Fixture) {
		return rehearsal.Run(t.Context(), rc)
	}
	pc := rehearsal.PassConfig{Set: rc.Set, Fixture: rc.Fixture, Cache: rc.Cache, Lint: rc.Lint, ProductionRows: rc.ProductionRows,
		RowChanges: rc.Compare == mtconfig.CompareRowChanges, Crash: rc.CrashResume, SecondUp: rc.Idempotency, Logger: rc.Logger}
	if testing.Verbose() {
		pc.Progress = progress.Log(rc.Logger, progress.Interval)
	}
	pr, from, err := onePass(t, rc, pc, srv)
	if err != nil {
		return nil, err
	}
	t.Logf("rehearse %s: production-sized fixture %s (%s rows): one pass over the set, from %s; checks:\n%s\nper patch:\n%s",
		label(rc.PatchID), pr.Fixture, fmt.Sprint(rehearsal.Rows(pr.Start)), from, indent(pr.ChecksTable()), indent(pr.PassTable(prod)))
	return pr.Report(rc.PatchID)
}

// onePass gets the one pass over rc's set: from the pass cache (made by
// this go test run's first rehearsal or by `migtest rehearse`), or run now
// and cached. A rehearsal with Check assertions runs them on the database
// the pass kept right after its patch, opened from the cache; where the
// database cannot be kept (a server whose data directory is elsewhere, a
// table InnoDB cannot transport), on a pass of its own. from says where
// the pass came from.
func onePass(t testing.TB, rc rehearsal.Config, pc rehearsal.PassConfig, srv server.Server) (*rehearsal.PassReport, string, error) {
	ctx := t.Context()
	cacheDir := filepath.Join(fixture.CacheDir(), "passes")
	if rc.Check == nil {
		pr, cached, err := rehearsal.CachedPass(ctx, pc, srv.Version(), rc.PatchID)
		if cached {
			return pr, "the pass cache (" + cacheDir + ")", err
		}
		return pr, "this process's pass", err
	}
	target := rc.PatchID
	if target == "" {
		target = rc.Set.Patches[len(rc.Set.Patches)-1].ID
	}
	pr, db, cached, err := rehearsal.CachedPassAt(ctx, pc, srv.Version(), rc.PatchID)
	if errors.Is(err, fixture.ErrNoCheckpoint) {
		// The assertions need the live database right after the patch: a
		// pass of this rehearsal's own, not shared.
		t.Logf("rehearse %s: the database after the patch cannot come from the pass cache (%v): running a pass of this rehearsal's own for its assertions", label(rc.PatchID), err)
		pc.AfterPatch = func(id string, db *sql.DB) {
			if id == target {
				rc.Check(db)
			}
		}
		pr, err = rehearsal.Pass(ctx, pc)
		return pr, "a pass of this rehearsal's own (its assertions need the database right after the patch)", err
	}
	if err != nil {
		return pr, "", err
	}
	defer func() { _ = db.Drop(context.WithoutCancel(ctx)) }()
	conn, err := db.Open()
	if err != nil {
		return pr, "", err
	}
	defer conn.Close()
	rc.Check(conn)
	from := "this process's pass"
	if cached {
		from = "the pass cache (" + cacheDir + ")"
	}
	return pr, from + "; the assertions ran on the database it kept after " + target, nil
}
