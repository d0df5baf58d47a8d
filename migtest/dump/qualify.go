package dump

import "strings"

// A name "x.y" in SQL is a database x and its object y where a table or a
// routine goes (FROM x.y, INSERT INTO x.y, CALL x.y, x.y(...), NEXTVAL(x.y)),
// and a table (or alias) x and its column y in an expression. "x.y.z" is
// always database, table, column. The guard and the rename of the dump's
// own database tell the two apart with schemaRefs instead of taking every
// "x." whose x happens to be a database's name for a reference to it.

// schemaRef is a qualifier "x." in a statement.
type schemaRef struct {
	tok    int    // index of x in the tokens
	name   string // x
	surely bool   // x names a database: three parts, or where a table or routine goes
}

// tablePlace are the words after which a name is a table, view, routine,
// sequence or trigger (never a column).
var tablePlace = map[string]bool{
	"FROM": true, "JOIN": true, "STRAIGHT_JOIN": true, "INTO": true, "UPDATE": true, "TABLE": true, "TABLES": true,
	"REFERENCES": true, "VIEW": true, "PROCEDURE": true, "FUNCTION": true, "TRIGGER": true, "EVENT": true,
	"SEQUENCE": true, "CALL": true, "TRUNCATE": true, "LIKE": true, "TO": true, "PACKAGE": true, "BODY": true,
}

// fromEnds are the words that end a FROM list (after which "," no longer
// separates tables).
var fromEnds = map[string]bool{
	"WHERE": true, "ON": true, "USING": true, "GROUP": true, "ORDER": true, "HAVING": true, "LIMIT": true,
	"SET": true, "UNION": true, "SELECT": true, "WINDOW": true, "VALUES": true, "EXCEPT": true, "INTERSECT": true,
}

// schemaRefs finds the qualifiers of toks and the statement's local names:
// the tables it names where tables go and the aliases it gives them.
func schemaRefs(toks []token) ([]schemaRef, map[string]bool) {
	var refs []schemaRef
	locals := map[string]bool{}
	isDot := func(i int) bool { return i >= 0 && i < len(toks) && toks[i].kind == tPunct && toks[i].text == "." }
	isPunct := func(i int, s string) bool {
		return i >= 0 && i < len(toks) && toks[i].kind == tPunct && toks[i].text == s
	}
	inFrom := false
	lastRef := -1 // index of the last token of the last table reference
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tWord && (t.text == "FROM" || t.text == "JOIN" || t.text == "TABLES" || t.text == "TABLE") {
			inFrom = true
		} else if t.kind == tWord && fromEnds[t.text] || isPunct(i, "(") || isPunct(i, ")") {
			inFrom = false
		}
		n, ok := t.name()
		if !ok {
			continue
		}
		prev := i - 1
		place := prev >= 0 && toks[prev].kind == tWord && tablePlace[toks[prev].text] ||
			inFrom && isPunct(prev, ",") ||
			prev >= 1 && toks[prev].is("ON") && (toks[prev-1].is("INSERT") || toks[prev-1].is("UPDATE") || toks[prev-1].is("DELETE")) ||
			prev >= 1 && isPunct(prev, "(") && (toks[prev-1].is("NEXTVAL") || toks[prev-1].is("LASTVAL") || toks[prev-1].is("SETVAL")) ||
			prev >= 1 && toks[prev].is("FOR") && toks[prev-1].is("VALUE")
		if isDot(i - 1) {
			continue // the second or third part of a name
		}
		switch {
		case isDot(i+1) && i+2 < len(toks):
			if _, ok := toks[i+2].name(); !ok && !isPunct(i+2, "*") {
				continue
			}
			surely := place || isDot(i+3) || isPunct(i+3, "(")
			refs = append(refs, schemaRef{tok: i, name: n, surely: surely})
			if place {
				last, _ := toks[i+2].name()
				locals[last] = true
				lastRef = i + 2
			}
		case place:
			locals[n] = true
			lastRef = i
		case prev >= 0 && (toks[prev].is("AS") || prev == lastRef):
			locals[n] = true // an alias: "t AS e", "t e"
		}
	}
	return refs, locals
}

// sequenceRefs returns the sequences a statement takes values from:
// NEXTVAL(s), LASTVAL(s), SETVAL(s, ...), NEXT/PREVIOUS VALUE FOR s (the
// last part of a qualified name).
func sequenceRefs(text string, version int, mariadb, ansi bool) []string {
	if !strings.Contains(strings.ToUpper(text), "VAL") {
		return nil
	}
	toks := newLexer(text, version, mariadb, ansi).all()
	var out []string
	for i := 0; i+1 < len(toks); i++ {
		j := -1
		switch {
		case (toks[i].is("NEXTVAL") || toks[i].is("LASTVAL") || toks[i].is("SETVAL")) && toks[i+1].kind == tPunct && toks[i+1].text == "(":
			j = i + 2
		case toks[i].is("VALUE") && toks[i+1].is("FOR") && i > 0 && (toks[i-1].is("NEXT") || toks[i-1].is("PREVIOUS")):
			j = i + 2
		}
		if j < 0 || j >= len(toks) {
			continue
		}
		n, ok := toks[j].name()
		if !ok {
			continue
		}
		if j+2 < len(toks) && toks[j+1].kind == tPunct && toks[j+1].text == "." {
			if m, ok := toks[j+2].name(); ok {
				n = m
			}
		}
		out = append(out, n)
	}
	return out
}
