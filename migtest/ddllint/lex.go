package ddllint

import "strings"

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

// lex splits a statement into tokens, skipping whitespace and comments
// (-- and # to the end of the line, /* ... */, including MariaDB's
// executable /*! ... */ comments, whose content is skipped too). An
// unterminated quote or comment ends the statement.
func lex(s string) []token {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#' || (c == '-' && strings.HasPrefix(s[i:], "--") && (i+2 == len(s) || isSpace(s[i+2]))):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return toks
			}
			i += j + 4
		case c == '`' || c == '\'' || c == '"':
			val, end := quoted(s, i)
			kind := tokString
			if c == '`' {
				kind = tokIdent
			}
			toks = append(toks, token{kind: kind, text: s[i:end], val: val, pos: i, end: end})
			i = end
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tokNumber, text: s[i:j], val: s[i:j], pos: i, end: j})
			i = j
		case isWordByte(c) || c >= 0x80:
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] >= 0x80) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], val: s[i:j], pos: i, end: j})
			i = j
		default:
			toks = append(toks, token{kind: tokPunct, text: s[i : i+1], val: s[i : i+1], pos: i, end: i + 1})
			i++
		}
	}
	return toks
}

// quoted reads the quoted token starting at s[i] and returns its value and
// end. A doubled quote stands for itself; in strings, a backslash escapes.
func quoted(s string, i int) (string, int) {
	q := s[i]
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		switch {
		case c == q && j+1 < len(s) && s[j+1] == q:
			b.WriteByte(q)
			j += 2
		case c == q:
			return b.String(), j + 1
		case c == '\\' && q != '`' && j+1 < len(s):
			b.WriteByte(unescape(s[j+1]))
			j += 2
		default:
			b.WriteByte(c)
			j++
		}
	}
	return b.String(), len(s)
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case '0':
		return 0
	case 'Z':
		return 0x1a
	}
	return c
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isWordByte(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
