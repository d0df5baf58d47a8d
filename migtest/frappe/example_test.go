package frappe_test

import (
	"fmt"

	"github.com/migtest/migtest/migtest/frappe"
)

// The column a Custom Field gets, as Frappe's schema sync would make it.
func ExampleColumnDefinition() {
	for _, f := range []frappe.Field{
		{Fieldname: "custom_region", Fieldtype: "Select", Default: "North"},
		{Fieldname: "custom_vip", Fieldtype: "Check"},
		{Fieldname: "custom_credit_limit", Fieldtype: "Currency", Precision: "2"},
		{Fieldname: "custom_code", Fieldtype: "Data", Length: "32", NotNullable: "1"},
		{Fieldname: "custom_section", Fieldtype: "Section Break"},
	} {
		fmt.Printf("%s: %q\n", f.Fieldname, frappe.ColumnDefinition(f))
	}
	// Output:
	// custom_region: "varchar(140) DEFAULT 'North'"
	// custom_vip: "int(1) NOT NULL DEFAULT 0"
	// custom_credit_limit: "decimal(21,2) NOT NULL DEFAULT 0"
	// custom_code: "varchar(64) NOT NULL DEFAULT ''"
	// custom_section: ""
}
