package sqltext

import (
	"fmt"
	"strings"
)

// QuoteIdent quotes an identifier with backticks, doubling any backtick in
// it: the form every server reads whatever its sql_mode.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteQualified quotes schema.name (name alone when schema is empty).
func QuoteQualified(schema, name string) string {
	if schema == "" {
		return QuoteIdent(name)
	}
	return QuoteIdent(schema) + "." + QuoteIdent(name)
}

// UnquoteIdent reads one identifier: `quoted` (a doubled backtick stands
// for one) or bare, as written.
func UnquoteIdent(s string) (string, error) {
	if !strings.HasPrefix(s, "`") {
		return s, nil
	}
	v, end, closed := unquote(s, 0, false)
	if !closed || end != len(s) {
		return "", fmt.Errorf("identifier %q: want one `quoted` name (double a backtick inside it)", s)
	}
	return v, nil
}

// escapes maps the byte after a backslash in a MySQL string literal to
// the byte it stands for (the table of the manual's "String Literals").
// \% and \_ keep their backslash (they are LIKE escapes); any other byte
// stands for itself.
var escapes = [256]byte{'0': 0, 'b': '\b', 'n': '\n', 'r': '\r', 't': '\t', 'Z': 0x1a}

// AppendUnescaped appends what the escape \e stands for to b.
func AppendUnescaped(b []byte, e byte) []byte {
	switch e {
	case '0', 'b', 'n', 'r', 't', 'Z':
		return append(b, escapes[e])
	case '%', '_':
		return append(b, '\\', e)
	}
	return append(b, e)
}

// Unescape returns what the escape \e stands for: \0 \b \n \r \t \Z their
// control bytes, \% and \_ themselves with the backslash, any other byte
// itself (\\, \', \").
func Unescape(e byte) string { return string(AppendUnescaped(nil, e)) }

// UnquoteString reads one string literal that is all of s ('…' or "…",
// with backslash escapes and doubled quotes).
func UnquoteString(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' && s[0] != '"' {
		return "", false
	}
	v, end, closed := unquote(s, 0, true)
	return v, closed && end == len(s)
}

// QuoteString quotes s as a string literal that reads back as s under any
// sql_mode but NO_BACKSLASH_ESCAPES: what mysql_real_escape_string
// escapes (\0 \n \r \\ \' \" \Z) is escaped, every other byte is kept.
func QuoteString(s string) string { return string(AppendString(make([]byte, 0, len(s)+2), s)) }

// AppendString appends QuoteString(s) to buf; s may be a string or bytes
// (a value read from the server), without a copy.
func AppendString[T string | []byte](buf []byte, s T) []byte {
	buf = append(buf, '\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			buf = append(buf, '\\', '0')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\\', '\'', '"':
			buf = append(buf, '\\', c)
		case 0x1a:
			buf = append(buf, '\\', 'Z')
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '\'')
}
