package devcli

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/progress"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
)

// runRehearsal runs the rehearsal of rehearse: on a production-sized
// fixture (unless --full-checks or --load) the one pass, stored in the pass
// cache for the go test rehearsals that follow, with the table of checks
// and the per-patch table on stdout; else every check per patch
// (rehearsal.Run).
func runRehearsal(ctx context.Context, env *cli.Env, o rehearseOpts, srv server.Server, prod *snapshot.Snapshot) (*rehearsal.Report, error) {
	logp := progress.Log(env.Log(), progress.Interval)
	restore := func(ctx context.Context, db *sql.DB, database string, r io.Reader) error {
		opts := []dump.RestoreOption{dump.WithRestoreLogger(env.Log()), dump.WithReadAhead(rehearsal.RestoreReadAhead, 4<<30)}
		if f, ok := r.(*os.File); ok {
			if st, err := f.Stat(); err == nil {
				opts = append(opts, dump.WithTotalBytes(st.Size()))
			}
			opts = append(opts, dump.WithRestoreProgress(func(p dump.Progress) { logp("restore bytes", p.Bytes, p.TotalBytes) }))
		}
		st, err := dump.Restore(ctx, db, database, r, opts...)
		if err == nil {
			env.Log().Info("rehearsal: fixture restored", "rows", st.Rows, "took", st.Duration.Round(time.Millisecond))
		}
		return err
	}
	cache := fixture.NewCache(srv, restore)
	if o.fullChecks || o.load || !rehearsal.BigFixture(o.fixture) {
		var load *rehearsal.Load
		if o.load {
			load = &rehearsal.Load{}
		}
		return rehearsal.Run(ctx, rehearsal.Config{Load: load,
			Set: env.Set(), PatchID: o.patchID, Fixture: o.fixture, Cache: cache,
			Idempotency: o.idem, CrashResume: o.crash, Compare: compareMode(o.schemaOnly), Lint: true, ProductionRows: prod.RowCounts(), Logger: env.Log(),
		})
	}
	pr, err := rehearsal.StorePass(ctx, rehearsal.PassConfig{
		Set: env.Set(), Fixture: o.fixture, Cache: cache, Lint: true, ProductionRows: prod.RowCounts(), RowChanges: compareMode(o.schemaOnly) == config.CompareRowChanges,
		Crash: o.crash, SecondUp: o.idem, Logger: env.Log(), Progress: logp,
	}, srv.Version())
	if err != nil {
		return nil, err
	}
	out := env.Stdout()
	fmt.Fprintf(out, "one pass over %s (%d rows, %s to a database): checks by size:\n", pr.Fixture, rehearsal.Rows(pr.Start), pr.Setup.Round(time.Millisecond))
	writeIndented(out, pr.ChecksTable())
	fmt.Fprintln(out, "per patch:")
	writeIndented(out, pr.PassTable(prod))
	switch {
	case pr.KeepError != "":
		fmt.Fprintf(out, "not kept for the assertions of go test (each rehearsal with assertions runs a pass of its own): %s\n", pr.KeepError)
	case len(pr.Kept) > 0:
		fmt.Fprintf(out, "kept the database after each of the %d patches in the pass cache for the assertions of go test (took %s)\n", len(pr.Kept), pr.KeepTook.Round(time.Millisecond))
	}
	return pr.Report(o.patchID)
}
