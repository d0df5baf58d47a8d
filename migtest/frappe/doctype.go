package frappe

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
)

// DocType is a DocType as Frappe apps ship it: the JSON file beside each
// doctype's controller (e.g. erpnext/selling/doctype/customer/customer.json).
// Fields Frappe has and the schema does not need are ignored.
type DocType struct {
	Name       string  `json:"name"`
	Module     string  `json:"module"`
	Istable    Value   `json:"istable"`
	Issingle   Value   `json:"issingle"`
	IsVirtual  Value   `json:"is_virtual"`
	Custom     Value   `json:"custom"`
	Autoname   string  `json:"autoname"`
	TitleField string  `json:"title_field"`
	Engine     string  `json:"engine"`
	TrackSeen  Value   `json:"track_seen"`
	Fields     []Field `json:"fields"`
}

// ParseDocType reads a DocType JSON document.
func ParseDocType(data []byte) (DocType, error) {
	var dt DocType
	if err := json.Unmarshal(data, &dt); err != nil {
		return DocType{}, fmt.Errorf("DocType JSON: %w", err)
	}
	if strings.TrimSpace(dt.Name) == "" {
		return DocType{}, fmt.Errorf("DocType JSON has no \"name\": is this a DocType file?")
	}
	if len(Table(dt.Name)) > 64 {
		return DocType{}, fmt.Errorf("DocType %q: the table name is longer than 64 characters", dt.Name)
	}
	seen := map[string]bool{}
	for i, f := range dt.Fields {
		if f.Fieldname == "" && ColumnType(f) != "" {
			return DocType{}, fmt.Errorf("DocType %s: field #%d (%s) has no fieldname", dt.Name, i+1, f.Fieldtype)
		}
		if f.Fieldname != "" && seen[strings.ToLower(f.Fieldname)] {
			return DocType{}, fmt.Errorf("DocType %s: field %s appears twice", dt.Name, f.Fieldname)
		}
		seen[strings.ToLower(f.Fieldname)] = true
	}
	return dt, nil
}

// ReadDocType reads the DocType JSON file name from fsys (an embed.FS, or
// os.DirFS of an app's source).
func ReadDocType(fsys fs.FS, name string) (DocType, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return DocType{}, fmt.Errorf("read DocType: %w", err)
	}
	dt, err := ParseDocType(b)
	if err != nil {
		return DocType{}, fmt.Errorf("%s: %w", name, err)
	}
	return dt, nil
}

// column is one column of a DocType's table with its indexes.
type column struct {
	name, def string
	field     *Field // nil for standard columns
}

// defaultColumns are the standard columns every DocType table starts with
// (frappe.db.DEFAULT_COLUMNS); a field of that name is not a column of its own.
var defaultColumns = map[string]bool{"name": true, "creation": true, "modified": true, "modified_by": true,
	"owner": true, "docstatus": true, "idx": true, "parent": true, "parentfield": true, "parenttype": true}

// columnsOf returns the columns of dt's table in Frappe's order: standard
// columns, fields, then child-table or optional columns.
func columnsOf(dt DocType) []column {
	vc := fmt.Sprintf("varchar(%d)", VarcharLen)
	name := vc + " NOT NULL"
	if dt.Autoname == "autoincrement" {
		name = "bigint(20) NOT NULL"
	}
	cols := []column{{name: "name", def: name}, {name: "creation", def: "datetime(6) DEFAULT NULL"},
		{name: "modified", def: "datetime(6) DEFAULT NULL"}, {name: "modified_by", def: vc + " DEFAULT NULL"},
		{name: "owner", def: vc + " DEFAULT NULL"}, {name: "docstatus", def: "int(1) NOT NULL DEFAULT 0"},
		{name: "idx", def: "int(8) NOT NULL DEFAULT 0"}}
	for i := range dt.Fields {
		f := &dt.Fields[i]
		def := ColumnDefinition(*f)
		if def == "" || f.IsVirtual.Set() || defaultColumns[strings.ToLower(f.Fieldname)] {
			continue
		}
		cols = append(cols, column{name: f.Fieldname, def: def, field: f})
	}
	if dt.Istable.Set() {
		for _, c := range []string{"parent", "parentfield", "parenttype"} {
			cols = append(cols, column{name: c, def: vc + " DEFAULT NULL"})
		}
		return cols
	}
	optional := []string{"_user_tags", "_comments", "_assign", "_liked_by"}
	if dt.TrackSeen.Set() {
		optional = append(optional, "_seen")
	}
	for _, c := range optional {
		cols = append(cols, column{name: c, def: "text DEFAULT NULL"})
	}
	return cols
}

// docFieldName is the stable name SyncDocType gives a new tabDocField row
// (Frappe uses random 10-character hashes; a stable one keeps re-runs equal).
func docFieldName(doctype, fieldname string) string {
	h := sha1.Sum([]byte(doctype + "\x00" + fieldname))
	return hex.EncodeToString(h[:])[:10]
}
