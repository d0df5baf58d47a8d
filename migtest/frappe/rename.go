package frappe

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
)

// RenameField renames field from to to of doctype, and everything that
// names it, as frappe.model.utils.rename_field does:
//
//   - the column: renamed (INSTANT first) when only from exists; when both
//     exist (the DocType was synced with the new field already, Frappe's
//     case), from's values are copied into to in batches;
//   - for a Single DocType, its `tabSingles` rows;
//   - for a Table field, the child rows' parentfield;
//   - `tabDocField` and `tabCustom Field` rows of the field (fieldname, and a
//     Custom Field's name "<doctype>-<field>"), Custom Fields placed after it
//     (insert_after), and `tabProperty Setter` rows on it (field_name, and
//     the name "<doctype>-<field>-<property>").
//
// Tables and columns a site lacks are skipped. It is idempotent: a second
// run finds nothing named from and changes nothing. Indexes keep their names.
func RenameField(ctx context.Context, pc *patch.Context, doctype, from, to string) error {
	if from == "" || to == "" || from == to {
		return fmt.Errorf("rename field %s.%s to %q: give two different field names", doctype, from, to)
	}
	_, single, _, err := docTypeFlags(ctx, pc, doctype)
	if err != nil {
		return err
	}
	fieldtype, options, err := fieldType(ctx, pc, doctype, from, to)
	if err != nil {
		return err
	}
	switch {
	case fieldtype == "Table" || fieldtype == "Table MultiSelect":
		if err := renameParentfield(ctx, pc, doctype, options, from, to); err != nil {
			return err
		}
	case single:
		if _, err := updateIfAny(ctx, pc, "tabSingles", "`doctype` = ? AND `field` = ?", []any{doctype, from}, "`field` = ?", to); err != nil {
			return fmt.Errorf("rename field %s.%s in tabSingles: %w", doctype, from, err)
		}
	default:
		if err := renameColumn(ctx, pc, doctype, from, to); err != nil {
			return err
		}
	}
	return renameMeta(ctx, pc, doctype, from, to)
}

// fieldType returns the fieldtype and options of the field from (or to,
// once renamed) in tabDocField or tabCustom Field, "" when unknown.
func fieldType(ctx context.Context, pc *patch.Context, doctype, from, to string) (string, string, error) {
	for _, src := range [][3]string{{"tabDocField", "parent", "fieldname"}, {"tabCustom Field", "dt", "fieldname"}} {
		cols, err := columns(ctx, pc, src[0])
		if err != nil {
			return "", "", err
		}
		if _, ok := cols["fieldtype"]; !ok {
			continue
		}
		opt := "''"
		if _, ok := cols["options"]; ok {
			opt = "COALESCE(`options`, '')"
		}
		rows, err := pc.DB.Query(ctx, "SELECT `fieldtype`, "+opt+" FROM "+patch.QuoteIdent(src[0])+
			" WHERE "+patch.QuoteIdent(src[1])+" = ? AND "+patch.QuoteIdent(src[2])+" IN (?, ?) LIMIT 1", doctype, from, to)
		if err != nil {
			return "", "", fmt.Errorf("field %s.%s in %s: %w", doctype, from, src[0], err)
		}
		ft, o, found, err := firstFieldType(rows)
		if found || err != nil {
			return ft, o, err
		}
	}
	return "", "", nil
}

// firstFieldType reads the first row's fieldtype and options, if any, and
// closes rows.
func firstFieldType(rows *sql.Rows) (ft, opt string, found bool, err error) {
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&ft, &opt); err != nil {
			return "", "", false, err
		}
		return ft, opt, true, nil
	}
	return "", "", false, rows.Err()
}

func renameParentfield(ctx context.Context, pc *patch.Context, doctype, child, from, to string) error {
	if child == "" {
		return nil
	}
	if ok, err := pc.HasTable(ctx, Table(child)); err != nil || !ok {
		return err
	}
	if _, err := updateIfAny(ctx, pc, Table(child), "`parenttype` = ? AND `parentfield` = ?", []any{doctype, from}, "`parentfield` = ?", to); err != nil {
		return fmt.Errorf("rename field %s.%s: child rows of %s: %w", doctype, from, child, err)
	}
	return nil
}

