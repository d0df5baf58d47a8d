package migrate_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

// BeforeRun (where the CLI takes its backup) is called under the lock with
// the pending patches, only when there are some; its file is recorded in the
// run log, and its failure stops the run with nothing changed.
func TestUpBeforeRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	set := patch.Set{Patches: []patch.Patch{insertPatch("p1"), insertPatch("p2")}}
	m := newMigrator(t, db, set)

	boom := errors.New("disk full")
	_, err := m.Up(ctx, migrate.UpOptions{BeforeRun: func(context.Context, []migrate.Planned) (string, string, error) { return "", "", boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("Up with a failing BeforeRun: err = %v, want %v", err, boom)
	}
	if st, err := m.Status(ctx); err != nil || st.Applied != 0 {
		t.Fatalf("after a failed BeforeRun: %d applied (err %v), want 0", st.Applied, err)
	}

	var got []string
	res, err := m.Up(ctx, migrate.UpOptions{Only: "p2", BeforeRun: func(_ context.Context, p []migrate.Planned) (string, string, error) {
		for _, x := range p {
			got = append(got, x.ID)
		}
		return "/backups/b.sql.gz", "abc123", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"p2"}) {
		t.Errorf("BeforeRun saw %v, want [p2] (Only)", got)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastRun == nil || st.LastRun.RunID != res.RunID || st.LastRun.BackupFile != "/backups/b.sql.gz" || st.LastRun.BackupSHA256 != "abc123" {
		t.Errorf("run log = %+v, want the backup file and sum of run %s", st.LastRun, res.RunID)
	}

	called := false
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx, migrate.UpOptions{BeforeRun: func(context.Context, []migrate.Planned) (string, string, error) { called = true; return "", "", nil }}); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("BeforeRun was called with nothing pending")
	}
}
