package dump

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/migtest/migtest/migtest/dump/sqlsplit"
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

// TestScanSakila splits the public Sakila files (routines between
// DELIMITER lines, a BLOB, GEOMETRY values, strings with quotes and
// semicolons) with a 16-byte read buffer, which leaves the scanner's
// fast path at nearly every string, and with the default one, in which it
// skips whole strings: the pieces must be the same and give the file back,
// and the data file must split into exactly its INSERT lines.
func TestScanSakila(t *testing.T) {
	t.Parallel()
	schema, data := sakila(t)
	text, err := os.ReadFile(schema)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{"schema": text, "data": gunzip(t, data)} {
		small := scanPieces(t, in, sqlsplit.WithBufferSize(16))
		large := scanPieces(t, in)
		if d := cmp.Diff(small, large); d != "" {
			t.Fatalf("%s: 16-byte and default buffers split differently (-16 +default):\n%s", name, d)
		}
		var joined bytes.Buffer
		inserts := 0
		for _, p := range large {
			joined.WriteString(p.Raw)
			if strings.HasPrefix(p.Text, "INSERT INTO ") {
				inserts++
			}
		}
		if !bytes.Equal(joined.Bytes(), in) {
			t.Fatalf("%s: the pieces do not give the file back", name)
		}
		if want := bytes.Count(in, []byte("\nINSERT INTO ")); inserts != want {
			t.Errorf("%s: %d INSERT statements, want %d (the lines that start one)", name, inserts, want)
		}
	}
}

// scannedPiece is a sqlsplit.Piece with its bytes copied out.
type scannedPiece struct {
	Kind         sqlsplit.Kind
	Raw, Text    string
	Delim        string
	Line         int
	Offset       int64
	Unterminated string
}

func scanPieces(t *testing.T, in []byte, opts ...sqlsplit.Option) []scannedPiece {
	t.Helper()
	s := sqlsplit.NewScanner(bytes.NewReader(in), opts...)
	var out []scannedPiece
	for s.Scan() {
		p := s.Piece()
		out = append(out, scannedPiece{p.Kind, string(p.Raw), string(p.Text), p.Delim, p.Line, p.Offset, p.Unterminated})
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
