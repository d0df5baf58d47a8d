package cli

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/progress"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
)

// runRehearsal runs the rehearsal of rehearse: on a production-sized
// fixture (unless --full-checks) the one pass, stored in the pass cache for
// the go test rehearsals that follow, with the table of checks and the
// per-patch table on stdout; else every check per patch (rehearsal.Run).
func (a *app) runRehearsal(ctx context.Context, o rehearseOpts, srv server.Server, prod *snapshot.Snapshot) (*rehearsal.Report, error) {
	var logp func(string, int64, int64)
	if !a.quiet {
		logp = progress.Log(a.log, progress.Interval)
	}
	restore := func(ctx context.Context, db *sql.DB, database string, r io.Reader) error {
		opts := []dump.RestoreOption{dump.WithRestoreLogger(a.log), dump.WithReadAhead(rehearsal.RestoreReadAhead, 4<<30)}
		if f, ok := r.(*os.File); ok && logp != nil {
			if st, err := f.Stat(); err == nil {
				opts = append(opts, dump.WithTotalBytes(st.Size()))
			}
			opts = append(opts, dump.WithRestoreProgress(func(p dump.Progress) { logp("restore bytes", p.Bytes, p.TotalBytes) }))
		}
		st, err := dump.Restore(ctx, db, database, r, opts...)
		if err == nil {
			a.log.Info("rehearsal: fixture restored", "rows", st.Rows, "took", st.Duration.Round(time.Millisecond))
		}
		return err
	}
	cache := fixture.NewCache(srv, restore)
	if o.fullChecks || !rehearsal.BigFixture(o.fixture) {
		return rehearsal.Run(ctx, rehearsal.Config{
			Set: a.set, PatchID: o.patchID, Fixture: o.fixture, Cache: cache,
			Idempotency: o.idem, CrashResume: o.crash, RowChanges: o.schemaOnly, Lint: true, ProductionRows: rowsOf(prod), Logger: a.log,
		})
	}
	pr, err := rehearsal.StorePass(ctx, rehearsal.PassConfig{
		Set: a.set, Fixture: o.fixture, Cache: cache, Lint: true, ProductionRows: rowsOf(prod), RowChanges: o.schemaOnly,
		Crash: o.crash, SecondUp: o.idem, Logger: a.log, Progress: logp,
	}, srv.Version())
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stdout, "one pass over %s (%d rows, %s to a database): checks by size:\n", pr.Fixture, rehearsal.Rows(pr.Start), pr.Setup.Round(1e6))
	writeIndented(a.stdout, pr.ChecksTable())
	fmt.Fprintln(a.stdout, "per patch:")
	writeIndented(a.stdout, pr.PassTable(prod))
	return pr.Report(o.patchID)
}
