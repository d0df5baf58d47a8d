package rehearsal_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
)

// counted is a patch that runs stmt and counts its runs in n.
func counted(id, stmt string, n *atomic.Int32) patch.Patch {
	return patch.Patch{ID: id, Description: "test patch " + id, Run: func(ctx context.Context, pc *patch.Context) error {
		n.Add(1)
		_, err := pc.DB.Exec(ctx, stmt)
		return err
	}}
}

// keptState says what the database opened from a checkpoint holds: the
// rows of kept_t and whether it has column c.
func keptState(t *testing.T, d *server.Database) string {
	t.Helper()
	t.Cleanup(func() { _ = d.Drop(context.Background()) })
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, cols int
	if err := db.QueryRow("SELECT COUNT(*) FROM kept_t").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'kept_t' AND COLUMN_NAME = 'c'").Scan(&cols); err != nil {
		t.Fatal(err)
	}
	var customers int
	if err := db.QueryRow("SELECT COUNT(*) FROM tabCustomer").Scan(&customers); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d rows, column c %t, customers %t", rows, cols == 1, customers > 0)
}

// TestCachedPassAt: rehearsals whose assertions need the database right
// after their patch get it from the databases the one pass kept, so the
// patches run once for all of them; a pass cached without kept databases
// is run again keeping them; a later patch's failure is not an earlier
// patch's; on a server whose data directory is elsewhere the caller is
// told to run a pass of its own.
func TestCachedPassAt(t *testing.T) {
	fx, cache := demo(t)
	t.Setenv("MIGTEST_CACHE", t.TempDir())
	ctx := context.Background()
	var ones, twos, fails atomic.Int32
	one := counted("t.one", "CREATE TABLE kept_t (id int PRIMARY KEY) SELECT 1 AS id", &ones)
	two := counted("t.two", "ALTER TABLE kept_t ADD COLUMN c int NOT NULL DEFAULT 0", &twos)
	cfg := rehearsal.PassConfig{Set: patch.Set{Patches: []patch.Patch{one, two}}, Fixture: fx, Cache: cache}
	if !cache.CanKeep() {
		if _, _, _, err := rehearsal.CachedPassAt(ctx, cfg, "v1", one.ID); !errors.Is(err, fixture.ErrNoCheckpoint) {
			t.Fatalf("a server without a local data directory: %v; want ErrNoCheckpoint", err)
		}
		return
	}
	at := func(cfg rehearsal.PassConfig, id string, wantCached bool, want string) {
		t.Helper()
		rep, d, cached, err := rehearsal.CachedPassAt(ctx, cfg, "v1", id)
		if err != nil {
			t.Fatalf("CachedPassAt(%s): %v", id, err)
		}
		if cached != wantCached {
			t.Errorf("CachedPassAt(%s): cached %t, want %t", id, cached, wantCached)
		}
		if got := keptState(t, d); got != want {
			t.Errorf("the database after %s: %s, want %s", id, got, want)
		}
		if _, err := rep.Report(id); err != nil {
			t.Errorf("report of %s: %v", id, err)
		}
	}
	at(cfg, one.ID, false, "1 rows, column c false, customers true")
	at(cfg, two.ID, true, "1 rows, column c true, customers true")
	at(cfg, one.ID, true, "1 rows, column c false, customers true")
	if ones.Load() != 1 || twos.Load() != 1 {
		t.Fatalf("three rehearsals ran the patches %d and %d times, want once each", ones.Load(), twos.Load())
	}

	// A pass cached by a rehearsal without assertions kept nothing: it is
	// run again, keeping the databases.
	other := cfg
	other.Set.Patches = []patch.Patch{one, two}
	other.Set.Patches[1].Description += " (changed)"
	if _, cached, err := rehearsal.CachedPass(ctx, other, "v1", ""); err != nil || cached {
		t.Fatalf("CachedPass of a new set: cached %t, %v", cached, err)
	}
	at(other, two.ID, false, "1 rows, column c true, customers true")
	if ones.Load() != 3 || twos.Load() != 3 {
		t.Errorf("after the pass without kept databases and the one with: patches ran %d and %d times, want 3 each", ones.Load(), twos.Load())
	}

	// A database InnoDB cannot transport cannot be kept: the caller is told
	// so (it runs a pass of its own), and the pass is not run again to try.
	var arias atomic.Int32
	aria := cfg
	aria.Set.Patches = []patch.Patch{counted("t.aria", "CREATE TABLE kept_aria (id int PRIMARY KEY) ENGINE=Aria", &arias)}
	for range 2 {
		if _, _, _, err := rehearsal.CachedPassAt(ctx, aria, "v1", "t.aria"); !errors.Is(err, fixture.ErrNoCheckpoint) || !strings.Contains(err.Error(), "kept_aria") {
			t.Errorf("a database with an Aria table: %v; want ErrNoCheckpoint naming the table", err)
		}
	}
	if arias.Load() != 1 {
		t.Errorf("the pass that could not keep its database ran %d times, want once", arias.Load())
	}

	// A later patch fails: the earlier one's rehearsal still passes, the
	// failing one's fails naming it.
	failing := cfg
	failing.Set.Patches = []patch.Patch{one, counted("t.fail", "INSERT INTO no_such_table VALUES (1)", &fails)}
	at(failing, one.ID, false, "1 rows, column c false, customers true")
	if _, _, _, err := rehearsal.CachedPassAt(ctx, failing, "v1", "t.fail"); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("the failing patch's rehearsal: %v; want its error", err)
	}
	if fails.Load() != 1 {
		t.Errorf("the failing patch ran %d times, want once (the failed pass is cached)", fails.Load())
	}
}
