// Package patches is the worked example's patch set: the ordered list of
// patches (the patches.txt of this project) run by cmd/migrate, over a
// Frappe-style site (fixtures/demo-site.sql.gz). Add a patch as a package
// under vX_Y/ and append it to Set; never reorder or remove applied ones.
package patches

import (
	"context"
	"fmt"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/patches/v1_0/addcustomregion"
	"github.com/migtest/migtest/patches/v1_0/customerprofile"
	"github.com/migtest/migtest/patches/v1_0/migratecustomerdata"
	"github.com/migtest/migtest/patches/v1_1/customeremails"
)

// Set is the ordered patch set.
var Set = patch.Set{
	Patches: []patch.Patch{
		addcustomregion.Patch,
		migratecustomerdata.Patch,
		customerprofile.Patch,
		customeremails.Patch,
	},
	AfterMigrate: bumpMigrationIndex,
}

// bumpMigrationIndex increments System Settings' migration_index in
// tabSingles after every up that ran patches, as Frappe's migrate does.
func bumpMigrationIndex(ctx context.Context, pc *patch.Context) error {
	r, err := pc.DB.Exec(ctx, "UPDATE `tabSingles` SET `value` = CAST(COALESCE(`value`, '0') AS UNSIGNED) + 1 WHERE `doctype` = 'System Settings' AND `field` = 'migration_index'")
	if err != nil {
		return fmt.Errorf("bump migration_index: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		if _, err := pc.DB.Exec(ctx, "INSERT INTO `tabSingles` (`doctype`, `field`, `value`) VALUES ('System Settings', 'migration_index', '1')"); err != nil {
			return fmt.Errorf("bump migration_index: %w", err)
		}
	}
	return nil
}
