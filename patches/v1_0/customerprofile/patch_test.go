package customerprofile_test

import (
	"context"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/internal/rehearse"
	"github.com/migtest/migtest/patches/v1_0/customerprofile"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func TestCustomerProfile(t *testing.T) {
	db := rehearse.Fixture(t, patchtest.NewDatabase)
	rehearse.Up(t, db, patches.Set)

	customers := rehearse.Count(t, db, "tabCustomer", "")
	if got := rehearse.Count(t, db, customerprofile.Table, ""); got != customers {
		t.Errorf("%d profiles for %d customers", got, customers)
	}
	backup := patch.BackupName("tabCustomer", customerprofile.Patch.ID)
	if got := rehearse.Count(t, db, backup, ""); got != customers {
		t.Errorf("backup %s has %d rows, want %d", backup, got, customers)
	}
	var invoiced, profiled string
	db.QueryRow("SELECT SUM(grand_total) FROM `tabSales Invoice` WHERE docstatus = 1").Scan(&invoiced)
	db.QueryRow("SELECT SUM(total_invoiced) FROM `tabCustomer Profile`").Scan(&profiled)
	if invoiced != profiled || invoiced == "" {
		t.Errorf("profiles total %s, invoices total %s", profiled, invoiced)
	}
	if got := rehearse.Count(t, db, customerprofile.Table, "region = 'North' AND full_name <> ''"); got != customers {
		t.Errorf("%d profiles carry region and name from the earlier patches, want %d", got, customers)
	}

	m, _ := migrate.New(db, patches.Set)
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := st.Patches[2]
	var names []string
	for _, s := range e.Steps {
		if !s.OK {
			t.Errorf("step %s failed: %s", s.Name, s.Error)
		}
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "backup,create_table,migrate_rows,validate,cleanup_prepared" {
		t.Errorf("steps = %s", got)
	}
	if !strings.Contains(e.Steps[4].Result, "DROP TABLE `"+backup+"`") {
		t.Errorf("cleanup step result %q does not name the backup", e.Steps[4].Result)
	}
	var idx string
	db.QueryRow("SELECT value FROM tabSingles WHERE doctype = 'System Settings' AND field = 'migration_index'").Scan(&idx)
	if idx != "1" {
		t.Errorf("migration_index = %s after one up, want 1", idx)
	}
}
