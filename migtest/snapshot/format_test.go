package snapshot_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/migtest/migtest/migtest/snapshot"
)

// tricky is a snapshot with names, comments, types and bodies that need
// quoting or escaping to stay on one line and read back the same.
func tricky() *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Tables: []snapshot.Table{
			{
				Name: "tabSales Invoice", Rows: 1000,
				Options: snapshot.TableOptions{Engine: "InnoDB", Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci", CreateOptions: "row_format=DYNAMIC", Comment: "it's\na \\ comment\twith\x00 bytes"},
				Columns: []snapshot.Column{
					{Name: "name", Type: "varchar(140)"},
					{Name: "weird `col` name", Type: "enum('a','b c','NULL')", Nullable: true, Default: "'b c'", Comment: "'quoted'"},
					{Name: "new\nline", Type: "int unsigned", Nullable: true, Default: "(`a` + 1)"},
					{Name: "ts", Type: "timestamp(6)", Default: "current_timestamp(6)", OnUpdate: "current_timestamp(6)"},
					{Name: "g", Type: "decimal(21,9)", Nullable: true, Generated: "`a` * 2", Stored: true, Invisible: true},
					{Name: "odd type", Type: "int NOT weird", Nullable: true, Default: "a b"},
					{Name: "quote type", Type: `"x"`, Collation: "utf8mb4_bin", AutoIncrement: true},
					{Name: "paren", Type: "varchar(10)", Nullable: true, Generated: "concat(')', `x`)"},
				},
				Indexes: []snapshot.Index{
					{Name: "idx_b", Parts: []snapshot.IndexPart{{Column: "weird `col` name", Length: 10}, {Column: "name", Desc: true}}, Comment: "idx"},
					{Name: "PRIMARY", Unique: true, Parts: []snapshot.IndexPart{{Column: "name"}}},
					{Name: "ft", Kind: "FULLTEXT", Parts: []snapshot.IndexPart{{Column: "name"}}, Ignored: true},
					{Name: "fx", Parts: []snapshot.IndexPart{{Expression: "lower(`name`)"}}},
				},
				ForeignKeys: []snapshot.ForeignKey{
					{Name: "fk 1", Columns: []string{"name", "ts"}, RefSchema: "other db", RefTable: "tab.Y", RefColumns: []string{"a", "b"}, OnDelete: "CASCADE", OnUpdate: "SET NULL"},
				},
				Checks: []snapshot.Check{{Name: "chk", Clause: "`a` <> ')'"}},
			},
			{
				Name: "by", Rows: -1,
				Options: snapshot.TableOptions{Engine: "InnoDB"},
				Columns: []snapshot.Column{{Name: "y", Type: "int"}},
				Partitioning: &snapshot.Partitioning{
					Method: "RANGE COLUMNS", Expression: "`y`", SubMethod: "HASH", SubExpression: "`y`",
					Partitions: []snapshot.Partition{
						{Name: "by", Values: "2024", Subpartitions: []string{"s0", "s 1"}, Comment: "first"},
						{Name: "pmax", Values: "MAXVALUE"},
					},
				},
			},
		},
		Views: []snapshot.View{
			{Name: "v1", CheckOption: "CASCADED", Definition: "select `a` AS `a`\nfrom `t`"},
			{Name: "v2", Definition: "select 1  \r\nfrom dual"},
		},
		Triggers: []snapshot.Trigger{{Name: "tr", Table: "tab X", Timing: "BEFORE", Event: "INSERT", Order: 2, Body: "BEGIN\n\tSET NEW.a = 1;\n\n  -- | not a line\nEND"}},
		Routines: []snapshot.Routine{
			{Name: "p", Type: "PROCEDURE", Params: "IN `a b` int, OUT y varchar(10)", DataAccess: "READS SQL DATA", Security: "INVOKER", Comment: "c", Body: "BEGIN\nEND"},
			{Name: "p", Type: "FUNCTION", Params: "", Returns: "varchar(10) CHARSET utf8mb4", Deterministic: true, Body: "RETURN 'x'"},
		},
		Events:    []snapshot.Event{{Name: "e", Schedule: "EVERY 1 DAY", Status: "DISABLED", Preserve: true, Comment: "nightly", Body: "DELETE FROM t"}},
		Sequences: []snapshot.Sequence{{Name: "s", Start: 1, Min: -5, Max: 9223372036854775806, Increment: 2, Cache: 1000, Cycle: true}},
		Patches:   []string{"v1_0.b", "v1_0.a", "odd id with spaces"},
	}
}

var equateEmpty = cmpopts.EquateEmpty()

func TestFormatParseRoundTrip(t *testing.T) {
	t.Parallel()
	s := tricky()
	text := s.Format()
	got, err := snapshot.Parse(text)
	if err != nil {
		t.Fatalf("Parse(Format(s)): %v\n%s", err, text)
	}
	if d := snapshot.Compare(s, got); !d.Empty() {
		t.Errorf("Compare(s, Parse(Format(s))) is not empty:\n%s\n%s", d, text)
	}
	// Same content; only the order (PRIMARY first, names sorted) may differ.
	byName := cmpopts.SortSlices(func(a, b snapshot.Index) bool { return a.Name < b.Name })
	if d := cmp.Diff(s, got, equateEmpty, byName, cmpopts.SortSlices(func(a, b snapshot.Table) bool { return a.Name < b.Name }),
		cmpopts.SortSlices(func(a, b snapshot.View) bool { return a.Name < b.Name }),
		cmpopts.SortSlices(func(a, b snapshot.Routine) bool { return a.Name+a.Type < b.Name+b.Type })); d != "" {
		t.Errorf("Parse(Format(s)) differs (-want +got):\n%s\n%s", d, text)
	}
	if again := got.Format(); !bytes.Equal(again, text) {
		t.Errorf("Format(Parse(Format(s))) differs from Format(s):\n%s\n---\n%s", again, text)
	}
	for _, l := range strings.Split(string(text), "\n") {
		if strings.TrimRight(l, " \t") != l {
			t.Errorf("line with trailing blanks: %q", l)
		}
	}
}

