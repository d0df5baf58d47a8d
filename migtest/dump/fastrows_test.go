package dump

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/dump/sqlsplit"
	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// fastCols are the column lists FuzzFastRows reads values for: bit k of
// mask set makes column k numeric.
func fastCols(n, mask uint8) []ldCol {
	cols := make([]ldCol, 1+int(n)%6)
	for k := range cols {
		cols[k] = ldCol{name: "c", num: mask&(1<<k) != 0}
	}
	return cols
}

// FuzzFastRows: wherever the byte reader of VALUES lists (fastRows) takes
// a list, the lexer's reading (lexRows) takes it too and writes the same
// text and row count. The byte reader may give up where the lexer does
// not; it must never read a list differently.
func FuzzFastRows(f *testing.F) {
	for _, s := range []string{
		" (1,'a',NULL),(2,'b\tc','')",
		"(1,-2.5,'x');",
		"(1,-2.5,'x');\n",
		"(1,'it''s',NULL)",
		"(1,'back\\\\slash',NULL)",
		"(1, 'a' ,\nnull ) , (2,'b',NULL) ;  ",
		"(1e3,'a',NULL)",
		"(0x1F,'a',NULL)",
		"(-.5,'a',NULL)",
		"(- 5,'a',NULL)",
		"(1,'a' 'b',NULL)",
		"(1,_utf8mb4'a',NULL)",
		"(1,'a',NULLx)",
		"(1,'a',NULL) /* c */",
		"(1,'a',NULL); -- c",
		"(1,\"a\",NULL)",
		"(1,'a\x00b',NULL)",
		"(1.,'a',NULL),(2..3,'b',NULL)",
		"(1,'a',NULL),",
		"(1,'a',NULL)x",
		"(1,'unterminated",
	} {
		f.Add(s, uint8(2), uint8(1))
	}
	f.Fuzz(func(t *testing.T, s string, n, mask uint8) {
		cols := fastCols(n, mask)
		var fast, lexed bytes.Buffer
		rows, ok := fastRows(s, cols, &fast)
		if !ok {
			return
		}
		lxRows, lxOK := lexRows(sqltext.NewLexer(s, sqltext.Dialect{}), cols, &lexed)
		if !lxOK || lxRows != rows || !bytes.Equal(fast.Bytes(), lexed.Bytes()) {
			t.Fatalf("%q (%d columns, numeric mask %b):\nfast  %d rows %q\nlexer %v %d rows %q", s, len(cols), mask, rows, fast.Bytes(), lxOK, lxRows, lexed.Bytes())
		}
	})
}

// TestFastRowsTakesDumps: the byte reader takes the VALUES lists
// mariadb-dump writes (so the fast path is fast), and gives up on what it
// leaves to the lexer.
func TestFastRowsTakesDumps(t *testing.T) {
	t.Parallel()
	cols := []ldCol{{num: true}, {}, {num: true}, {}}
	for _, tc := range []struct {
		in   string
		want string // "" : gives up
	}{
		{" (10001,'1953-09-02',60117,NULL),(10002,'a\tb',-1.50,'')", "10001\t1953-09-02\t60117\t\\N\n10002\ta\\tb\t-1.50\t\n"},
		{" (1,'x',2,'y');\n", "1\tx\t2\ty\n"},
		{" (1,'it''s',2,'y')", ""},
		{" (1,'a\\nb',2,'y')", ""},
		{" (1,'x',1e3,'y')", ""},
		{" (1,'x',2,'y') /* trailing */", ""},
		{" (1,'x',2)", ""},
		{" ('1','x',2,'y')", "1\tx\t2\ty\n"},
		{" (1,2,2,'y')", ""},
	} {
		var out bytes.Buffer
		_, ok := fastRows(tc.in, cols, &out)
		if got := out.String(); ok != (tc.want != "") || ok && got != tc.want {
			t.Errorf("fastRows(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// BenchmarkFastRows converts a 1 MB VALUES list shaped like the
// employees-shaped dump's salaries (two numbers, two quoted dates).
func BenchmarkFastRows(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(%d,%d,'1990-11-12','1991-11-12')", 10001+i/10, 40000+i)
	}
	s := sb.String() + ";"
	cols := []ldCol{{"emp_no", true}, {"salary", true}, {"from_date", false}, {"to_date", false}}
	var out bytes.Buffer
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		out.Reset()
		if _, ok := fastRows(s, cols, &out); !ok {
			b.Fatal("not taken")
		}
	}
}

// TestFastRowsSakila: the VALUES lists of the public Sakila sample's data
// file (escaped quotes, multi-line text, decimals, NULLs, a BLOB-free
// picture column, dates): wherever the byte reader takes a list it writes
// what the lexer writes, and it takes most of them.
func TestFastRowsSakila(t *testing.T) {
	t.Parallel()
	_, data, ok := sakilaPaths()
	if !ok {
		if servertest.Required() {
			t.Fatalf("the Sakila sample is missing: want %s (the shared test data beside the module)", data)
		}
		t.Skipf("the Sakila sample is not beside the repository (%s)", data)
	}
	sc := sqlsplit.NewScanner(bytes.NewReader(gunzip(t, data)))
	lists, taken := 0, 0
	for sc.Scan() {
		p := sc.Piece()
		text := string(p.Text)
		if p.Kind != sqlsplit.Statement || !strings.HasPrefix(text, "INSERT INTO") {
			continue
		}
		lx := sqltext.NewLexer(text, sqltext.Dialect{})
		tok, ok := lx.Next()
		for ok && !tok.Is("VALUES") {
			tok, ok = lx.Next()
		}
		values := text[tok.End:]
		lists++
		cols := sakilaCols(values)
		if cols == nil { // the lexer reads it with no column count (a hex literal): neither may the byte reader
			for n := 1; n <= 64; n++ {
				if _, ok := fastRows(values, numCols(n), &bytes.Buffer{}); ok {
					t.Errorf("statement %d (line %d): the byte reader took a list the lexer leaves", p.Number, p.Line)
				}
			}
			continue
		}
		var fast, lexed bytes.Buffer
		rows, ok := fastRows(values, cols, &fast)
		if !ok {
			continue
		}
		taken++
		lxRows, lxOK := lexRows(sqltext.NewLexer(values, sqltext.Dialect{}), cols, &lexed)
		if !lxOK || lxRows != rows || !bytes.Equal(fast.Bytes(), lexed.Bytes()) {
			t.Errorf("statement %d (line %d): the byte reader took %d rows the lexer reads as %v %d rows, or differently", p.Number, p.Line, rows, lxOK, lxRows)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lists == 0 || taken*2 < lists {
		t.Errorf("the byte reader took %d of %d VALUES lists; want most", taken, lists)
	}
	t.Logf("the byte reader took %d of %d VALUES lists", taken, lists)
}

// sakilaCols is a column list for the VALUES list s: as many columns as
// its first row has values (the count the lexer reads it with), each
// taking numbers; nil when the lexer reads it with none.
func sakilaCols(s string) []ldCol {
	for n := 1; n <= 64; n++ {
		if _, ok := lexRows(sqltext.NewLexer(s, sqltext.Dialect{}), numCols(n), &bytes.Buffer{}); ok {
			return numCols(n)
		}
	}
	return nil
}

// numCols is n columns that take numbers (and strings).
func numCols(n int) []ldCol {
	cols := make([]ldCol, n)
	for k := range cols {
		cols[k].num = true
	}
	return cols
}
