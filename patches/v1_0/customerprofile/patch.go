// Package customerprofile moves customer profile data into a new Customer
// Profile doctype in named steps: copy tabCustomer aside, create the table,
// migrate the rows, validate the counts, and prepare the cleanup.
package customerprofile

import (
	"context"
	"fmt"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
)

// Patch is v1_0.customer_profile.
var Patch = patch.Patch{
	ID:          "v1_0.customer_profile",
	Description: "Create Customer Profile (name, email, region, invoice totals) from Customer, in steps with a backup copy",
	Run:         run,
	// One profile per customer, a backup copy of tabCustomer, one DocType.
	Rows: []patch.RowChange{
		{Table: "tabDocType", Delta: 1},
		{Table: Table, PerRowOf: "tabCustomer", PerRow: 1},
		{Table: "_backup_tabCustomer_v1_0_customer_profile", PerRowOf: "tabCustomer", PerRow: 1},
	},
}

// Table is the new doctype's table.
const Table = "tabCustomer Profile"

func run(ctx context.Context, pc *patch.Context) error {
	var backup string
	if err := pc.Step(ctx, "backup", patch.Critical, func(ctx context.Context) (string, error) {
		var err error
		backup, err = pc.CopyTable(ctx, "tabCustomer")
		return "copied to " + backup, err
	}); err != nil {
		return err
	}
	if err := pc.Step(ctx, "create_table", patch.Critical, func(ctx context.Context) (string, error) {
		_, err := pc.DB.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+patch.QuoteIdent(Table)+` (
  name varchar(140) NOT NULL,
  creation datetime(6) DEFAULT NULL,
  modified datetime(6) DEFAULT NULL,
  modified_by varchar(140) DEFAULT NULL,
  owner varchar(140) DEFAULT NULL,
  docstatus int(1) NOT NULL DEFAULT 0,
  idx int(8) NOT NULL DEFAULT 0,
  customer varchar(140) DEFAULT NULL,
  full_name varchar(140) DEFAULT NULL,
  primary_email varchar(140) DEFAULT NULL,
  region varchar(140) DEFAULT NULL,
  invoice_count int(11) NOT NULL DEFAULT 0,
  total_invoiced decimal(21,9) NOT NULL DEFAULT 0.000000000,
  PRIMARY KEY (name),
  UNIQUE KEY customer (customer),
  KEY modified (modified)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`)
		if err != nil {
			return "", err
		}
		_, err = pc.DB.Exec(ctx, "INSERT IGNORE INTO `tabDocType` (name, creation, modified, modified_by, owner, module, istable, issingle, custom, autoname, title_field)"+
			" VALUES ('Customer Profile', NOW(6), NOW(6), 'Administrator', 'Administrator', 'Selling', 0, 0, 1, 'field:customer', 'full_name')")
		return "table and DocType ready", err
	}); err != nil {
		return err
	}
	if err := pc.Step(ctx, "migrate_rows", patch.Critical, func(ctx context.Context) (string, error) {
		res, err := pc.Batch(ctx, patch.Batch{
			Table: "tabCustomer",
			Name:  "customer_profile",
			Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
				r, err := tx.Exec(ctx, "INSERT INTO "+patch.QuoteIdent(Table)+
					" (name, creation, modified, modified_by, owner, customer, full_name, primary_email, region, invoice_count, total_invoiced)"+
					" SELECT CONCAT('CP-', c.name), NOW(6), NOW(6), 'Administrator', 'Administrator', c.name, c.custom_full_name, c.custom_primary_email, c.custom_region,"+
					"  COUNT(si.name), COALESCE(SUM(si.grand_total), 0)"+
					" FROM `tabCustomer` c LEFT JOIN `tabSales Invoice` si ON si.customer = c.name AND si.docstatus = 1"+
					" WHERE "+prefixed(c.Where)+" GROUP BY c.name"+
					" ON DUPLICATE KEY UPDATE full_name = VALUES(full_name), primary_email = VALUES(primary_email), region = VALUES(region),"+
					"  invoice_count = VALUES(invoice_count), total_invoiced = VALUES(total_invoiced), modified = VALUES(modified)", c.Args...)
				if err != nil {
					return 0, err
				}
				n, _ := r.RowsAffected()
				return n, nil
			},
		})
		return fmt.Sprintf("%d customers walked in %d chunks", res.Rows, res.Chunks), err
	}); err != nil {
		return err
	}
	if err := pc.Step(ctx, "validate", patch.Critical, func(ctx context.Context) (string, error) {
		var customers, profiles int
		if err := pc.DB.QueryRow(ctx, "SELECT (SELECT COUNT(*) FROM `tabCustomer`), (SELECT COUNT(*) FROM "+patch.QuoteIdent(Table)+")").Scan(&customers, &profiles); err != nil {
			return "", err
		}
		if customers != profiles {
			return "", fmt.Errorf("%d customers but %d profiles", customers, profiles)
		}
		return fmt.Sprintf("%d profiles for %d customers", profiles, customers), nil
	}); err != nil {
		return err
	}
	// Not critical: the cleanup is prepared for a person, not run.
	return pc.Step(ctx, "cleanup_prepared", patch.Optional, func(ctx context.Context) (string, error) {
		return fmt.Sprintf("when satisfied, run: DROP TABLE %s;", patch.QuoteIdent(backup)), nil
	})
}

// prefixed qualifies the chunk condition's columns with the customer alias;
// the chunk condition names only the key column `name`.
func prefixed(where string) string {
	return strings.ReplaceAll(where, "`name`", "c.`name`")
}
