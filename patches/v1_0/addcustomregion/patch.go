// Package addcustomregion adds the custom_region Custom Field to Customer
// and backfills it with 'North'.
package addcustomregion

import (
	"context"
	"fmt"

	"github.com/migtest/migtest/migtest/patch"
)

// Patch is v1_0.add_custom_region.
var Patch = patch.Patch{
	ID:          "v1_0.add_custom_region",
	Description: "Add the custom_region Custom Field to Customer and backfill 'North'",
	Run:         run,
	Verify:      verify,
	// One Custom Field row; every other table keeps its count.
	Rows: []patch.RowChange{{Table: "tabCustom Field", Delta: 1}},
}

func run(ctx context.Context, pc *patch.Context) error {
	if _, err := pc.DB.Exec(ctx, "INSERT IGNORE INTO `tabCustom Field` (`name`, `creation`, `modified`, `modified_by`, `owner`, `dt`, `fieldname`, `label`, `fieldtype`, `insert_after`, `options`)"+
		" VALUES ('Customer-custom_region', NOW(6), NOW(6), 'Administrator', 'Administrator', 'Customer', 'custom_region', 'Region', 'Select', 'territory', 'North\nSouth\nEast\nWest')"); err != nil {
		return fmt.Errorf("custom field: %w", err)
	}
	if err := pc.AddColumn(ctx, "tabCustomer", "custom_region", "varchar(140) DEFAULT NULL"); err != nil {
		return err
	}
	_, err := pc.Batch(ctx, patch.Batch{
		Table: "tabCustomer",
		Set:   "`custom_region` = 'North'",
		Where: "`custom_region` IS NULL",
	})
	return err
}

func verify(ctx context.Context, pc *patch.Context) error {
	var n int
	if err := pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM `tabCustomer` WHERE `custom_region` IS NULL").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d customers have no custom_region", n)
	}
	return nil
}
