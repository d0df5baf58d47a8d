package snapshot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// The text format is line based. A line is split into words by lex: a word
// is a run of non-blank bytes in which quotes ('…', "…", `…`) and balanced
// parentheses may hold blanks. Every value the format writes is one word:
// identifiers are bare or `quoted`, SQL fragments are written as they are
// when they lex as one word, and anything else falls back to a Go-quoted
// "string", so that Parse(Format(s)) gives s back.

// lex splits a line into words. It fails on an unterminated quote or
// parenthesis.
func lex(line string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			return words, nil
		}
		start := i
		depth := 0
	word:
		for i < len(line) {
			switch c := line[i]; c {
			case ' ', '\t':
				if depth == 0 {
					break word
				}
				i++
			case '(':
				depth++
				i++
			case ')':
				if depth > 0 {
					depth--
				}
				i++
			case '\'', '"', '`':
				end, ok := sqltext.QuotedEnd(line, i)
				if !ok {
					return nil, fmt.Errorf("unterminated %c quote at column %d", c, i+1)
				}
				i = end
			default:
				i++
			}
		}
		if depth > 0 {
			return nil, fmt.Errorf("unbalanced parenthesis in %q", line[start:i])
		}
		words = append(words, line[start:i])
	}
}

// hasControl reports whether s has a byte that cannot stand on a line of
// the format (any ASCII control byte; tab included, so words never hold one).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// isWord reports whether s is written on a line as one word, unchanged.
func isWord(s string) bool {
	if s == "" || hasControl(s) {
		return false
	}
	w, err := lex(s)
	return err == nil && len(w) == 1 && w[0] == s
}

func isBareIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isBareIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareIdentByte(s[i]) {
			return false
		}
	}
	return true
}

// ident writes an identifier: bare when it is plain, else `quoted`
// (or Go-quoted when it holds control bytes).
func ident(s string) string {
	switch {
	case isBareIdent(s):
		return s
	case hasControl(s):
		return strconv.Quote(s)
	default:
		return sqltext.QuoteIdent(s)
	}
}

// scanIdent reads one identifier written by ident at the start of s and
// returns it with the rest of s.
func scanIdent(s string) (name, rest string, err error) {
	switch {
	case s == "":
		return "", "", errors.New("missing name")
	case s[0] == '`':
		var b strings.Builder
		i := 1
		for {
			j := strings.IndexByte(s[i:], '`')
			if j < 0 {
				return "", "", fmt.Errorf("unterminated ` quote in %q", s)
			}
			b.WriteString(s[i : i+j])
			i += j + 1
			if i < len(s) && s[i] == '`' {
				b.WriteByte('`')
				i++
				continue
			}
			return b.String(), s[i:], nil
		}
	case s[0] == '"':
		end, ok := sqltext.QuotedEnd(s, 0)
		if !ok {
			return "", "", fmt.Errorf("unterminated \" quote in %q", s)
		}
		v, err := strconv.Unquote(s[:end])
		if err != nil {
			return "", "", fmt.Errorf("bad quoted name %s: %w", s[:end], err)
		}
		return v, s[end:], nil
	default:
		i := 0
		for i < len(s) && isBareIdentByte(s[i]) {
			i++
		}
		if i == 0 {
			return "", "", fmt.Errorf("bad name %q", s)
		}
		return s[:i], s[i:], nil
	}
}

// parseIdent reads a word that is exactly one identifier.
func parseIdent(w string) (string, error) {
	name, rest, err := scanIdent(w)
	if err != nil {
		return "", err
	}
	if rest != "" {
		return "", fmt.Errorf("unexpected %q after name %q", rest, name)
	}
	return name, nil
}

// isBareValue reports whether a value is written without quotes: plain
// characters and balanced parentheses, e.g. InnoDB, utf8mb4_bin, decimal(5,2).
func isBareValue(s string) bool {
	if s == "" {
		return false
	}
	parens := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(' || c == ')':
			parens = true
		case !(isBareIdentByte(c) || strings.IndexByte(".,:/@+-=", c) >= 0):
			return false
		}
	}
	return !parens || isWord(s)
}

