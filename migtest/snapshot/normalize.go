package snapshot

import (
	"regexp"
	"sort"
	"strings"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// flavor is what Take knows of the server it inspects.
type flavor struct {
	mariadb      bool
	major, minor int
}

func (f flavor) atLeast(major, minor int) bool {
	return f.major > major || f.major == major && f.minor >= minor
}

// parseFlavor reads VERSION(), e.g. "10.11.6-MariaDB-0+deb12u1" or "8.0.36".
func parseFlavor(version string) flavor {
	f := flavor{mariadb: strings.Contains(strings.ToLower(version), "mariadb")}
	v := version
	// MariaDB 10.x once reported "5.5.5-10.x.y-MariaDB" over the protocol.
	if f.mariadb && strings.HasPrefix(v, "5.5.5-") {
		v = v[len("5.5.5-"):]
	}
	nums := strings.SplitN(v, ".", 3)
	atoi := func(s string) int {
		n := 0
		for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	if len(nums) > 0 {
		f.major = atoi(nums[0])
	}
	if len(nums) > 1 {
		f.minor = atoi(nums[1])
	}
	return f
}

var intWidth = regexp.MustCompile(`^(tinyint|smallint|mediumint|int|integer|bigint|year)\(\d+\)`)

// normType normalises a column type: integer display widths are dropped
// (MySQL 8.0.19+ no longer prints them; MariaDB does) unless ZEROFILL
// makes them matter, and the spelling is lower case outside quotes.
func normType(t string) string {
	t = strings.TrimSpace(t)
	t = lowerOutsideQuotes(t)
	if m := intWidth.FindStringSubmatchIndex(t); m != nil && !strings.Contains(t, "zerofill") {
		t = t[m[2]:m[3]] + t[m[1]:]
	}
	if strings.HasPrefix(t, "integer") {
		t = "int" + t[len("integer"):]
	}
	return collapseSpaces(t)
}

// lowerOutsideQuotes lower-cases s except inside quoted runs (enum values).
func lowerOutsideQuotes(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\'' || c == '"' || c == '`':
			if end, ok := sqltext.QuotedEnd(s, i); ok {
				i = end - 1
			}
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// collapseSpaces turns every run of white space outside quotes into one
// blank and trims the ends.
func collapseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if c == '\'' || c == '"' || c == '`' {
			if end, ok := sqltext.QuotedEnd(s, i); ok {
				b.WriteString(s[i:end])
				i = end - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// normCharset spells utf8 as utf8mb3, as MariaDB 10.6+ and MySQL 8.0.30+ do.
func normCharset(cs string) string {
	if strings.EqualFold(cs, "utf8") {
		return "utf8mb3"
	}
	return cs
}

// normCollation spells utf8_* collations as utf8mb3_*.
func normCollation(c string) string {
	if strings.HasPrefix(c, "utf8_") {
		return "utf8mb3_" + c[len("utf8_"):]
	}
	return c
}

// charsetOf is the character set of a (normalised) collation.
func charsetOf(collation string) string {
	if collation == "binary" {
		return "binary"
	}
	cs, _, _ := strings.Cut(collation, "_")
	return normCharset(cs)
}

var currentTimestamp = regexp.MustCompile(`(?i)^(current_timestamp|now|localtime|localtimestamp)(\(\s*(\d*)\s*\))?$`)

// normTimestamp spells CURRENT_TIMESTAMP, now(), current_timestamp(0) and
// friends as current_timestamp() (or current_timestamp(N) with a precision).
func normTimestamp(s string) (string, bool) {
	m := currentTimestamp.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return s, false
	}
	p := strings.TrimLeft(m[3], "0")
	return "current_timestamp(" + p + ")", true
}

// isNumericType reports whether values of a (normalised) type are written
// as bare numbers.
func isNumericType(t string) bool {
	base := t
	if i := strings.IndexAny(base, "( "); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "numeric", "float", "double", "real", "bool", "boolean", "dec", "fixed":
		return true
	}
	return false
}

var number = regexp.MustCompile(`^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$`)

// normDefault gives a column's default in canonical SQL from
// information_schema.COLUMNS: MariaDB 10.2.7+ writes literals quoted
// ('EMEA'), 'NULL' for a NULL default and expressions as they are; MySQL
// writes literals bare and marks expressions DEFAULT_GENERATED in EXTRA.
// A NULL default (explicit or implied) is "".
func normDefault(f flavor, typ string, def *string, extra string) string {
	if def == nil {
		return ""
	}
	v := *def
	if f.mariadb {
		if ts, ok := normTimestamp(v); ok {
			return ts
		}
		switch {
		case v == "NULL":
			return ""
		case strings.HasPrefix(v, "'"):
			if lit, ok := unquoteLiteral(v); ok {
				return sqlQuote(lit)
			}
		case number.MatchString(v), strings.HasPrefix(v, "b'"), strings.HasPrefix(v, "x'"):
			return v
		}
		return normDefaultExpr(v)
	}
	if ts, ok := normTimestamp(v); ok && (strings.HasPrefix(typ, "timestamp") || strings.HasPrefix(typ, "datetime")) {
		return ts
	}
	if strings.Contains(extra, "DEFAULT_GENERATED") {
		return normDefaultExpr(strings.ReplaceAll(v, `\'`, `'`))
	}
	if strings.HasPrefix(typ, "bit") && strings.HasPrefix(v, "b'") {
		return v
	}
	if isNumericType(typ) && number.MatchString(v) {
		return v
	}
	return sqlQuote(v)
}

// normDefaultExpr writes a default expression as a function call when it is
// one word (curdate()), else in parentheses.
func normDefaultExpr(v string) string {
	e := normExpr(v)
	if ts, ok := normTimestamp(e); ok {
		return ts
	}
	if isWord(e) && e[0] != '(' && e[0] != '"' && e[0] != '\'' {
		return e
	}
	return "(" + e + ")"
}

// unquoteLiteral reads one '…' SQL string literal that is all of v, with
// doubled quotes and backslash escapes, as MariaDB prints defaults.
func unquoteLiteral(v string) (string, bool) {
	if v == "" || v[0] != '\'' {
		return "", false
	}
	return sqltext.UnquoteString(v)
}

var onUpdate = regexp.MustCompile(`(?i)\bon update (\S+)`)

// normOnUpdate finds the ON UPDATE value in a column's EXTRA.
func normOnUpdate(extra string) string {
	m := onUpdate.FindStringSubmatch(extra)
	if m == nil {
		return ""
	}
	if ts, ok := normTimestamp(m[1]); ok {
		return ts
	}
	return m[1]
}

// normExpr normalises an expression (generated column, check, default):
// white space collapsed outside quotes, redundant outer parentheses dropped.
func normExpr(e string) string {
	e = collapseSpaces(e)
	for len(e) >= 2 && e[0] == '(' && matchingParen(e, 0) == len(e)-1 {
		e = strings.TrimSpace(e[1 : len(e)-1])
	}
	return e
}

// normBody normalises a routine, trigger, event or view body: CRLF line
// ends become LF, trailing blanks on each line and blank lines at the ends
// are dropped. The rest is kept as written.
func normBody(b string) string {
	b = strings.ReplaceAll(b, "\r\n", "\n")
	lines := strings.Split(b, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

// stripSchema removes the `db`. qualifiers the server adds to a view
// definition, outside string literals.
func stripSchema(def, db string) string {
	q := sqltext.QuoteIdent(db) + "."
	if !strings.Contains(def, q) {
		return def
	}
	var b strings.Builder
	for i := 0; i < len(def); {
		switch c := def[i]; c {
		case '\'', '"':
			end, ok := sqltext.QuotedEnd(def, i)
			if !ok {
				b.WriteString(def[i:])
				return b.String()
			}
			b.WriteString(def[i:end])
			i = end
		case '`':
			if strings.HasPrefix(def[i:], q) {
				i += len(q)
				continue
			}
			end, ok := sqltext.QuotedEnd(def, i)
			if !ok {
				b.WriteString(def[i:])
				return b.String()
			}
			b.WriteString(def[i:end])
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// normCreateOptions drops "partitioned" (shown as partition lines) and
// sorts the rest.
func normCreateOptions(s string) string {
	var opts []string
	for _, o := range strings.Fields(s) {
		if strings.EqualFold(o, "partitioned") {
			continue
		}
		opts = append(opts, strings.ReplaceAll(o, "`", ""))
	}
	sort.Strings(opts)
	return strings.Join(opts, " ")
}

// normRule maps RESTRICT and NO ACTION (the same in InnoDB) to "".
func normRule(r string) string {
	r = strings.ToUpper(strings.TrimSpace(r))
	if r == "RESTRICT" || r == "NO ACTION" {
		return ""
	}
	return r
}
