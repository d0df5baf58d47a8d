// Package migratecustomerdata fills Customer's custom_full_name,
// custom_primary_email, custom_migration_status and custom_migration_date,
// row by row in batches, stopping after more than 10 failed rows.
package migratecustomerdata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
)

// MaxErrors is the number of failed customers tolerated.
const MaxErrors = 10

// Patch is v1_0.migrate_customer_data.
var Patch = patch.Patch{
	ID:          "v1_0.migrate_customer_data",
	Description: "Fill Customer full name, primary email and migration status from the primary Contact, in batches",
	Run:         run,
	Verify:      verify,
	// Four Custom Field rows; every other table keeps its count.
	Rows: []patch.RowChange{{Table: "tabCustom Field", Delta: 4}},
}

var columns = []struct{ name, def, label, fieldtype string }{
	{"custom_full_name", "varchar(140) DEFAULT NULL", "Full Name", "Data"},
	{"custom_primary_email", "varchar(140) DEFAULT NULL", "Primary Email", "Data"},
	{"custom_migration_status", "varchar(140) DEFAULT NULL", "Migration Status", "Select"},
	{"custom_migration_date", "datetime(6) DEFAULT NULL", "Migration Date", "Datetime"},
}

func run(ctx context.Context, pc *patch.Context) error {
	for _, c := range columns {
		if _, err := pc.DB.Exec(ctx, "INSERT IGNORE INTO `tabCustom Field` (`name`, `creation`, `modified`, `modified_by`, `owner`, `dt`, `fieldname`, `label`, `fieldtype`, `insert_after`)"+
			" VALUES (?, NOW(6), NOW(6), 'Administrator', 'Administrator', 'Customer', ?, ?, ?, 'custom_region')", "Customer-"+c.name, c.name, c.label, c.fieldtype); err != nil {
			return fmt.Errorf("custom field %s: %w", c.name, err)
		}
		if err := pc.AddColumn(ctx, "tabCustomer", c.name, c.def); err != nil {
			return err
		}
	}
	res, err := pc.Batch(ctx, patch.Batch{
		Table:     "tabCustomer",
		Columns:   []string{"customer_name", "email_id", "customer_primary_contact"},
		Where:     "`custom_migration_status` IS NULL OR `custom_migration_status` <> 'Completed'",
		Row:       migrateRow,
		MaxErrors: MaxErrors,
	})
	pc.Log.Info("customers migrated", "rows", res.Rows, "completed", res.Changed, "errors", res.Errors)
	return err
}

// migrateRow fills one customer from its primary contact, falling back to
// the customer's own name and email.
func migrateRow(ctx context.Context, tx *patch.DB, r patch.Record) error {
	full := strings.TrimSpace(r.String("customer_name"))
	email := strings.TrimSpace(r.String("email_id"))
	if !r.Null("customer_primary_contact") {
		var first, last, cemail sql.NullString
		err := tx.QueryRow(ctx, "SELECT first_name, last_name, email_id FROM `tabContact` WHERE name = ?", r.String("customer_primary_contact")).Scan(&first, &last, &cemail)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			if n := strings.TrimSpace(first.String + " " + last.String); n != "" {
				full = n
			}
			if cemail.String != "" {
				email = cemail.String
			}
		}
	}
	if full == "" {
		return fmt.Errorf("customer %v has no name", r.Key[0])
	}
	var em any
	if strings.Contains(email, "@") {
		em = email
	}
	_, err := tx.Exec(ctx, "UPDATE `tabCustomer` SET `custom_full_name` = ?, `custom_primary_email` = ?, `custom_migration_status` = 'Completed', `custom_migration_date` = NOW(6) WHERE `name` = ?",
		full, em, r.Key[0])
	return err
}

func verify(ctx context.Context, pc *patch.Context) error {
	var total, completed int
	if err := pc.DB.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(`custom_migration_status` = 'Completed'), 0) FROM `tabCustomer`").Scan(&total, &completed); err != nil {
		return err
	}
	if completed != total {
		return fmt.Errorf("%d of %d customers migrated: completed must equal total", completed, total)
	}
	return nil
}
