package migratecustomerdata_test

import (
	"context"
	"strings"
	"testing"

	"github.com/migtest/migtest/fixtures"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_0/migratecustomerdata"
)

// TestMain stops the test binary's shared MariaDB when the tests end.
func TestMain(m *testing.M) { servertest.Main(m) }

// TestErrorThreshold: with more customers that cannot be migrated than the
// patch allows, it fails naming the limit; with as many as it allows, its
// verify step fails naming how many were migrated. A rehearsal covers the
// good path; this is the failure path on purpose-broken data.
func TestErrorThreshold(t *testing.T) {
	t.Parallel()
	set := patches.Set // up to and including this patch, with the set's hooks
	for i, p := range set.Patches {
		if p.ID == migratecustomerdata.Patch.ID {
			set.Patches = set.Patches[:i+1]
			break
		}
	}
	for _, c := range []struct {
		bad  int
		want string
	}{
		{migratecustomerdata.MaxErrors + 1, "more than the 10 allowed"},
		{migratecustomerdata.MaxErrors, "verify: 190 of 200 customers migrated"},
	} {
		_, db := servertest.NewDatabase(t)
		if err := fixtures.LoadDemoSite(context.Background(), db); err != nil {
			t.Fatal(err)
		}
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
