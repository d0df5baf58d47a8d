// Package frappe is a kit for patches over a Frappe (ERPNext) site database:
// the verbs a Frappe patch author knows, as idempotent, resumable Go calls
// that run every statement through the patch's Context (so the runner logs
// them, rehearsals inject faults into them and `rollback --touched` knows the
// tables they wrote):
//
//   - CreateCustomFields: `tabCustom Field` rows plus their columns
//     (frappe.custom.doctype.custom_field.custom_field.create_custom_fields);
//   - RenameField: the column plus the `tabDocField`, `tabCustom Field` and
//     `tabProperty Setter` rows naming it (frappe.model.utils.rename_field);
//   - SetSingleValue, GetSingleValue: `tabSingles` (frappe.db.set_single_value);
//   - SyncDocType: the table of a DocType JSON file, created or altered as
//     Frappe's schema sync does (frappe.reload_doc), additive by default.
//
// The column types follow Frappe's MariaDB type map
// (frappe/database/mariadb/database.py) and its column definition rules
// (frappe/database/schema.py): ColumnType and ColumnDefinition.
package frappe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// VarcharLen is Frappe's default varchar length (frappe.db.VARCHAR_LEN).
const VarcharLen = 140

// Table returns the table of a DocType: "tab" + name.
func Table(doctype string) string { return "tab" + doctype }

// Field is one field of a DocType (a DocField) or a Custom Field, with the
// JSON names Frappe uses in DocType files and custom field dicts.
type Field struct {
	Fieldname   string `json:"fieldname"`
	Label       string `json:"label,omitempty"`
	Fieldtype   string `json:"fieldtype"`
	Options     string `json:"options,omitempty"`
	Default     Value  `json:"default,omitempty"`
	Length      Value  `json:"length,omitempty"`
	Precision   Value  `json:"precision,omitempty"`
	Reqd        Value  `json:"reqd,omitempty"`
	Unique      Value  `json:"unique,omitempty"`
	SearchIndex Value  `json:"search_index,omitempty"`
	NotNullable Value  `json:"not_nullable,omitempty"`
	Hidden      Value  `json:"hidden,omitempty"`
	ReadOnly    Value  `json:"read_only,omitempty"`
	InListView  Value  `json:"in_list_view,omitempty"`
	IsVirtual   Value  `json:"is_virtual,omitempty"`
	// InsertAfter places a Custom Field after this field in the form.
	InsertAfter string `json:"insert_after,omitempty"`
	Description string `json:"description,omitempty"`
}

// Value is a scalar of a Frappe JSON file as text: Frappe writes 0/1 flags,
// numbers and strings interchangeably ("default": 0, "precision": "2").
type Value string

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*v = ""
	case string(b) == "true":
		*v = "1"
	case string(b) == "false":
		*v = "0"
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Value(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("not a string, number or boolean: %s", b)
		}
		*v = Value(n.String())
	}
	return nil
}

// Int is v as Frappe's cint: 0 when empty or not a number.
func (v Value) Int() int {
	f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64)
	if err != nil {
		return 0
	}
	return int(f)
}

// Set reports a true flag (cint(v) != 0).
func (v Value) Set() bool { return v.Int() != 0 }

// typeMap is Frappe's MariaDB type map (frappe/database/mariadb/database.py,
// setup_type_map): fieldtype → column type and size.
var typeMap = map[string][2]string{
	"Currency":        {"decimal", "21,9"},
	"Int":             {"int", "11"},
	"Long Int":        {"bigint", "20"},
	"Float":           {"decimal", "21,9"},
	"Percent":         {"decimal", "21,9"},
	"Check":           {"int", "1"},
	"Small Text":      {"text", ""},
	"Long Text":       {"longtext", ""},
	"Code":            {"longtext", ""},
	"Text Editor":     {"longtext", ""},
	"Markdown Editor": {"longtext", ""},
	"HTML Editor":     {"longtext", ""},
	"Date":            {"date", ""},
	"Datetime":        {"datetime", "6"},
	"Time":            {"time", "6"},
	"Text":            {"text", ""},
	"Data":            {"varchar", "140"},
	"Link":            {"varchar", "140"},
	"Dynamic Link":    {"varchar", "140"},
	"Password":        {"text", ""},
	"Select":          {"varchar", "140"},
	"Rating":          {"decimal", "3,2"},
	"Read Only":       {"varchar", "140"},
	"Attach":          {"text", ""},
	"Attach Image":    {"text", ""},
	"Signature":       {"longtext", ""},
	"Color":           {"varchar", "140"},
	"Barcode":         {"longtext", ""},
	"Geolocation":     {"longtext", ""},
	"Duration":        {"decimal", "21,9"},
	"Icon":            {"varchar", "140"},
	"Phone":           {"varchar", "140"},
	"Autocomplete":    {"varchar", "140"},
	"JSON":            {"json", ""},
}

