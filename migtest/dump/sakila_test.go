package dump

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// loadSakilaStock loads the Sakila files with the stock client into tg,
// with the file's own database name replaced by tg's.
func loadSakilaStock(t *testing.T, tg target) {
	t.Helper()
	schema, data := sakila(t)
	s, err := os.ReadFile(schema)
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("DROP SCHEMA IF EXISTS sakila;", "", "CREATE SCHEMA sakila;", "", "USE sakila;", "USE `"+tg.Name+"`;", "sakila.", "`"+tg.Name+"`.")
	tool(t, strings.NewReader(r.Replace(string(s))), "mariadb", "--comments", tg.Name)
	tool(t, strings.NewReader(r.Replace(string(gunzip(t, data)))), "mariadb", tg.Name)
}

// loadSakila loads the Sakila files, as they are, with Restore, and
// returns the data file's Stats.
func loadSakila(t *testing.T, tg target, opts ...RestoreOption) Stats {
	t.Helper()
	schema, data := sakila(t)
	restoreFile(t, tg, schema, opts...)
	return restoreFile(t, tg, data, opts...)
}

func TestRestoreSakila(t *testing.T) {
	t.Parallel()
	want := newTarget(t)
	loadSakilaStock(t, want)
	for _, tc := range []struct {
		name string
		opts []RestoreOption
	}{
		{"parallel", nil},
		{"one connection", []RestoreOption{WithParallel(1)}},
		{"no deferred indexes", []RestoreOption{WithDeferredIndexes(false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := newTarget(t)
			st := loadSakila(t, got, tc.opts...)
			sameDatabase(t, want.db, want.Name, got.Name)
			// The data file inserts every table's rows but film_text's,
			// which the schema's ins_film trigger fills; the tables with
			// triggers load on the control connection.
			var rows int64
			for _, tab := range queryStrings(t, got.db, "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> 'film_text'", got.Name) {
				var n int64
				if err := got.db.QueryRow("SELECT COUNT(*) FROM " + quoteIdent(got.Name) + "." + quoteIdent(tab)).Scan(&n); err != nil {
					t.Fatal(err)
				}
				rows += n
			}
			if st.Rows != rows {
				t.Errorf("Stats.Rows = %d, want %d (the rows the data file inserts)", st.Rows, rows)
			}
		})
	}
}

var _ = bytes.Contains