func renameColumn(ctx context.Context, pc *patch.Context, doctype, from, to string) error {
	table := Table(doctype)
	hasFrom, err := pc.HasColumn(ctx, table, from)
	if err != nil {
		return err
	}
	hasTo, err := pc.HasColumn(ctx, table, to)
	if err != nil {
		return err
	}
	switch {
	case hasFrom && hasTo:
		f, t := patch.QuoteIdent(from), patch.QuoteIdent(to)
		_, err := pc.Batch(ctx, patch.Batch{Table: table, Name: "rename_field_" + from,
			Set: t + " = " + f, Where: "NOT (" + t + " <=> " + f + ")"})
		return err
	case hasFrom, !hasTo:
		// RenameColumn says "no such column" when neither exists.
		return pc.RenameColumn(ctx, table, from, to)
	}
	return nil
}

// renameMeta renames the field in the metadata tables that name it.
func renameMeta(ctx context.Context, pc *patch.Context, doctype, from, to string) error {
	stmts := []struct {
		table string
		need  []string
		where string
		set   string
		args  []any // of set, then where
	}{
		{"tabDocField", []string{"parent", "fieldname"}, "`parent` = ? AND `fieldname` = ?", "`fieldname` = ?", []any{to, doctype, from}},
		// MariaDB assigns left to right: name is computed from the old fieldname.
		{"tabCustom Field", []string{"dt", "fieldname"}, "`dt` = ? AND `fieldname` = ?",
			"`name` = IF(`name` = CONCAT(`dt`, '-', `fieldname`), CONCAT(`dt`, '-', ?), `name`), `fieldname` = ?", []any{to, to, doctype, from}},
		{"tabCustom Field", []string{"dt", "insert_after"}, "`dt` = ? AND `insert_after` = ?", "`insert_after` = ?", []any{to, doctype, from}},
		{"tabProperty Setter", []string{"doc_type", "field_name", "property"}, "`doc_type` = ? AND `field_name` = ?",
			"`name` = IF(`name` = CONCAT(`doc_type`, '-', `field_name`, '-', `property`), CONCAT(`doc_type`, '-', ?, '-', `property`), `name`), `field_name` = ?",
			[]any{to, to, doctype, from}},
	}
	for _, s := range stmts {
		cols, err := columns(ctx, pc, s.table)
		if err != nil {
			return err
		}
		if !hasAll(cols, s.need) {
			pc.Log.Debug("not on this site, skipped", "table", s.table)
			continue
		}
		nset := strings.Count(s.set, "?")
		n, err := updateIfAny(ctx, pc, s.table, s.where, s.args[nset:], s.set, s.args[:nset]...)
		if err != nil {
			return fmt.Errorf("rename field %s.%s in %s: %w", doctype, from, s.table, err)
		}
		if n > 0 {
			pc.Log.Info("field renamed in metadata", "table", s.table, "rows", n, "doctype", doctype, "from", from, "to", to)
		}
	}
	return nil
}

// updateIfAny runs UPDATE table SET set WHERE where, only when some row
// matches, so that a re-run sends no write (and `rollback --touched` does
// not count the table). It returns the rows changed.
func updateIfAny(ctx context.Context, pc *patch.Context, table, where string, whereArgs []any, set string, setArgs ...any) (int64, error) {
	var n int64
	if err := pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM "+patch.QuoteIdent(table)+" WHERE "+where, whereArgs...).Scan(&n); err != nil || n == 0 {
		return 0, err
	}
	r, err := pc.DB.Exec(ctx, "UPDATE "+patch.QuoteIdent(table)+" SET "+set+" WHERE "+where, append(setArgs, whereArgs...)...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func hasAll(cols map[string]string, need []string) bool {
	if cols == nil {
		return false
	}
	for _, c := range need {
		if _, ok := cols[c]; !ok {
			return false
		}
	}
	return true
}
