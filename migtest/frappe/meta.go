package frappe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
)

// columns returns the columns of table (lower-cased name → COLUMN_TYPE), or
// nil when the table does not exist.
func columns(ctx context.Context, pc *patch.Context, table string) (map[string]string, error) {
	rows, err := pc.DB.Query(ctx, "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols map[string]string
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		if cols == nil {
			cols = map[string]string{}
		}
		cols[strings.ToLower(n)] = strings.ToLower(t)
	}
	return cols, rows.Err()
}

// upsertRow makes the row of table named name hold vals (column → value),
// writing only the columns the table has: it inserts the row with the
// standard columns when it is missing, updates the columns that differ
// (and modified) when it is not, and does nothing when it is equal. It
// reports whether it wrote.
func upsertRow(ctx context.Context, pc *patch.Context, table, name string, vals map[string]any) (bool, error) {
	cols, err := columns(ctx, pc, table)
	if err != nil {
		return false, err
	}
	if cols == nil {
		return false, fmt.Errorf("%s does not exist: this is not a Frappe site database, or an older one", table)
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		if _, ok := cols[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	cur, found, err := readRow(ctx, pc, table, name, keys)
	if err != nil {
		return false, err
	}
	if !found {
		return true, insertRow(ctx, pc, table, name, cols, keys, vals)
	}
	var sets []string
	var args []any
	for i, k := range keys {
		if want := text(vals[k]); cur[i] != want {
			sets = append(sets, patch.QuoteIdent(k)+" = ?")
			args = append(args, vals[k])
		}
	}
	if len(sets) == 0 {
		return false, nil
	}
	if _, ok := cols["modified"]; ok {
		sets = append(sets, "`modified` = NOW(6)")
	}
	q := "UPDATE " + patch.QuoteIdent(table) + " SET " + strings.Join(sets, ", ") + " WHERE `name` = ?"
	if _, err := pc.DB.Exec(ctx, q, append(args, name)...); err != nil {
		return false, fmt.Errorf("update %s %q: %w", table, name, err)
	}
	return true, nil
}

// readRow reads keys of the row named name, as text ("\x00" for NULL).
func readRow(ctx context.Context, pc *patch.Context, table, name string, keys []string) ([]string, bool, error) {
	sel := make([]string, len(keys))
	for i, k := range keys {
		sel[i] = patch.QuoteIdent(k)
	}
	q := "SELECT 1"
	if len(sel) > 0 {
		q = "SELECT " + strings.Join(sel, ", ")
	}
	raw := make([]sql.NullString, max(len(keys), 1))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	err := pc.DB.QueryRow(ctx, q+" FROM "+patch.QuoteIdent(table)+" WHERE `name` = ?", name).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s %q: %w", table, name, err)
	}
	out := make([]string, len(keys))
	for i := range keys {
		out[i] = "\x00"
		if raw[i].Valid {
			out[i] = raw[i].String
		}
	}
	return out, true, nil
}

func insertRow(ctx context.Context, pc *patch.Context, table, name string, cols map[string]string, keys []string, vals map[string]any) error {
	names := []string{"`name`"}
	marks := []string{"?"}
	args := []any{name}
	for _, k := range []string{"creation", "modified"} {
		if _, ok := cols[k]; ok && vals[k] == nil {
			names, marks = append(names, patch.QuoteIdent(k)), append(marks, "NOW(6)")
		}
	}
	for _, k := range []string{"owner", "modified_by"} {
		if _, ok := cols[k]; ok && vals[k] == nil {
			names, marks, args = append(names, patch.QuoteIdent(k)), append(marks, "?"), append(args, "Administrator")
		}
	}
	for _, k := range keys {
		names, marks, args = append(names, patch.QuoteIdent(k)), append(marks, "?"), append(args, vals[k])
	}
	q := "INSERT INTO " + patch.QuoteIdent(table) + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	if _, err := pc.DB.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("insert %s %q: %w", table, name, err)
	}
	return nil
}

// text is v as the server returns it as text ("\x00" for nil).
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return "\x00"
	case string:
		return v
	case Value:
		return string(v)
	case bool:
		if v {
			return "1"
		}
		return "0"
	default:
		return fmt.Sprint(v)
	}
}

// docTypeFlags reads istable and issingle of doctype from `tabDocType`;
// found is false when there is no such row (or no tabDocType).
func docTypeFlags(ctx context.Context, pc *patch.Context, doctype string) (istable, issingle, found bool, err error) {
	cols, err := columns(ctx, pc, "tabDocType")
	if err != nil || cols == nil {
		return false, false, false, err
	}
	sel := "0, 0"
	if _, ok := cols["issingle"]; ok {
		sel = "0, issingle"
		if _, ok := cols["istable"]; ok {
			sel = "istable, issingle"
		}
	}
	var t, s sql.NullInt64
	err = pc.DB.QueryRow(ctx, "SELECT "+sel+" FROM `tabDocType` WHERE `name` = ?", doctype).Scan(&t, &s)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, false, nil
	}
	if err != nil {
		return false, false, false, fmt.Errorf("read DocType %s: %w", doctype, err)
	}
	return t.Int64 != 0, s.Int64 != 0, true, nil
}
