package dump

import (
	"math"
	"strconv"
	"strings"
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

// lexer tokenizes a statement the way the server reads it: comments are
// skipped, executable comments ("/*!NNNNN ... */", "/*M!NNNNNN ... */")
// are read when the server would run them and skipped otherwise.
type lexer struct {
	s       string
	i       int
	version int  // server version as MMmmpp, e.g. 101119
	mariadb bool // server is MariaDB: "/*M!" comments run, MySQL 5.7+ ones don't
	ansi    bool // sql_mode ANSI_QUOTES: "x" is an identifier
	inExec  bool // inside an executable comment that runs
}

func newLexer(s string, version int, mariadb, ansi bool) *lexer {
	return &lexer{s: s, version: version, mariadb: mariadb, ansi: ansi}
}

// runs reports whether an executable comment of this kind and version runs.
func (l *lexer) runs(m bool, v int) bool {
	if m && !l.mariadb {
		return false
	}
	if v == 0 {
		return true
	}
	if l.mariadb && !m && v >= 50700 && v < 100000 {
		return false // MariaDB ignores MySQL 5.7+ version comments
	}
	return v <= l.version
}

// next returns the next token; ok is false at the end.
func (l *lexer) next() (token, bool) {
	s := l.s
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.i++
			continue
		case c == '#' || c == '-' && strings.HasPrefix(s[l.i:], "--") && (l.i+2 >= len(s) || s[l.i+2] <= ' '):
			j := strings.IndexByte(s[l.i:], '\n')
			if j < 0 {
				l.i = len(s)
			} else {
				l.i += j + 1
			}
			continue
		case c == '*' && l.inExec && strings.HasPrefix(s[l.i:], "*/"):
			l.inExec = false
			l.i += 2
			continue
		case c == '/' && strings.HasPrefix(s[l.i:], "/*"):
			j := l.i + 2
			m := false
			if j < len(s) && s[j] == 'M' && j+1 < len(s) && s[j+1] == '!' {
				m = true
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
				if l.runs(m, v) {
					l.inExec = true
					l.i = k
					continue
				}
			}
			e := strings.Index(s[l.i+2:], "*/")
			if e < 0 {
				l.i = len(s)
			} else {
				l.i += 2 + e + 2
			}
			continue
		}
		start := l.i
		switch {
		case c == '`' || c == '"' && l.ansi:
			txt, end := unquote(s, l.i, c, false)
			l.i = end
			return token{kind: tIdent, text: txt, raw: s[start:end], start: start, end: end}, true
		case c == '\'' || c == '"':
			txt, end := unquote(s, l.i, c, true)
			l.i = end
			return token{kind: tStr, text: txt, raw: s[start:end], start: start, end: end}, true
		case c == '@':
			j := l.i + 1
			if j < len(s) && s[j] == '@' {
				j++
			}
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			if j < len(s) && (s[j] == '`' || s[j] == '\'' || s[j] == '"') && j == l.i+1 {
				_, j = unquote(s, j, s[j], s[j] != '`')
			}
			l.i = j
			return token{kind: tVar, text: strings.ToUpper(s[start:j]), raw: s[start:j], start: start, end: j}, true
		case c >= '0' && c <= '9':
			j := l.i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			l.i = j
			return token{kind: tNum, text: s[start:j], raw: s[start:j], start: start, end: j}, true
		case isWordByte(c):
			j := l.i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			l.i = j
			return token{kind: tWord, text: strings.ToUpper(s[start:j]), raw: s[start:j], start: start, end: j}, true
		}
		l.i++
		return token{kind: tPunct, text: s[start:l.i], raw: s[start:l.i], start: start, end: l.i}, true
	}
	return token{}, false
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// unquote reads the quoted literal or identifier at s[i] (quote q) and
// returns its value and the index after it.
func unquote(s string, i int, q byte, backslash bool) (string, int) {
	var b strings.Builder
	j := i + 1
	for j < len(s) {
		c := s[j]
		if c == '\\' && backslash && j+1 < len(s) {
			switch s[j+1] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(0x1a)
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(s[j+1])
			}
			j += 2
			continue
		}
		if c == q {
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1
		}
		b.WriteByte(c)
		j++
	}
	return b.String(), j
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

// quoteIdent quotes an identifier with backticks.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

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
