// Package customeremails is two ordinary ERPNext patches written with the
// Frappe kit (migtest/frappe): a Customer Email child table, synced from its
// DocType file and filled from tabCustomer.email_id; and Customer's
// mobile_no renamed to mobile_number, with the DocField and Property Setter
// rows that name it, and an index on it.
package customeremails

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/migtest/migtest/migtest/frappe"
	"github.com/migtest/migtest/migtest/patch"
)

//go:embed customer_email.json
var customerEmailJSON []byte

// Patch is v1_1.customer_emails.
var Patch = patch.Patch{
	ID:          "v1_1.customer_emails",
	Description: "Customer Email child table from Customer.email_id; rename Customer.mobile_no to mobile_number, indexed",
	Run:         run,
}

func run(ctx context.Context, pc *patch.Context) error {
	if err := pc.Step(ctx, "email_table", patch.Critical, func(ctx context.Context) (string, error) {
		return emailTable(ctx, pc)
	}); err != nil {
		return err
	}
	return pc.Step(ctx, "rename_mobile", patch.Critical, func(ctx context.Context) (string, error) {
		if err := frappe.RenameField(ctx, pc, "Customer", "mobile_no", "mobile_number"); err != nil {
			return "", err
		}
		return "renamed and indexed", pc.AddIndex(ctx, "tabCustomer", "mobile_number_index", patch.NonUnique, "mobile_number")
	})
}

// emailTable is Frappe's reload_doc + create_custom_fields + a fill query.
func emailTable(ctx context.Context, pc *patch.Context) (string, error) {
	dt, err := frappe.ParseDocType(customerEmailJSON)
	if err != nil {
		return "", err
	}
	if _, err := frappe.SyncDocType(ctx, pc, dt, frappe.SyncOptions{}); err != nil {
		return "", err
	}
	if err := frappe.CreateCustomFields(ctx, pc, map[string][]frappe.Field{"Customer": {
		{Fieldname: "email_ids", Label: "Email Addresses", Fieldtype: "Table", Options: "Customer Email", InsertAfter: "email_id"},
	}}); err != nil {
		return "", err
	}
	res, err := pc.Batch(ctx, patch.Batch{Table: "tabCustomer", Name: "email_ids",
		Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
			r, err := tx.Exec(ctx, "INSERT IGNORE INTO `tabCustomer Email`"+
				" (name, creation, modified, modified_by, owner, idx, parent, parentfield, parenttype, email_id, is_primary)"+
				" SELECT CONCAT(name, '-email'), NOW(6), NOW(6), 'Administrator', 'Administrator', 1, name, 'email_ids', 'Customer', email_id, 1"+
				" FROM `tabCustomer` WHERE email_id IS NOT NULL AND email_id <> '' AND "+c.Where, c.Args...)
			if err != nil {
				return 0, err
			}
			return r.RowsAffected()
		}})
	return fmt.Sprintf("%d email rows from %d customers", res.Changed, res.Rows), err
}
