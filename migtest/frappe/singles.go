package frappe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/migtest/migtest/migtest/patch"
)

// SetSingleValue sets field of the Single DocType doctype to value in
// `tabSingles`, as frappe.db.set_single_value does: the field ends with
// exactly one row holding value (nil stores NULL; true and false store 1
// and 0). It writes nothing when the field holds value already, so it is
// idempotent; the delete and insert run in one transaction.
func SetSingleValue(ctx context.Context, pc *patch.Context, doctype, field string, value any) error {
	want := singleText(value)
	var n, same int
	err := pc.DB.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM(`value` <=> ?), 0) FROM `tabSingles` WHERE `doctype` = ? AND `field` = ?",
		nullString(want), doctype, field).Scan(&n, &same)
	if err != nil {
		return fmt.Errorf("set single value %s.%s: %w", doctype, field, err)
	}
	if n == 1 && same == 1 {
		return nil
	}
	err = pc.DB.Tx(ctx, func(tx *patch.DB) error {
		if _, err := tx.Exec(ctx, "DELETE FROM `tabSingles` WHERE `doctype` = ? AND `field` = ?", doctype, field); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO `tabSingles` (`doctype`, `field`, `value`) VALUES (?, ?, ?)", doctype, field, nullString(want))
		return err
	})
	if err != nil {
		return fmt.Errorf("set single value %s.%s: %w", doctype, field, err)
	}
	pc.Log.Info("single value set", "doctype", doctype, "field", field)
	return nil
}

// GetSingleValue returns the value of field of the Single DocType doctype
// from `tabSingles`; ok is false when the field has no row or a NULL value.
func GetSingleValue(ctx context.Context, pc *patch.Context, doctype, field string) (value string, ok bool, err error) {
	var v sql.NullString
	err = pc.DB.QueryRow(ctx, "SELECT `value` FROM `tabSingles` WHERE `doctype` = ? AND `field` = ? LIMIT 1", doctype, field).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get single value %s.%s: %w", doctype, field, err)
	}
	return v.String, v.Valid, nil
}

// singleText is value as tabSingles stores it; "\x00" stands for NULL.
func singleText(value any) string {
	if v, ok := value.(Value); ok {
		return string(v)
	}
	return text(value)
}

func nullString(s string) any {
	if s == "\x00" {
		return nil
	}
	return s
}
