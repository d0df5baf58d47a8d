// Package sqltext is the one place migtest reads and writes MariaDB/MySQL
// SQL text: the tokenizer (quoted identifiers, strings with backslash and
// doubled-quote escapes, comments including executable /*! ... */ and
// /*M! ... */ ones, the "--" rule), identifier quoting and unquoting, the
// MySQL string escape table, and which tables a statement writes.
//
// It reads one statement (or a few, split at top-level semicolons) held in
// memory; the streaming splitter of dumps (dump/sqlsplit), which also knows
// the client's DELIMITER command, is built on the same rules.
package sqltext

import (
	"strconv"
	"strings"
)

// Kind is the kind of a token.
type Kind int

const (
	Word   Kind = iota // a keyword or bare identifier
	Ident              // a `quoted` identifier ("quoted" under ANSI_QUOTES)
	String             // a 'string' or "string" literal
	Number             // a number
	Punct              // one byte of punctuation: ( ) , . ; = and the rest
	Var                // a user or system variable: @x, @@x, @@session.x, @`x`
)

// Token is one token of a statement.
type Token struct {
	Kind Kind
	// Raw is the token's source text.
	Raw string
	// Val is its value: an identifier without quotes, a string without
	// quotes and escapes; every other token as written. Like Raw it may be
	// a slice of the statement's text: clone it to keep it long.
	Val string
	// Pos and End are its byte offsets in the statement.
	Pos, End int
}

// Is reports whether t is the keyword kw, case-insensitively.
func (t Token) Is(kw string) bool { return t.Kind == Word && strings.EqualFold(t.Val, kw) }

// IsPunct reports whether t is the punctuation c.
func (t Token) IsPunct(c byte) bool { return t.Kind == Punct && t.Raw[0] == c }

// Name returns the identifier t names, quoted or not.
func (t Token) Name() (string, bool) {
	if t.Kind == Word || t.Kind == Ident {
		return t.Val, true
	}
	return "", false
}

// Dialect is how the server reads the text.
type Dialect struct {
	// Version is the server's version as MMmmpp (101119 for 10.11.19);
	// 0 stands for DefaultVersion.
	Version int
	// MySQL is set for a MySQL server: "/*M!" comments do not run there,
	// and MySQL 5.7+ version comments do (MariaDB skips those).
	MySQL bool
	// ANSIQuotes is sql_mode ANSI_QUOTES: "x" is an identifier.
	ANSIQuotes bool
	// NoBackslashEscapes is sql_mode NO_BACKSLASH_ESCAPES.
	NoBackslashEscapes bool
	// SkipExecutable reads executable comments as plain comments (their
	// content is skipped), for a reader that wants only what every server
	// runs.
	SkipExecutable bool
}

// DefaultVersion is the server version a Dialect without one reads
// executable comments for: MariaDB 11.8, the newest LTS.
const DefaultVersion = 110800

// Lexer reads the tokens of a statement one by one.
type Lexer struct {
	s      string
	i      int
	d      Dialect
	inExec bool // inside an executable comment that runs
}

// NewLexer returns a Lexer over s.
func NewLexer(s string, d Dialect) *Lexer { return &Lexer{s: s, d: d} }

// Tokens returns every token of s.
func Tokens(s string, d Dialect) []Token {
	l := NewLexer(s, d)
	var out []Token
	for {
		t, ok := l.Next()
		if !ok {
			return out
		}
		out = append(out, t)
	}
}

// runs reports whether an executable comment of this kind (mariaOnly:
// "/*M!") and version (0: none given) runs.
func (l *Lexer) runs(mariaOnly bool, v int) bool {
	switch {
	case l.d.SkipExecutable, mariaOnly && l.d.MySQL:
		return false
	case v == 0:
		return true
	case !l.d.MySQL && !mariaOnly && v >= 50700 && v < 100000:
		return false // MariaDB ignores MySQL 5.7+ version comments
	}
	version := l.d.Version
	if version == 0 {
		version = DefaultVersion
	}
	return v <= version
}

// skip passes over white space and comments and reports whether a token
// follows.
func (l *Lexer) skip() bool {
	s := l.s
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case IsSpace(c):
			l.i++
		case c == '#' || c == '-' && strings.HasPrefix(s[l.i:], "--") && (l.i+2 >= len(s) || s[l.i+2] <= ' '):
			j := strings.IndexByte(s[l.i:], '\n')
			if j < 0 {
				l.i = len(s)
			} else {
				l.i += j + 1
			}
		case c == '*' && l.inExec && strings.HasPrefix(s[l.i:], "*/"):
			l.inExec = false
			l.i += 2
		case c == '/' && strings.HasPrefix(s[l.i:], "/*"):
			l.comment()
		default:
			return true
		}
	}
	return false
}

