package addcustomregion_test

import (
	"testing"

	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/internal/rehearse"
	"github.com/migtest/migtest/patches/v1_0/addcustomregion"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func TestAddCustomRegion(t *testing.T) {
	db := rehearse.Fixture(t, patchtest.NewDatabase)
	total := rehearse.Count(t, db, "tabCustomer", "")
	set := rehearse.Upto(t, patches.Set, addcustomregion.Patch.ID)
	rehearse.Up(t, db, set)

	if got := rehearse.Count(t, db, "tabCustomer", "custom_region = 'North'"); got != total || total == 0 {
		t.Errorf("%d of %d customers have custom_region North", got, total)
	}
	if got := rehearse.Count(t, db, "tabCustom Field", "dt = 'Customer' AND fieldname = 'custom_region'"); got != 1 {
		t.Errorf("%d Custom Field rows for custom_region, want 1", got)
	}
	var idx string
	db.QueryRow("SELECT value FROM tabSingles WHERE doctype = 'System Settings' AND field = 'migration_index'").Scan(&idx)
	if idx != "1" {
		t.Errorf("migration_index = %s, want 1", idx)
	}
	// Re-running the patch body is harmless: mark it pending and run again.
	db.Exec("UPDATE tabCustomer SET custom_region = 'South' WHERE name = 'CUST-000001'")
	db.Exec("DELETE FROM migtest_patch_log")
	rehearse.Up(t, db, set)
	if got := rehearse.Count(t, db, "tabCustom Field", "fieldname = 'custom_region'"); got != 1 {
		t.Errorf("re-run: %d Custom Field rows, want 1", got)
	}
	if got := rehearse.Count(t, db, "tabCustomer", "custom_region = 'South'"); got != 1 {
		t.Errorf("re-run overwrote a set region: %d South, want 1", got)
	}
}
