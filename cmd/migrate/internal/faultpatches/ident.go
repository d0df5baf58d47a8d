package faultpatches

import (
	"context"
	"fmt"

	"github.com/migtest/migtest/migtest/patch"
)

// Weird identifiers: backticks, quotes, spaces and semicolons, each an
// attempt to close the quoting and run a statement of its own.
const (
	WeirdTable  = "we`ird 'ta\"ble; DROP TABLE `victim`; --"
	WeirdKey    = "k`ey; --"
	WeirdCol    = "va'l\"ue`; DROP TABLE victim"
	WeirdNew    = "n`ew co'l;"
	WeirdRename = "re\"named `col`; x"
	WeirdIndex  = "i`dx'; DROP TABLE victim; --"
	// WeirdValue is stored as data: helpers take values as parameters.
	WeirdValue = "it's a \"value\"; DROP TABLE `victim`; -- \\"
)

// Identifiers runs every schema helper and both batch modes over a table and
// columns with weird names; a table named victim must survive untouched.
var Identifiers = patch.Patch{
	ID:          "v1_0.fault_identifiers",
	Description: "Test patch: schema helpers and batches over identifiers with backticks, quotes, spaces and semicolons",
	Run:         runIdentifiers,
	Verify:      verifyIdentifiers,
}

func runIdentifiers(ctx context.Context, pc *patch.Context) error {
	q := patch.QuoteIdent
	t := WeirdTable
	for _, s := range []string{
		"CREATE TABLE IF NOT EXISTS `victim` (`id` int NOT NULL PRIMARY KEY) ENGINE=InnoDB",
		"INSERT IGNORE INTO `victim` VALUES (1)",
		"CREATE TABLE IF NOT EXISTS " + q(t) + " (" + q(WeirdKey) + " varchar(40) NOT NULL PRIMARY KEY, " + q(WeirdCol) + " varchar(200) NULL) ENGINE=InnoDB",
	} {
		if _, err := pc.DB.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	for i := range 30 {
		if _, err := pc.DB.Exec(ctx, "INSERT IGNORE INTO "+q(t)+" VALUES (?, ?)", fmt.Sprintf("k'`;%02d", i), WeirdValue); err != nil {
			return err
		}
	}
	if ok, err := pc.HasTable(ctx, t); err != nil {
		return fmt.Errorf("HasTable(%q): %w", t, err)
	} else if !ok {
		return fmt.Errorf("HasTable(%q) = false after CREATE TABLE", t)
	}
	steps := []func() error{
		func() error { return pc.AddColumn(ctx, t, WeirdNew, "int NULL") },
		func() error { return pc.AddIndex(ctx, t, WeirdIndex, patch.NonUnique, WeirdNew, WeirdCol) },
		func() error { return pc.RenameColumn(ctx, t, WeirdNew, WeirdRename) },
		func() error { return pc.ModifyColumn(ctx, t, WeirdRename, "bigint NULL") },
		func() error {
			_, err := pc.CopyTable(ctx, t)
			return err
		},
		func() error {
			_, err := pc.Batch(ctx, patch.Batch{Table: t, Name: "set", Size: 7, MinSize: 7, MaxSize: 7,
				Set: q(WeirdRename) + " = CHAR_LENGTH(" + q(WeirdCol) + ") + ?", SetArgs: []any{1},
				Where: q(WeirdCol) + " = ?", WhereArgs: []any{WeirdValue}})
			return err
		},
		func() error {
			_, err := pc.Batch(ctx, patch.Batch{Table: t, Name: "rows", Size: 7, MinSize: 7, MaxSize: 7,
				Columns: []string{WeirdCol, WeirdRename},
				Row: func(ctx context.Context, tx *patch.DB, r patch.Record) error {
					if r.String(WeirdCol) != WeirdValue {
						return fmt.Errorf("row %v: read %q, want %q", r.Key, r.String(WeirdCol), WeirdValue)
					}
					_, err := tx.Exec(ctx, "UPDATE "+q(t)+" SET "+q(WeirdCol)+" = CONCAT(?, "+q(WeirdCol)+") WHERE "+q(WeirdKey)+" = ?", "[ok] ", r.Key[0])
					return err
				}})
			return err
		},
		func() error { return pc.DropIndex(ctx, t, WeirdIndex) },
	}
	for i, s := range steps {
		if err := s(); err != nil {
			return fmt.Errorf("helper %d: %w", i+1, err)
		}
	}
	return nil
}

func verifyIdentifiers(ctx context.Context, pc *patch.Context) error {
	q := patch.QuoteIdent
	var victims, n, good int
	if err := pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM `victim`").Scan(&victims); err != nil {
		return fmt.Errorf("victim: %w", err)
	}
	want := int64(len([]rune(WeirdValue))) + 1
	if err := pc.DB.QueryRow(ctx, "SELECT COUNT(*), COALESCE(SUM("+q(WeirdCol)+" = CONCAT('[ok] ', ?) AND "+q(WeirdRename)+" = ?), 0) FROM "+q(WeirdTable), WeirdValue, want).Scan(&n, &good); err != nil {
		return err
	}
	if victims != 1 || n != 30 || good != 30 {
		return fmt.Errorf("victim rows %d (want 1), rows %d (want 30), rows as expected %d (want 30)", victims, n, good)
	}
	return nil
}
