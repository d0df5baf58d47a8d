package dump

import (
	"strings"
)

// element is one entry of a CREATE TABLE's definition list.
type element struct {
	start, end int // byte range in the statement
	toks       []token
}

// deferIndexes splits the plain secondary indexes off a CREATE TABLE, so
// that they can be built in one ALTER TABLE after the data is loaded. It
// returns the statement without them and the "ADD KEY ..." clauses, or
// ok == false when the table keeps all its indexes: not InnoDB, IF NOT
// EXISTS, comments inside the definition, or no index that can wait.
//
// Only non-unique KEY/INDEX entries wait; PRIMARY, UNIQUE, FULLTEXT and
// SPATIAL keys stay, as do keys that a FOREIGN KEY or an AUTO_INCREMENT
// column needs. The waiting keys are always the last plain keys of the
// table, so that SHOW CREATE TABLE lists them in the same order after the
// ALTER as it did before.
func deferIndexes(text, table string, version int, mariadb, ansi bool) (string, []string, bool) {
	toks := newLexer(text, version, mariadb, ansi).all()
	open := -1
	for i, t := range toks {
		if t.kind == tPunct && t.text == "(" {
			open = i
			break
		}
		if t.is("LIKE") || t.is("SELECT") {
			return "", nil, false
		}
	}
	if open < 0 {
		return "", nil, false
	}
	var elems []element
	depth, cur := 0, []token(nil)
	closeAt := -1
	for i := open + 1; i < len(toks) && closeAt < 0; i++ {
		t := toks[i]
		switch {
		case t.kind == tPunct && t.text == "(":
			depth++
		case t.kind == tPunct && t.text == ")":
			if depth == 0 {
				closeAt = i
				if len(cur) > 0 {
					elems = append(elems, element{cur[0].start, cur[len(cur)-1].end, cur})
				}
				continue
			}
			depth--
		case t.kind == tPunct && t.text == "," && depth == 0:
			if len(cur) == 0 {
				return "", nil, false
			}
			elems = append(elems, element{cur[0].start, cur[len(cur)-1].end, cur})
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if closeAt < 0 || len(elems) < 2 {
		return "", nil, false
	}
	if strings.Contains(text[toks[open].start:toks[closeAt].end], "/*") {
		return "", nil, false
	}
	for i := closeAt + 1; i < len(toks); i++ {
		if toks[i].is("ENGINE") {
			j := i + 1
			if j < len(toks) && toks[j].text == "=" {
				j++
			}
			if j < len(toks) && !strings.EqualFold(toks[j].raw, "InnoDB") {
				return "", nil, false
			}
		}
		if toks[i].is("SELECT") || toks[i].is("AS") {
			return "", nil, false
		}
	}

	var fks [][]string
	var autoinc []string
	plain := []int{} // indexes into elems of plain keys
	for i, e := range elems {
		t := e.toks
		switch {
		case t[0].is("KEY") || t[0].is("INDEX"):
			plain = append(plain, i)
		case t[0].is("CONSTRAINT") || t[0].is("FOREIGN"):
			for j, tk := range t {
				if tk.is("FOREIGN") {
					fks = append(fks, columnList(t[j+1:]))
				}
				if tk.is("REFERENCES") {
					// a key of this table that its own foreign key refers to
					if ref := referenceAt(t, j); ref.table == table {
						fks = append(fks, ref.cols)
					}
				}
			}
		case t[0].is("PRIMARY") || t[0].is("UNIQUE") || t[0].is("FULLTEXT") || t[0].is("SPATIAL") || t[0].is("CHECK") || t[0].is("PERIOD"):
		default: // a column
			for _, tk := range t[1:] {
				if tk.is("AUTO_INCREMENT") {
					if n, ok := t[0].name(); ok {
						autoinc = append(autoinc, n)
					}
				}
			}
		}
	}
	needed := func(cols []string) bool {
		if len(cols) == 0 {
			return true // cannot tell: keep it
		}
		for _, a := range autoinc {
			if strings.EqualFold(cols[0], a) {
				return true
			}
		}
		for _, fk := range fks {
			if len(fk) > 0 && len(fk) <= len(cols) {
				match := true
				for k := range fk {
					if !strings.EqualFold(fk[k], cols[k]) {
						match = false
						break
					}
				}
				if match {
					return true
				}
			}
		}
		return false
	}
	first := 0 // plain[first:] wait
	for k, i := range plain {
		if needed(columnList(elems[i].toks)) {
			first = k + 1
		}
	}
	wait := plain[first:]
	if len(wait) == 0 {
		return "", nil, false
	}
	adds := make([]string, len(wait))
	out := text
	for k := len(wait) - 1; k >= 0; k-- {
		i := wait[k]
		e := elems[i]
		adds[k] = "ADD " + text[e.start:e.end]
		out = out[:elems[i-1].end] + out[e.end:]
	}
	return out, adds, true
}

// columnList returns the column names of the first parenthesised list in
// toks (a key's or a foreign key's columns), without lengths or ASC/DESC.
func columnList(toks []token) []string {
	open := -1
	for i, t := range toks {
		if t.kind == tPunct && t.text == "(" {
			open = i
			break
		}
	}
	if open < 0 {
		return nil
	}
	var cols []string
	depth := 0
	expect := true
	for _, t := range toks[open+1:] {
		switch {
		case t.kind == tPunct && t.text == "(":
			depth++
		case t.kind == tPunct && t.text == ")":
			if depth == 0 {
				return cols
			}
			depth--
		case t.kind == tPunct && t.text == "," && depth == 0:
			expect = true
		case expect && depth == 0:
			n, ok := t.name()
			if !ok {
				return nil
			}
			cols = append(cols, n)
			expect = false
		}
	}
	return cols
}

// fkRef is the target of a REFERENCES clause.
type fkRef struct {
	table string
	cols  []string
}

// referenceAt reads "REFERENCES [db.]table (cols)" at toks[i].
func referenceAt(toks []token, i int) fkRef {
	var r fkRef
	j := i + 1
	if j >= len(toks) {
		return r
	}
	n, ok := toks[j].name()
	if !ok {
		return r
	}
	if j+2 < len(toks) && toks[j+1].kind == tPunct && toks[j+1].text == "." {
		if m, ok := toks[j+2].name(); ok {
			n, j = m, j+2
		}
	}
	r.table = n
	r.cols = columnList(toks[j+1:])
	return r
}

// references returns the targets of the REFERENCES clauses in text.
func references(text string, version int, mariadb, ansi bool) []fkRef {
	if !strings.Contains(strings.ToUpper(text), "REFERENCES") {
		return nil
	}
	toks := newLexer(text, version, mariadb, ansi).all()
	var refs []fkRef
	for i, t := range toks {
		if t.is("REFERENCES") {
			if r := referenceAt(toks, i); r.table != "" {
				refs = append(refs, r)
			}
		}
	}
	return refs
}

// keyColumns returns the columns of an "ADD KEY ..." clause.
func keyColumns(add string) []string {
	l := newLexer(add, 0, true, false)
	return columnList(l.tokens(1 << 20))
}

// prefixOf reports whether cols starts with want (case-insensitively).
func prefixOf(want, cols []string) bool {
	if len(want) == 0 || len(want) > len(cols) {
		return false
	}
	for i := range want {
		if !strings.EqualFold(want[i], cols[i]) {
			return false
		}
	}
	return true
}