// comment passes over the comment at l.i, or into it when it is an
// executable comment that runs.
func (l *Lexer) comment() {
	s := l.s
	j := l.i + 2
	maria := false
	if j+1 < len(s) && s[j] == 'M' && s[j+1] == '!' {
		maria = true
		j++
	}
	if j < len(s) && s[j] == '!' && !l.inExec {
		j++
		k := j
		for k < len(s) && k-j < 6 && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		v := 0
		if k-j >= 5 {
			v, _ = strconv.Atoi(s[j:k])
		} else {
			k = j
		}
		if l.runs(maria, v) {
			l.inExec = true
			l.i = k
			return
		}
	}
	if e := strings.Index(s[l.i+2:], "*/"); e >= 0 {
		l.i += 2 + e + 2
	} else {
		l.i = len(s)
	}
}

// Next returns the next token; ok is false at the end. An unterminated
// quote runs to the end of the text.
func (l *Lexer) Next() (Token, bool) {
	if !l.skip() {
		return Token{}, false
	}
	s, start := l.s, l.i
	c := s[start]
	kind, val := Punct, ""
	switch {
	case c == '`' || c == '"' && l.d.ANSIQuotes:
		kind = Ident
		val, l.i, _ = unquote(s, start, false)
	case c == '\'' || c == '"':
		kind = String
		val, l.i, _ = unquote(s, start, !l.d.NoBackslashEscapes)
	case c == '@':
		kind = Var
		l.i = l.variable(start)
	case isDigit(c) || c == '.' && start+1 < len(s) && isDigit(s[start+1]) && !afterName(s, start):
		kind = Number
		l.i = wordEnd(s, start+1, true)
	case IsWordByte(c):
		kind = Word
		l.i = wordEnd(s, start+1, false)
	default:
		l.i++
	}
	raw := s[start:l.i]
	if kind != Ident && kind != String {
		val = raw
	}
	return Token{Kind: kind, Raw: raw, Val: val, Pos: start, End: l.i}, true
}

// variable returns the end of the variable that starts at s[i] ('@').
func (l *Lexer) variable(i int) int {
	s := l.s
	j := i + 1
	if j < len(s) && s[j] == '@' {
		j++
	}
	if j == i+1 && j < len(s) && (s[j] == '`' || s[j] == '\'' || s[j] == '"') {
		_, j, _ = unquote(s, j, s[j] != '`' && !l.d.NoBackslashEscapes)
		return j
	}
	for j < len(s) && (IsWordByte(s[j]) || s[j] == '.') {
		j++
	}
	return j
}

// afterName reports whether s[i] ('.') directly follows a name, as in
// t.1col, where the dot qualifies and is no decimal point.
func afterName(s string, i int) bool {
	return i > 0 && (IsWordByte(s[i-1]) || s[i-1] == '`' || s[i-1] == '"')
}

func wordEnd(s string, j int, number bool) int {
	for j < len(s) && (IsWordByte(s[j]) || number && s[j] == '.') {
		j++
	}
	return j
}

// IsSpace reports whether c is white space between tokens.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// IsWordByte reports whether c can be part of a bare identifier or keyword
// (letters, digits, _, $ and every byte of a multi-byte UTF-8 character).
func IsWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c == '$' || c >= 0x80
}

// unquote reads the quoted literal or identifier at s[i] and returns its
// value, the index after it and whether it was closed. A doubled quote
// stands for one; with backslash set, a backslash escape is read by
// AppendUnescaped.
func unquote(s string, i int, backslash bool) (string, int, bool) {
	q := s[i]
	j := i + 1
	// Most literals hold no escape: their value is a slice of s.
	for j < len(s) && s[j] != q && (s[j] != '\\' || !backslash) {
		j++
	}
	if j < len(s) && s[j] == q && (j+1 == len(s) || s[j+1] != q) {
		return s[i+1 : j], j + 1, true
	}
	b := make([]byte, j-i-1, j-i+15)
	copy(b, s[i+1:j])
	for j < len(s) {
		c := s[j]
		switch {
		case c == '\\' && backslash && j+1 < len(s):
			b = AppendUnescaped(b, s[j+1])
			j += 2
		case c == q && j+1 < len(s) && s[j+1] == q:
			b = append(b, q)
			j += 2
		case c == q:
			return string(b), j + 1, true
		default:
			b = append(b, c)
			j++
		}
	}
	return string(b), j, false
}

// QuotedEnd returns the index just past the quoted run that starts at s[i]
// (a quote byte), and false when the run is unterminated. Inside '…' and
// "…" a backslash escapes the next byte; a doubled quote is two adjacent
// runs.
func QuotedEnd(s string, i int) (int, bool) {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q:
			return j + 1, true
		}
	}
	return 0, false
}