// dynamicDefaults are defaults Frappe resolves per document, never in the column.
var dynamicDefaults = map[string]bool{"Today": true, "__user": true, "Now": true, "now": true, "today": true}

// ColumnType returns the column type of a field as Frappe's get_definition
// does (length and precision included), or "" for a fieldtype without a
// column (Section Break, Table, Button, ...).
func ColumnType(f Field) string {
	d, ok := typeMap[f.Fieldtype]
	if !ok {
		return ""
	}
	length := f.Length.Int()
	if f.Fieldtype == "Int" && length > 11 {
		d = typeMap["Long Int"]
	}
	coltype, size := d[0], d[1]
	if size != "" {
		switch f.Fieldtype {
		case "Currency", "Float", "Percent":
			width := 21
			if length > 0 {
				width = length
			}
			prec := 9
			if strings.TrimSpace(string(f.Precision)) != "" {
				prec = f.Precision.Int()
			}
			prec = min(prec, width)
			size = fmt.Sprintf("%d,%d", width, prec)
		}
		if length > 0 {
			switch {
			case coltype == "varchar":
				size = strconv.Itoa(max(length, 64))
			case coltype == "int" && length < 11:
				size = strconv.Itoa(length)
			}
		}
		return coltype + "(" + size + ")"
	}
	return coltype
}

// ColumnDefinition returns the column definition of a field as Frappe's
// DbColumn.get_definition does: the type, NOT NULL and DEFAULT 0 for numbers
// and checks, the field's default (unless dynamic, like "Today"), and
// NOT NULL with an empty default for not_nullable fields. Unique indexes
// are not part of it (SyncDocType and CreateCustomFields add them by name).
// It returns "" for a fieldtype without a column.
func ColumnDefinition(f Field) string {
	def := ColumnType(f)
	if def == "" {
		return ""
	}
	null, dflt := true, ""
	switch f.Fieldtype {
	case "Check", "Int":
		null, dflt = false, strconv.Itoa(f.Default.Int())
	case "Currency", "Float", "Percent":
		n, err := strconv.ParseFloat(strings.TrimSpace(string(f.Default)), 64)
		if err != nil {
			n = 0
		}
		null, dflt = false, strconv.FormatFloat(n, 'f', -1, 64)
	default:
		if d := string(f.Default); d != "" && !dynamicDefaults[d] && !strings.HasPrefix(d, ":") {
			dflt = quote(d)
		}
	}
	if f.NotNullable.Set() && null {
		if dflt == "" {
			dflt = notNullDefault(f.Fieldtype)
		}
		null = false
	}
	if !null {
		def += " NOT NULL"
	}
	if dflt != "" {
		def += " DEFAULT " + dflt
	}
	return def
}

// notNullDefault is Frappe's get_not_null_defaults for a fieldtype.
func notNullDefault(fieldtype string) string {
	switch fieldtype {
	case "Date":
		return "'0001-01-01'"
	case "Datetime":
		return "'0001-01-01 00:00:00.000000'"
	case "Time":
		return "'00:00:00'"
	case "JSON":
		return "'{}'"
	}
	if t, ok := typeMap[fieldtype]; ok && (t[0] == "decimal" || t[0] == "int" || t[0] == "bigint") {
		return "0"
	}
	return "''"
}

// quote returns s as an SQL string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`)
	return "'" + r.Replace(s) + "'"
}

// textual reports a column type that cannot carry a plain index.
func textual(coltype string) bool {
	return coltype == "text" || coltype == "longtext" || coltype == "json"
}
