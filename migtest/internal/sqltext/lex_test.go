package sqltext

import (
	"strings"
	"testing"
)

// vals joins the values of s's tokens with spaces.
func vals(s string, d Dialect) string {
	var out []string
	for _, t := range Tokens(s, d) {
		out = append(out, t.Val)
	}
	return strings.Join(out, " ")
}

// TestCommentsFromMariaDB reads the statements of MariaDB's
// mysql-test/main/comments.test; want is what the server reads of them.
func TestCommentsFromMariaDB(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"select 1+2/*hello*/+3;", "select 1 + 2 + 3 ;"},
		{"select 1 /* long\nmulti line comment */;", "select 1 ;"},
		{"select 1 /*!32301 +1 */;", "select 1 + 1 ;"},
		{"select 1 /*!52301 +1 */;", "select 1 ;"}, // MariaDB skips MySQL 5.7+ comments
		{"select 1--1;", "select 1 - - 1 ;"},       // "--" without a blank after it is no comment
		{"select 1 --2\n+1;", "select 1 - - 2 + 1 ;"},
		{"select 1 -- The rest of the row will be ignored\n;", "select 1 ;"},
		{"/* line with only comment */;", ";"},
		{"select 1/*!2*/;", "select 1 2 ;"}, // fewer than 5 digits: no version, the content runs
		{"select 1/*!999992*/;", "select 1 ;"},
		{"select 1 + /*!00000 2 */ + 3 /*!99999 noise*/ + 4;", "select 1 + 2 + 3 + 4 ;"},
		{"select 1 # hash comment\n, 2", "select 1 , 2"},
		{"select 1 --\t tab\n", "select 1"},
		{"select 1 --", "select 1"},
		{"select /*M!100100 1, */ 2", "select 1 , 2"},
		{"select /*!50700 1, */ /*!80000 3, */ 2", "select 2"},
		{"select 1 /* unterminated", "select 1"},
	}
	for _, tt := range tests {
		if got := vals(tt.in, Dialect{}); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	// a MySQL server: /*M! does not run, 5.7+ comments do.
	if got := vals("select /*M!100100 1, */ /*!50700 3, */ 2", Dialect{MySQL: true, Version: 80036}); got != "select 3 , 2" {
		t.Errorf("MySQL: got %q", got)
	}
	// an older server skips a newer comment; SkipExecutable skips them all.
	if got := vals("select /*!100500 1, */ 2", Dialect{Version: 100406}); got != "select 2" {
		t.Errorf("10.4: got %q", got)
	}
	if got := vals("select /*!40101 1, */ /*M! 3, */ 2", Dialect{SkipExecutable: true}); got != "select 2" {
		t.Errorf("SkipExecutable: got %q", got)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	toks := Tokens("INSERT INTO `a``b`.t1 VALUES (.5, 'it''s', \"q\", @x, @@session.sql_mode, t.1c)", Dialect{})
	var got []string
	for _, tk := range toks {
		got = append(got, map[Kind]string{Word: "w", Ident: "i", String: "s", Number: "n", Punct: "p", Var: "v"}[tk.Kind]+":"+tk.Val)
	}
	want := "w:INSERT w:INTO i:a`b p:. w:t1 w:VALUES p:( n:.5 p:, s:it's p:, s:q p:, v:@x p:, v:@@session.sql_mode p:, w:t p:. n:1c p:)"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("tokens:\n got %s\nwant %s", g, want)
	}
	if toks[2].Raw != "`a``b`" || toks[2].Pos != 12 || toks[2].End != 18 {
		t.Errorf("raw/pos of the identifier: %+v", toks[2])
	}
	if got := vals(`select "x" from t`, Dialect{ANSIQuotes: true}); got != "select x from t" || Tokens(`"x"`, Dialect{ANSIQuotes: true})[0].Kind != Ident {
		t.Errorf("ANSI_QUOTES: %q", got)
	}
}

// TestEscapes follows the table of the MariaDB manual's "String Literals"
// (and mysql-test/main/strings.test): \0 \b \n \r \t \Z stand for control
// bytes, \% and \_ keep their backslash, any other escaped byte is itself.
func TestEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`'\0'`, "\x00"}, {`'\b'`, "\b"}, {`'\n'`, "\n"}, {`'\r'`, "\r"}, {`'\t'`, "\t"}, {`'\Z'`, "\x1a"},
		{`'\\'`, `\`}, {`'\''`, `'`}, {`'\"'`, `"`}, {`'\%'`, `\%`}, {`'\_'`, `\_`}, {`'\x'`, `x`},
		{`''''`, `'`}, {`"a""b"`, `a"b`}, {`'a''b\'c'`, `a'b'c`},
	}
	for _, tt := range tests {
		got, ok := UnquoteString(tt.in)
		if !ok || got != tt.want {
			t.Errorf("UnquoteString(%s) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{`'abc`, `'abc\'`, `'a'b'`, `abc`, `'`} {
		if _, ok := UnquoteString(bad); ok {
			t.Errorf("UnquoteString(%s) accepted", bad)
		}
	}
	if got := vals(`'a\'`, Dialect{NoBackslashEscapes: true}); got != `a\` {
		t.Errorf("NO_BACKSLASH_ESCAPES: %q", got)
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"plain", "tab Customer", "a`b", "``", "db.t", "ä"} {
		q := QuoteIdent(name)
		back, err := UnquoteIdent(q)
		if err != nil || back != name {
			t.Errorf("UnquoteIdent(QuoteIdent(%q)) = %q, %v", name, back, err)
		}
		if toks := Tokens(q, Dialect{}); len(toks) != 1 || toks[0].Kind != Ident || toks[0].Val != name {
			t.Errorf("QuoteIdent(%q) = %s does not lex as one identifier: %+v", name, q, toks)
		}
	}
	if _, err := UnquoteIdent("`a`b`"); err == nil {
		t.Error("UnquoteIdent accepted `a`b`")
	}
	if got := QuoteQualified("db", "t`1"); got != "`db`.`t``1`" {
		t.Errorf("QuoteQualified = %s", got)
	}
	for _, s := range []string{"", "it's", `back\slash`, "nul\x00 nl\n cr\r z\x1a \"q\" \b\t%_", "ü"} {
		q := QuoteString(s)
		if back, ok := UnquoteString(q); !ok || back != s {
			t.Errorf("UnquoteString(QuoteString(%q)) = %q, %v", s, back, ok)
		}
	}
}
