package rehearsal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
)

// TestLoad: a patch holding row locks on tabCustomer for 600ms makes the
// workload's locking statements wait for them; an INSTANT column on
// tabCustomer does not; the workload changes no data (the snapshot shows
// only the patches' changes).
func TestLoad(t *testing.T) {
	t.Parallel()
	fx, cache := demo(t)
	holdLocks := patch.Patch{ID: "v1.hold_locks", InTx: true, Run: func(ctx context.Context, pc *patch.Context) error {
		if _, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `modified` = `modified`"); err != nil {
			return err
		}
		time.Sleep(600 * time.Millisecond)
		return nil
	}}
	instant := patch.Patch{ID: "v1.instant", Run: func(ctx context.Context, pc *patch.Context) error {
		if err := pc.AddColumn(ctx, "tabCustomer", "load_note", "varchar(20) NULL"); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond) // let the workload run
		return nil
	}}
	rep, err := rehearsal.Run(context.Background(), rehearsal.Config{
		Set: patch.Set{Patches: []patch.Patch{holdLocks, instant}}, Fixture: fx, Cache: cache, Load: &rehearsal.Load{},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("waits:\n%s", rehearsal.LoadTable(rep.Load))
	if len(rep.Load) != 2 || rep.Load[0].ID != "v1.hold_locks" || rep.Load[1].ID != "v1.instant" {
		t.Fatalf("load per patch: %+v", rep.Load)
	}
	held, free := rep.Load[0], rep.Load[1]
	for _, pl := range rep.Load {
		// Every session blocks behind the held lock sooner or later: at
		// least one statement each.
		if pl.Statements < 4 || strings.Join(pl.Tables, ",") != "tabCustomer" || pl.Errors != 0 || pl.P99 > pl.Longest {
			t.Errorf("%s: %+v", pl.ID, pl)
		}
	}
	// A lock held for 600ms: some locking statement started early in it
	// and waited for most of it.
	if held.Longest < 300*time.Millisecond || !strings.HasPrefix(held.LongestStmt, "UPDATE") {
		t.Errorf("under a 600ms row lock the longest wait is %s (%s)", held.Longest, held.LongestStmt)
	}
	if free.Longest >= held.Longest {
		t.Errorf("an INSTANT column made the workload wait %s, as long as a held lock (%s)", free.Longest, held.Longest)
	}
	if got := rep.Changes.String(); !strings.Contains(got, "load_note") || strings.Contains(got, "rows") {
		t.Errorf("changes beyond the new column: %s", got)
	}
}
