package dump

import (
	"math"
	"strconv"
	"strings"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// tokKind is the kind of a token of a statement head.
type tokKind int

const (
	tWord  tokKind = iota // unquoted keyword or identifier, Text upper-cased
	tIdent                // quoted identifier (`x`), Text unescaped
	tStr                  // string literal, Text unescaped
	tNum                  // number
	tPunct                // one byte of punctuation: ( ) , . = @ ; etc.
	tVar                  // @x or @@x
)

type token struct {
	kind       tokKind
	text       string // upper-cased for words
	raw        string // as written (for words: original case)
	start, end int    // byte range in the statement
}

// is reports whether t is the word w (upper case).
func (t token) is(w string) bool { return t.kind == tWord && t.text == w }

// name returns the identifier t names (quoted or not).
func (t token) name() (string, bool) {
	switch t.kind {
	case tIdent:
		return t.text, true
	case tWord:
		return t.raw, true
	}
	return "", false
}

// lexer tokenizes a statement the way the server reads it, with
// sqltext: comments are skipped, executable comments ("/*!NNNNN ... */",
// "/*M!NNNNNN ... */") are read when the server would run them and
// skipped otherwise.
type lexer struct{ l *sqltext.Lexer }

func newLexer(s string, version int, mariadb, ansi bool) *lexer {
	if version == 0 {
		version = 1 // unknown: no versioned executable comment runs
	}
	return &lexer{l: sqltext.NewLexer(s, sqltext.Dialect{Version: version, MySQL: !mariadb, ANSIQuotes: ansi})}
}

var tokKinds = map[sqltext.Kind]tokKind{
	sqltext.Word: tWord, sqltext.Ident: tIdent, sqltext.String: tStr,
	sqltext.Number: tNum, sqltext.Punct: tPunct, sqltext.Var: tVar,
}

// next returns the next token; ok is false at the end.
func (l *lexer) next() (token, bool) {
	t, ok := l.l.Next()
	if !ok {
		return token{}, false
	}
	text := t.Val
	if t.Kind == sqltext.Word || t.Kind == sqltext.Var {
		text = strings.ToUpper(t.Raw)
	}
	return token{kind: tokKinds[t.Kind], text: text, raw: t.Raw, start: t.Pos, end: t.End}, true
}

// all returns every token of s.
func (l *lexer) all() []token { return l.tokens(math.MaxInt) }

// tokens returns up to n tokens of s.
func (l *lexer) tokens(n int) []token {
	var out []token
	for len(out) < n {
		t, ok := l.next()
		if !ok {
			break
		}
		out = append(out, t)
	}
	return out
}

// quoteIdent quotes an identifier with backticks (sqltext.QuoteIdent).
func quoteIdent(s string) string { return sqltext.QuoteIdent(s) }

// parseVersion turns "10.11.19-MariaDB-..." into 101119 and whether the
// server is MariaDB.
func parseVersion(v string) (int, bool) {
	mariadb := strings.Contains(strings.ToLower(v), "mariadb")
	parts := strings.SplitN(v, ".", 3)
	num := func(s string) int {
		j := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(s[:j])
		return n
	}
	if len(parts) < 3 {
		return 0, mariadb
	}
	return num(parts[0])*10000 + num(parts[1])*100 + num(parts[2]), mariadb
}

// renameSchema rewrites the references to the database from in text
// ("from.t" where a table or routine goes, "from.t.c", "from.f()",
// NEXTVAL(from.s)) to the database to, outside literals and comments, so
// that a view, default or routine of a dump that names its own database
// refers to the target. "from.c" where from is a table or alias (a column)
// is left alone.
func renameSchema(text, from, to string, version int, mariadb, ansi bool) string {
	if !strings.Contains(text, from) {
		return text
	}
	toks := newLexer(text, version, mariadb, ansi).all()
	refs, _ := schemaRefs(toks)
	var b strings.Builder
	last := 0
	for _, r := range refs {
		if r.name != from || !r.surely {
			continue
		}
		t := toks[r.tok]
		b.WriteString(text[last:t.start])
		b.WriteString(quoteIdent(to))
		last = t.end
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}
