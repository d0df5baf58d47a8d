package frappe

import (
	"context"
	"fmt"
	"sort"

	"github.com/migtest/migtest/migtest/patch"
)

// CreateCustomFields creates, for each DocType of fields, its Custom Fields
// the way Frappe's create_custom_fields does: a `tabCustom Field` row named
// "<doctype>-<fieldname>" (updated when it exists with other values) and the
// column in the DocType's table, typed by ColumnDefinition, with a unique
// index (named after the field) for unique fields and an index
// "<fieldname>_index" for search_index fields. A Single DocType gets the row
// only; a fieldtype without a column (Section Break, Table, ...) too.
//
// It is idempotent and resumable: what exists already is left as it is (an
// existing column keeps its type; SyncDocType widens types). Only the
// columns `tabCustom Field` has are written, so it works on older sites.
// DocTypes are handled in name order, fields in the order given.
func CreateCustomFields(ctx context.Context, pc *patch.Context, fields map[string][]Field) error {
	doctypes := make([]string, 0, len(fields))
	for dt := range fields {
		doctypes = append(doctypes, dt)
	}
	sort.Strings(doctypes)
	for _, dt := range doctypes {
		_, single, _, err := docTypeFlags(ctx, pc, dt)
		if err != nil {
			return err
		}
		for i, f := range fields[dt] {
			if err := createCustomField(ctx, pc, dt, i, f, single); err != nil {
				return fmt.Errorf("custom field %s-%s: %w", dt, f.Fieldname, err)
			}
		}
	}
	return nil
}

func createCustomField(ctx context.Context, pc *patch.Context, dt string, i int, f Field, single bool) error {
	if f.Fieldname == "" || f.Fieldtype == "" {
		return fmt.Errorf("a custom field needs fieldname and fieldtype")
	}
	label := f.Label
	if label == "" {
		label = f.Fieldname
	}
	vals := map[string]any{
		"dt": dt, "fieldname": f.Fieldname, "label": label, "fieldtype": f.Fieldtype,
		"options": f.Options, "insert_after": f.InsertAfter, "default": nullable(f.Default),
		"reqd": f.Reqd.Int(), "unique": f.Unique.Int(), "search_index": f.SearchIndex.Int(),
		"hidden": f.Hidden.Int(), "read_only": f.ReadOnly.Int(), "in_list_view": f.InListView.Int(),
		"length": f.Length.Int(), "precision": string(f.Precision), "description": f.Description,
		"idx": i + 1, "is_system_generated": 1,
	}
	wrote, err := upsertRow(ctx, pc, "tabCustom Field", dt+"-"+f.Fieldname, vals)
	if err != nil {
		return err
	}
	if wrote {
		pc.Log.Info("custom field recorded", "doctype", dt, "field", f.Fieldname)
	}
	if single {
		return nil
	}
	return addFieldColumn(ctx, pc, Table(dt), f)
}

// addFieldColumn adds the column of f to table with its unique index or
// search index, each only if missing.
func addFieldColumn(ctx context.Context, pc *patch.Context, table string, f Field) error {
	def := ColumnDefinition(f)
	if def == "" {
		return nil
	}
	if err := pc.AddColumn(ctx, table, f.Fieldname, def); err != nil {
		return err
	}
	return addFieldIndexes(ctx, pc, table, f)
}

// addFieldIndexes adds f's unique index (named after the field, as
// Frappe's "UNIQUE" column option names it) and its search index
// "<fieldname>_index", unless the column's type cannot carry one.
func addFieldIndexes(ctx context.Context, pc *patch.Context, table string, f Field) error {
	if textual(typeMap[f.Fieldtype][0]) {
		return nil
	}
	if f.Unique.Set() {
		if err := pc.AddIndex(ctx, table, f.Fieldname, patch.Unique, f.Fieldname); err != nil {
			return err
		}
	}
	if f.SearchIndex.Set() && !f.Unique.Set() {
		return pc.AddIndex(ctx, table, f.Fieldname+"_index", patch.NonUnique, f.Fieldname)
	}
	return nil
}

// nullable is v, or nil (NULL) when empty.
func nullable(v Value) any {
	if v == "" {
		return nil
	}
	return string(v)
}
