package customerprofile_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_0/customerprofile"
)

// TestMain stops the test binary's shared MariaDB when the tests end.
func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearse restores the demo fixture, runs the patches before this one,
// then this one, and compares the result with
// snapshots/patches/v1_0/customerprofile/TestRehearse.snap; it also checks
// that the patch is idempotent and resumes after a crash, and the profiles
// and steps it wrote.
func TestRehearse(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Patch(customerprofile.Patch.ID), migtest.Check(checkProfiles))
}

// checkProfiles: one profile per customer carrying the earlier patches'
// region and name, invoice totals that add up, the copy-aside backup, and
// the patch's named steps in order.
func checkProfiles(t testing.TB, db *sql.DB) {
	customers := count(t, db, "SELECT COUNT(*) FROM tabCustomer")
	if got := count(t, db, "SELECT COUNT(*) FROM "+patch.QuoteIdent(customerprofile.Table)); got != customers {
		t.Errorf("%d profiles for %d customers", got, customers)
	}
	backup := patch.BackupName("tabCustomer", customerprofile.Patch.ID)
	if got := count(t, db, "SELECT COUNT(*) FROM "+patch.QuoteIdent(backup)); got != customers {
		t.Errorf("backup %s has %d rows, want %d", backup, got, customers)
	}
	var invoiced, profiled sql.NullString
	_ = db.QueryRow("SELECT SUM(grand_total) FROM `tabSales Invoice` WHERE docstatus = 1").Scan(&invoiced)
	_ = db.QueryRow("SELECT SUM(total_invoiced) FROM `tabCustomer Profile`").Scan(&profiled)
	if invoiced != profiled || !invoiced.Valid {
		t.Errorf("profiles total %v, invoices total %v", profiled, invoiced)
	}
	if got := count(t, db, "SELECT COUNT(*) FROM "+patch.QuoteIdent(customerprofile.Table)+" WHERE region = 'North' AND full_name <> ''"); got != customers {
		t.Errorf("%d profiles carry region and name from the earlier patches, want %d", got, customers)
	}
	m, err := migrate.New(db, patches.Set)
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var e *migrate.Entry
	for i := range st.Patches {
		if st.Patches[i].ID == customerprofile.Patch.ID {
			e = &st.Patches[i]
		}
	}
	if e == nil {
		t.Fatalf("%s is not in the status", customerprofile.Patch.ID)
	}
	var names []string
	for _, s := range e.Steps {
		if !s.OK {
			t.Errorf("step %s failed: %s", s.Name, s.Error)
		}
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "backup,create_table,migrate_rows,validate,cleanup_prepared" {
		t.Fatalf("steps = %s", got)
	}
	if !strings.Contains(e.Steps[4].Result, "DROP TABLE `"+backup+"`") {
		t.Errorf("cleanup step result %q does not name the backup", e.Steps[4].Result)
	}
}

func count(t testing.TB, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
