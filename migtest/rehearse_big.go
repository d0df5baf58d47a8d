package migtest

import (
	"database/sql"
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
	var err error
	pc := rehearsal.PassConfig{Set: rc.Set, Fixture: rc.Fixture, Cache: rc.Cache, Lint: rc.Lint, ProductionRows: rc.ProductionRows,
		RowChanges: rc.Compare == mtconfig.CompareRowChanges, Crash: rc.CrashResume, SecondUp: rc.Idempotency, Logger: rc.Logger}
	if testing.Verbose() {
		pc.Progress = progress.Log(rc.Logger, progress.Interval)
	}
	var pr *rehearsal.PassReport
	from := "this process's pass"
	if rc.Check != nil {
		// The assertions need the live database right after the patch:
		// a pass of this rehearsal's own, not shared.
		target := rc.PatchID
		if target == "" && len(rc.Set.Patches) > 0 {
			target = rc.Set.Patches[len(rc.Set.Patches)-1].ID
		}
		pc.AfterPatch = func(id string, db *sql.DB) {
			if id == target {
				rc.Check(db)
			}
		}
		pr, err = rehearsal.Pass(t.Context(), pc)
	} else {
		var cached bool
		pr, cached, err = rehearsal.CachedPass(t.Context(), pc, srv.Version())
		if cached {
			from = "the pass cache (" + filepath.Join(fixture.CacheDir(), "passes") + ")"
		}
	}
	if err != nil {
		return nil, err
	}
	t.Logf("rehearse %s: production-sized fixture %s (%s rows): one pass over the set, from %s; checks:\n%s\nper patch:\n%s",
		label(rc.PatchID), pr.Fixture, fmt.Sprint(rehearsal.Rows(pr.Start)), from, indent(pr.ChecksTable()), indent(pr.PassTable(prod)))
	return pr.Report(rc.PatchID)
}
