package sqltext

import "testing"

// FuzzLex checks that the lexer never panics, that tokens are in order
// inside the text, that a quoted identifier or string reads back what
// QuoteIdent and QuoteString wrote, and that TablesWritten never panics.
func FuzzLex(f *testing.F) {
	for _, s := range []string{
		"INSERT INTO `a``b` VALUES ('x\\'y', \"z\")", "select 1--1", "/*!40101 SET x=1 */;", "/*M!100100 a */ b",
		"UPDATE a JOIN b ON a.id = b.id SET a.x = 1, b.y = 2", "DELETE t1, t2 FROM t1 JOIN t2 USING (id)",
		"RENAME TABLE a TO b, c TO d", "'unterminated", "@`v`", ".5e3", "t.1c", "# c\n-- c\n/* c */",
	} {
		f.Add(s, "x`y")
	}
	f.Fuzz(func(t *testing.T, s, name string) {
		for _, d := range []Dialect{{}, {ANSIQuotes: true, NoBackslashEscapes: true}, {MySQL: true, Version: 80000}, {SkipExecutable: true}} {
			last := 0
			for _, tk := range Tokens(s, d) {
				if tk.Pos < last || tk.End <= tk.Pos || tk.End > len(s) || s[tk.Pos:tk.End] != tk.Raw {
					t.Fatalf("token %+v out of place in %q", tk, s)
				}
				last = tk.End
			}
			_ = TablesWritten(s, d)
		}
		if toks := Tokens(QuoteIdent(name), Dialect{}); len(toks) != 1 || toks[0].Val != name {
			t.Fatalf("QuoteIdent(%q) lexes as %+v", name, toks)
		}
		if got, ok := UnquoteString(QuoteString(name)); !ok || got != name {
			t.Fatalf("QuoteString(%q) reads back as %q", name, got)
		}
		if toks := Tokens(QuoteString(name), Dialect{}); len(toks) != 1 || toks[0].Kind != String || toks[0].Val != name {
			t.Fatalf("QuoteString(%q) lexes as %+v", name, toks)
		}
	})
}
