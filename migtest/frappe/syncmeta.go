package frappe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
)

// syncMeta makes the `tabDocType` row and the `tabDocField` rows of dt
// match the file, writing only what differs and only the columns the
// site's tables have; DocField rows of fields the file no longer has are
// deleted, as Frappe's import of a DocType replaces its child rows.
func syncMeta(ctx context.Context, pc *patch.Context, dt DocType) error {
	_, err := upsertRow(ctx, pc, "tabDocType", dt.Name, map[string]any{
		"module": dt.Module, "istable": dt.Istable.Int(), "issingle": dt.Issingle.Int(), "custom": dt.Custom.Int(),
		"autoname": dt.Autoname, "title_field": dt.TitleField, "track_seen": dt.TrackSeen.Int(),
	})
	if err != nil {
		return err
	}
	cols, err := columns(ctx, pc, "tabDocField")
	if err != nil || !hasAll(cols, []string{"parent", "fieldname"}) {
		return err
	}
	var keep []any
	for i, f := range dt.Fields {
		if f.Fieldname == "" {
			continue
		}
		name, err := docFieldRow(ctx, pc, dt.Name, f.Fieldname)
		if err != nil {
			return err
		}
		_, err = upsertRow(ctx, pc, "tabDocField", name, map[string]any{
			"parent": dt.Name, "parentfield": "fields", "parenttype": "DocType", "idx": i + 1,
			"fieldname": f.Fieldname, "label": f.Label, "fieldtype": f.Fieldtype, "options": f.Options,
			"reqd": f.Reqd.Int(), "unique": f.Unique.Int(), "search_index": f.SearchIndex.Int(),
			"in_list_view": f.InListView.Int(), "hidden": f.Hidden.Int(), "read_only": f.ReadOnly.Int(),
			"default": nullable(f.Default),
		})
		if err != nil {
			return err
		}
		keep = append(keep, f.Fieldname)
	}
	q := "DELETE FROM `tabDocField` WHERE `parent` = ?"
	args := []any{dt.Name}
	if len(keep) > 0 {
		q += " AND `fieldname` NOT IN (?" + strings.Repeat(", ?", len(keep)-1) + ")"
		args = append(args, keep...)
	}
	var n int
	if err := pc.DB.QueryRow(ctx, strings.Replace(q, "DELETE", "SELECT COUNT(*)", 1), args...).Scan(&n); err != nil {
		return fmt.Errorf("DocFields of %s: %w", dt.Name, err)
	}
	if n == 0 {
		return nil
	}
	if _, err := pc.DB.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("delete DocFields of %s the file no longer has: %w", dt.Name, err)
	}
	return nil
}

// docFieldRow returns the name of the tabDocField row of doctype's field,
// or a new stable name when there is none.
func docFieldRow(ctx context.Context, pc *patch.Context, doctype, fieldname string) (string, error) {
	var name string
	err := pc.DB.QueryRow(ctx, "SELECT `name` FROM `tabDocField` WHERE `parent` = ? AND `fieldname` = ? ORDER BY `name` LIMIT 1", doctype, fieldname).Scan(&name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return docFieldName(doctype, fieldname), nil
	case err != nil:
		return "", fmt.Errorf("DocField %s.%s: %w", doctype, fieldname, err)
	}
	return name, nil
}
