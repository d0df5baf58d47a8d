package migratecustomerdata_test

import (
	"context"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/internal/rehearse"
	"github.com/migtest/migtest/patches/v1_0/migratecustomerdata"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func TestMigrateCustomerData(t *testing.T) {
	t.Parallel()
	db := rehearse.Fixture(t, patchtest.NewDatabase)
	rehearse.Up(t, db, rehearse.Upto(t, patches.Set, migratecustomerdata.Patch.ID))
	total := rehearse.Count(t, db, "tabCustomer", "")
	if got := rehearse.Count(t, db, "tabCustomer", "custom_migration_status = 'Completed' AND custom_migration_date IS NOT NULL AND custom_full_name <> ''"); got != total {
		t.Errorf("%d of %d customers completed", got, total)
	}
	// The full name and email come from the primary contact where there is one.
	if got := rehearse.Count(t, db, "tabCustomer", "customer_primary_contact IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tabContact c WHERE c.name = customer_primary_contact AND custom_full_name = CONCAT(c.first_name, ' ', c.last_name) AND custom_primary_email = c.email_id)"); got != 0 {
		t.Errorf("%d customers with a contact have a full name or email not from it", got)
	}
	if got := rehearse.Count(t, db, "tabCustomer", "customer_primary_contact IS NULL AND email_id IS NULL AND custom_primary_email IS NOT NULL"); got != 0 {
		t.Errorf("%d customers got an email from nowhere", got)
	}
	if got := rehearse.Count(t, db, "tabCustom Field", "dt = 'Customer' AND fieldname LIKE 'custom_%'"); got != 5 {
		t.Errorf("%d Customer custom fields, want 5", got)
	}
}

func TestErrorThreshold(t *testing.T) {
	t.Parallel()
	set := rehearse.Upto(t, patches.Set, migratecustomerdata.Patch.ID)
	for _, c := range []struct {
		bad  int
		want string
	}{
		{migratecustomerdata.MaxErrors + 1, "more than the 10 allowed"},
		{migratecustomerdata.MaxErrors, "verify: 190 of 200 customers migrated"},
	} {
		db := rehearse.Fixture(t, patchtest.NewDatabase)
		// Make customers unmigratable: no name and no contact.
		if _, err := db.Exec("UPDATE tabCustomer SET customer_name = '', customer_primary_contact = NULL ORDER BY name LIMIT ?", c.bad); err != nil {
			t.Fatal(err)
		}
		m, err := migrate.New(db, set)
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Up(context.Background(), migrate.UpOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("up with %d bad rows: err = %v, want %q", c.bad, err, c.want)
		}
	}
}
