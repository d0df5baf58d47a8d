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

// loadSakila loads the Sakila files, as they are, with Restore.
func loadSakila(t *testing.T, tg target, opts ...RestoreOption) {
	t.Helper()
	schema, data := sakila(t)
	restoreFile(t, tg, schema, opts...)
	restoreFile(t, tg, data, opts...)
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
			loadSakila(t, got, tc.opts...)
			sameDatabase(t, want.db, want.Name, got.Name)
		})
	}
}

var _ = bytes.Contains
