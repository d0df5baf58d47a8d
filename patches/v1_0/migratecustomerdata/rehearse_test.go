package migratecustomerdata_test

import (
	"database/sql"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_0/migratecustomerdata"
)

// TestRehearse restores the demo fixture, runs the patches before this one,
// then this one, and compares the result with
// snapshots/patches/v1_0/migratecustomerdata/TestRehearse.snap; it also
// checks that the patch is idempotent and resumes after a crash, and the
// data it migrated.
func TestRehearse(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Patch(migratecustomerdata.Patch.ID), migtest.Check(checkMigrated))
}

// checkMigrated: every customer completed, names and emails from the
// primary contact where there is one, no email from nowhere, and the five
// Custom Fields declared.
func checkMigrated(t testing.TB, db *sql.DB) {
	total := count(t, db, "tabCustomer", "")
	if got := count(t, db, "tabCustomer", "custom_migration_status = 'Completed' AND custom_migration_date IS NOT NULL AND custom_full_name <> ''"); got != total {
		t.Errorf("%d of %d customers completed", got, total)
	}
	if got := count(t, db, "tabCustomer", "customer_primary_contact IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tabContact c WHERE c.name = customer_primary_contact AND custom_full_name = CONCAT(c.first_name, ' ', c.last_name) AND custom_primary_email = c.email_id)"); got != 0 {
		t.Errorf("%d customers with a contact have a full name or email not from it", got)
	}
	if got := count(t, db, "tabCustomer", "customer_primary_contact IS NULL AND email_id IS NULL AND custom_primary_email IS NOT NULL"); got != 0 {
		t.Errorf("%d customers got an email from nowhere", got)
	}
	if got := count(t, db, "`tabCustom Field`", "dt = 'Customer' AND fieldname LIKE 'custom_%'"); got != 5 {
		t.Errorf("%d Customer custom fields, want 5", got)
	}
}

// count is SELECT COUNT(*) FROM table [WHERE where].
func count(t testing.TB, db *sql.DB, table, where string) int {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
