// Package rehearse runs the example patches on a fresh copy of the demo
// fixture, for the patches' own tests (until the rehearsal API lands).
package rehearse

import (
	"context"
	"database/sql"
	"testing"

	"github.com/migtest/migtest/fixtures"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
)

// Fixture returns a fresh database holding the demo site.
func Fixture(t *testing.T, newDB func(testing.TB) (string, *sql.DB)) *sql.DB {
	t.Helper()
	_, db := newDB(t)
	if err := fixtures.LoadDemoSite(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// Upto returns the set's patches up to and including id, with the set's hooks.
func Upto(t *testing.T, set patch.Set, id string) patch.Set {
	t.Helper()
	for i, p := range set.Patches {
		if p.ID == id {
			out := set
			out.Patches = set.Patches[:i+1]
			return out
		}
	}
	t.Fatalf("patch %s is not in the set", id)
	return patch.Set{}
}

// Up runs set on db and fails the test on error.
func Up(t *testing.T, db *sql.DB, set patch.Set) *migrate.UpResult {
	t.Helper()
	m, err := migrate.New(db, set)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Up(context.Background(), migrate.UpOptions{})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return res
}

// Count returns SELECT COUNT(*) FROM table WHERE where.
func Count(t *testing.T, db *sql.DB, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := "SELECT COUNT(*) FROM " + patch.QuoteIdent(table)
	if where != "" {
		q += " WHERE " + where
	}
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
