package ddllint

import (
	"strings"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tokWord   tokKind = iota // a keyword or bare identifier
	tokIdent                 // a `quoted` identifier
	tokString                // a 'string' or "string" literal
	tokNumber                // a number
	tokPunct                 // one character: ( ) , . ; = and the rest
)

// token is a token of a statement: text is its source, val its value (the
// identifier without quotes, the string without quotes and escapes, a word
// as written), pos and end its byte offsets in the statement.
type token struct {
	kind     tokKind
	text     string
	val      string
	pos, end int
}

// is reports whether t is the keyword kw (case-insensitively).
func (t token) is(kw string) bool { return t.kind == tokWord && strings.EqualFold(t.val, kw) }

// punct reports whether t is the punctuation c.
func (t token) punct(c byte) bool { return t.kind == tokPunct && t.text[0] == c }

// name reports whether t can name a table or column.
func (t token) name() bool { return t.kind == tokWord || t.kind == tokIdent }

// tokKinds maps sqltext's token kinds to the lint's; a variable (@x) is
// punctuation to the lint.
var tokKinds = map[sqltext.Kind]tokKind{
	sqltext.Word: tokWord, sqltext.Ident: tokIdent, sqltext.String: tokString,
	sqltext.Number: tokNumber, sqltext.Punct: tokPunct, sqltext.Var: tokPunct,
}

// lex splits a statement into tokens with sqltext, skipping whitespace and
// comments (-- and # to the end of the line, /* ... */, including MariaDB's
// executable /*! ... */ comments, whose content is skipped too: the lint
// reads what every server runs). An unterminated quote or comment ends the
// statement.
func lex(s string) []token {
	var toks []token
	for _, t := range sqltext.Tokens(s, sqltext.Dialect{SkipExecutable: true}) {
		toks = append(toks, token{kind: tokKinds[t.Kind], text: t.Raw, val: t.Val, pos: t.Pos, end: t.End})
	}
	return toks
}