func TestFormatShape(t *testing.T) {
	t.Parallel()
	s := &snapshot.Snapshot{Tables: []snapshot.Table{{
		Name: "tabCustomer", Rows: 1000,
		Options: snapshot.TableOptions{Engine: "InnoDB", Charset: "utf8mb4", Collation: "utf8mb4_unicode_ci"},
		Columns: []snapshot.Column{
			{Name: "name", Type: "varchar(140)"},
			{Name: "custom_region", Type: "varchar(140)", Nullable: true, Default: "'EMEA'", Comment: "x"},
		},
		Indexes: []snapshot.Index{
			{Name: "idx_region", Parts: []snapshot.IndexPart{{Column: "custom_region"}, {Column: "creation", Length: 10}}},
			{Name: "PRIMARY", Unique: true, Parts: []snapshot.IndexPart{{Column: "name"}}},
		},
		ForeignKeys: []snapshot.ForeignKey{{Name: "fk_x", Columns: []string{"a"}, RefTable: "tabY", RefColumns: []string{"b"}, OnDelete: "CASCADE"}},
		Checks:      []snapshot.Check{{Name: "chk_x", Clause: "`a` > 0"}},
	}}}
	want := `# migtest snapshot v1

table tabCustomer rows=1000 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci
  column name varchar(140) NOT NULL
  column custom_region varchar(140) NULL DEFAULT 'EMEA' COMMENT 'x'
  index PRIMARY UNIQUE (name)
  index idx_region (custom_region, creation(10))
  fk fk_x (a) REFERENCES tabY (b) ON DELETE CASCADE
  check chk_x (` + "`a` > 0)\n"
	if got := string(s.Format()); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	if got := string(s.SchemaOnly().Format()); strings.Contains(got, "rows=") {
		t.Errorf("SchemaOnly().Format() has row counts:\n%s", got)
	}
	if s.Tables[0].Rows != 1000 {
		t.Error("SchemaOnly changed the original")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	head := snapshot.Version + "\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty file"},
		{"no header", "table t\n", "line 1: not a migtest snapshot"},
		{"newer", "# migtest snapshot v2\n", "update migtest"},
		{"unknown kind", head + "tabel t\n", "line 2: unknown line kind"},
		{"column outside table", head + "view v\n  column a int NULL\n", "line 3: indented line"},
		{"missing null", head + "\ntable t\n  column a int\n", "line 4: column a: want NULL or NOT NULL"},
		{"bad rows", head + "table t rows=x\n", "line 2: rows=x is not a number"},
		{"unterminated quote", head + "table t comment='x\n", "line 2: unterminated ' quote"},
		{"duplicate table", head + "table t\n\ntable t\n", "line 4: table t appears twice (first on line 2)"},
		{"duplicate column", head + "table t\n  column a int NULL\n  column a int NULL\n", "line 4: column a appears twice"},
		{"body outside", head + "  | x\n", `line 2: a "|" body line outside`},
		{"bad index", head + "table t\n  index i UNIQUE name\n", "line 3: index i: want a list in parentheses"},
		{"partition first", head + "table t\n  partition p0\n", "line 3: a partition line before partition by"},
		{"bad indent", head + "table t\n   column a int NULL\n", ""},
		{"sequence missing", head + "sequence s start=1\n", "line 2: sequence s: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := snapshot.Parse([]byte(tt.in))
			if tt.want == "" {
				return // must not panic; either way is fine
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseAcceptsHandEdits(t *testing.T) {
	t.Parallel()
	// CRLF line ends, comments, `quoted` plain names and '' in values.
	in := snapshot.Version + "\r\n# a comment\r\n\r\ntable `t` comment='it''s'\r\n  column `a` int NULL\r\n"
	s, err := snapshot.Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables[0].Name != "t" || s.Tables[0].Options.Comment != "it's" || s.Tables[0].Columns[0].Name != "a" || s.Tables[0].Rows != -1 {
		t.Errorf("parsed %+v", s.Tables[0])
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tricky().Format())
	f.Add([]byte(snapshot.Version + "\ntable t rows=1\n  column a int NULL DEFAULT 'x'\n  index i (a(3) DESC)\n"))
	f.Add([]byte(snapshot.Version + "\nview v\n  | select 1\n  |\n  | from x\n"))
	f.Add([]byte(snapshot.Version + "\nview v\n  body \"a\\r\\nb \"\n"))
	f.Add([]byte(snapshot.Version + "\ntable t\n  partition by RANGE (`a`)\n  partition p VALUES LESS THAN (1)\n"))
	f.Add([]byte(snapshot.Version + "\ntable t\n  fk f (a) REFERENCES `x`.y (b) ON DELETE SET NULL ON UPDATE 'odd'\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := snapshot.Parse(in)
		if err != nil {
			return
		}
		out := s.Format()
		s2, err := snapshot.Parse(out)
		if err != nil {
			t.Fatalf("Parse(Format(Parse(x))) failed: %v\ninput:\n%s\nformatted:\n%s", err, in, out)
		}
		if out2 := s2.Format(); !bytes.Equal(out, out2) {
			t.Fatalf("Format(Parse(x)) is not a fixed point:\n%s\n---\n%s", out, out2)
		}
		if d := snapshot.Compare(s, s2); !d.Empty() {
			t.Fatalf("Compare(Parse(x), Parse(Format(Parse(x)))) = %s", d)
		}
	})
}
