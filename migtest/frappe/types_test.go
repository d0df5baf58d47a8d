package frappe_test

import (
	"encoding/json"
	"testing"

	"github.com/migtest/migtest/migtest/frappe"
)

// TestColumnType checks the mapping against the cases of Frappe's
// get_definition (frappe/database/schema.py) on MariaDB.
func TestColumnType(t *testing.T) {
	for _, c := range []struct {
		f    frappe.Field
		want string
	}{
		{frappe.Field{Fieldtype: "Data"}, "varchar(140)"},
		{frappe.Field{Fieldtype: "Data", Length: "32"}, "varchar(64)"}, // at least 64
		{frappe.Field{Fieldtype: "Data", Length: "255"}, "varchar(255)"},
		{frappe.Field{Fieldtype: "Link"}, "varchar(140)"},
		{frappe.Field{Fieldtype: "Int"}, "int(11)"},
		{frappe.Field{Fieldtype: "Int", Length: "4"}, "int(4)"},
		{frappe.Field{Fieldtype: "Int", Length: "20"}, "bigint(20)"}, // Long Int above 11
		{frappe.Field{Fieldtype: "Check"}, "int(1)"},
		{frappe.Field{Fieldtype: "Currency"}, "decimal(21,9)"},
		{frappe.Field{Fieldtype: "Currency", Precision: "2"}, "decimal(21,2)"},
		{frappe.Field{Fieldtype: "Float", Length: "18", Precision: "6"}, "decimal(18,6)"},
		{frappe.Field{Fieldtype: "Percent", Length: "5", Precision: "9"}, "decimal(5,5)"}, // precision ≤ width
		{frappe.Field{Fieldtype: "Rating"}, "decimal(3,2)"},
		{frappe.Field{Fieldtype: "Datetime"}, "datetime(6)"},
		{frappe.Field{Fieldtype: "Time"}, "time(6)"},
		{frappe.Field{Fieldtype: "Date"}, "date"},
		{frappe.Field{Fieldtype: "Text Editor"}, "longtext"},
		{frappe.Field{Fieldtype: "Small Text"}, "text"},
		{frappe.Field{Fieldtype: "JSON"}, "json"},
		{frappe.Field{Fieldtype: "Section Break"}, ""},
		{frappe.Field{Fieldtype: "Table"}, ""},
		{frappe.Field{Fieldtype: "Button"}, ""},
	} {
		if got := frappe.ColumnType(c.f); got != c.want {
			t.Errorf("%s length %q precision %q: %q, want %q", c.f.Fieldtype, c.f.Length, c.f.Precision, got, c.want)
		}
	}
}

func TestColumnDefinition(t *testing.T) {
	for _, c := range []struct {
		f    frappe.Field
		want string
	}{
		{frappe.Field{Fieldtype: "Check", Default: "1"}, "int(1) NOT NULL DEFAULT 1"},
		{frappe.Field{Fieldtype: "Int"}, "int(11) NOT NULL DEFAULT 0"},
		{frappe.Field{Fieldtype: "Currency", Default: "2.50"}, "decimal(21,9) NOT NULL DEFAULT 2.5"},
		{frappe.Field{Fieldtype: "Select", Default: "Open"}, "varchar(140) DEFAULT 'Open'"},
		{frappe.Field{Fieldtype: "Data", Default: "it's"}, "varchar(140) DEFAULT 'it''s'"},
		{frappe.Field{Fieldtype: "Date", Default: "Today"}, "date"}, // dynamic: set per document
		{frappe.Field{Fieldtype: "Link", Default: "__user"}, "varchar(140)"},
		{frappe.Field{Fieldtype: "Data", NotNullable: "1"}, "varchar(140) NOT NULL DEFAULT ''"},
		{frappe.Field{Fieldtype: "Data", NotNullable: "1", Default: "x"}, "varchar(140) NOT NULL DEFAULT 'x'"},
		{frappe.Field{Fieldtype: "Column Break"}, ""},
	} {
		if got := frappe.ColumnDefinition(c.f); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}

func TestValueAcceptsFrappeJSON(t *testing.T) {
	var f frappe.Field
	if err := json.Unmarshal([]byte(`{"fieldname":"x","fieldtype":"Int","default":0,"length":"12","unique":true,"precision":null,"search_index":1}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.Default != "0" || f.Length.Int() != 12 || !f.Unique.Set() || f.Precision != "" || !f.SearchIndex.Set() {
		t.Errorf("parsed %+v", f)
	}
	if err := json.Unmarshal([]byte(`{"default":{"a":1}}`), &f); err == nil {
		t.Error("an object as default parsed without error")
	}
}

func TestParseDocTypeErrors(t *testing.T) {
	for doc, want := range map[string]string{
		`{"fields": []}`: `no "name"`,
		`{"name": "X", "fields": [{"fieldname": "a", "fieldtype": "Data"}, {"fieldname": "A", "fieldtype": "Int"}]}`: "appears twice",
		`{"name": "X", "fields": [{"fieldtype": "Data"}]}`:                                                           "no fieldname",
		`[1, 2]`: "DocType JSON",
	} {
		_, err := frappe.ParseDocType([]byte(doc))
		if err == nil || !contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one saying %q", doc, err, want)
		}
	}
}
