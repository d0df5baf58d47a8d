package patches_test

import (
	"database/sql"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearseAll rehearses the whole set on the demo fixture against the
// golden that `make demo` (migtest rehearse) compares with too, and checks
// that the set's after_migrate hook bumped System Settings' migration_index.
func TestRehearseAll(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Golden("snapshots/demo-site.snap"), migtest.Check(func(t testing.TB, db *sql.DB) {
		var idx int
		err := db.QueryRow("SELECT CAST(value AS UNSIGNED) FROM tabSingles WHERE doctype = 'System Settings' AND field = 'migration_index'").Scan(&idx)
		if err != nil || idx < 1 {
			t.Errorf("migration_index = %d (%v) after an up that ran patches, want at least 1", idx, err)
		}
	}))
}
