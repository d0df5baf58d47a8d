package addcustomregion_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_0/addcustomregion"
)

// TestMain stops the test binary's shared MariaDB when the tests end.
func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearse restores the demo fixture, runs the patches before this one,
// then this one, and compares the result with
// snapshots/patches/v1_0/addcustomregion/TestRehearse.snap; it also checks
// that the patch is idempotent and resumes after a crash, and what it did
// to the data.
func TestRehearse(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Patch(addcustomregion.Patch.ID), migtest.Check(checkRegions))
}

// checkRegions: every customer is in North, the Custom Field is declared
// once, and running the patch again keeps a region set since.
func checkRegions(t testing.TB, db *sql.DB) {
	total := count(t, db, "SELECT COUNT(*) FROM tabCustomer")
	if got := count(t, db, "SELECT COUNT(*) FROM tabCustomer WHERE custom_region = 'North'"); got != total || total == 0 {
		t.Errorf("%d of %d customers have custom_region North", got, total)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM `tabCustom Field` WHERE dt = 'Customer' AND fieldname = 'custom_region'"); got != 1 {
		t.Errorf("%d Custom Field rows for custom_region, want 1", got)
	}
	var name string
	if err := db.QueryRow("SELECT name FROM tabCustomer ORDER BY name LIMIT 1").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE tabCustomer SET custom_region = 'South' WHERE name = ?", name); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DELETE FROM migtest_patch_log WHERE id = ?", addcustomregion.Patch.ID); err != nil {
		t.Fatal(err)
	}
	m, err := migrate.New(db, patches.Set)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background(), migrate.UpOptions{Only: addcustomregion.Patch.ID}); err != nil {
		t.Fatalf("run the patch again: %v", err)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM `tabCustom Field` WHERE fieldname = 'custom_region'"); got != 1 {
		t.Errorf("re-run: %d Custom Field rows, want 1", got)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM tabCustomer WHERE custom_region = 'South'"); got != 1 {
		t.Errorf("re-run overwrote a set region: %d South, want 1", got)
	}
	// Put the row back, so the rehearsal's own checks that follow see the patch's result.
	if _, err := db.Exec("UPDATE tabCustomer SET custom_region = 'North' WHERE name = ?", name); err != nil {
		t.Fatal(err)
	}
}

func count(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