// value writes free text (a comment, an option): bare when plain, else as
// a single-quoted SQL string with backslash escapes, on one line.
func value(s string) string {
	if isBareValue(s) {
		return s
	}
	return sqlQuote(s)
}

// parseValue reads a word written by value.
func parseValue(w string) (string, error) {
	if w != "" && w[0] == '\'' {
		return sqlUnquote(w)
	}
	if !isBareValue(w) {
		return "", fmt.Errorf("bad value %q (quote it with '…')", w)
	}
	return w, nil
}

// sqlQuote quotes s as a SQL string literal in MariaDB's backslash syntax,
// escaping line breaks and control bytes so the result is one line.
func sqlQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// sqlUnquote reads one literal written by sqlQuote. It also accepts a
// doubled quote (”) for a quote, the way SQL does.
func sqlUnquote(w string) (string, error) {
	if len(w) < 2 || w[0] != '\'' {
		return "", fmt.Errorf("bad quoted value %q", w)
	}
	var b strings.Builder
	i := 1
	for i < len(w) {
		c := w[i]
		switch {
		case c == '\'':
			if i+1 < len(w) && w[i+1] == '\'' {
				b.WriteByte('\'')
				i += 2
				continue
			}
			if i != len(w)-1 {
				return "", fmt.Errorf("unexpected %q after quoted value", w[i+1:])
			}
			return b.String(), nil
		case c == '\\':
			if i+1 >= len(w) {
				return "", fmt.Errorf("bad escape at the end of %q", w)
			}
			e := w[i+1]
			i += 2
			switch e {
			case 'x':
				if i+2 > len(w) {
					return "", fmt.Errorf("bad \\x escape in %q", w)
				}
				n, err := strconv.ParseUint(w[i:i+2], 16, 8)
				if err != nil {
					return "", fmt.Errorf("bad \\x escape in %q", w)
				}
				b.WriteByte(byte(n))
				i += 2
			default:
				b.Write(sqltext.AppendUnescaped(nil, e))
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", fmt.Errorf("unterminated quoted value %q", w)
}

// expr writes a SQL expression as (expr), or Go-quoted when that would not
// be one clean word.
func expr(e string) string {
	w := "(" + e + ")"
	if isWord(w) {
		return w
	}
	return strconv.Quote(e)
}

// parseExpr reads a word written by expr.
func parseExpr(w string) (string, error) {
	switch {
	case len(w) >= 2 && w[0] == '(' && w[len(w)-1] == ')' && matchingParen(w, 0) == len(w)-1:
		return w[1 : len(w)-1], nil
	case w != "" && w[0] == '"':
		return strconv.Unquote(w)
	}
	return "", fmt.Errorf("want an expression in parentheses, got %q", w)
}

// fragment writes a SQL fragment (a default, an ON UPDATE value) as it is
// when it is one word, else Go-quoted.
func fragment(s string) string {
	if isWord(s) && s[0] != '"' {
		return s
	}
	return strconv.Quote(s)
}

func parseFragment(w string) (string, error) {
	if w != "" && w[0] == '"' {
		return strconv.Unquote(w)
	}
	return w, nil
}

// matchingParen returns the index of the parenthesis closing the one at
// s[i], skipping quoted runs, or -1.
func matchingParen(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j
			}
		case '\'', '"', '`':
			end, ok := sqltext.QuotedEnd(s, j)
			if !ok {
				return -1
			}
			j = end - 1
		}
	}
	return -1
}

// splitTop splits s at commas outside quotes and parentheses.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for j := 0; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'', '"', '`':
			if end, ok := sqltext.QuotedEnd(s, j); ok {
				j = end - 1
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:j])
				start = j + 1
			}
		}
	}
	return append(parts, s[start:])
}
