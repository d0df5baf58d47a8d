package ddllint

import "strings"

// tableRef names a table, optionally in another database.
type tableRef struct{ schema, name string }

func (r tableRef) String() string {
	if r.schema != "" {
		return r.schema + "." + r.name
	}
	return r.name
}

// stmtKind is the kind of a statement the lint understands.
type stmtKind int

const (
	stmtAlter       stmtKind = iota + 1 // ALTER TABLE, CREATE INDEX, DROP INDEX
	stmtDropTable                       // DROP TABLE
	stmtRenameTable                     // RENAME TABLE
)

// statement is what the lint reads of one statement.
type statement struct {
	kind stmtKind
	text string // the statement's source, trimmed

	table     tableRef // stmtAlter
	specs     []spec   // stmtAlter: what it changes
	probe     []string // stmtAlter: the clauses to probe the algorithm with
	algorithm string   // stmtAlter: an explicit ALGORITHM=, upper case

	tables  []tableRef    // stmtDropTable
	renames [][2]tableRef // stmtRenameTable: from, to
}

// specKind is the kind of one change of an ALTER TABLE.
type specKind int

const (
	specOther        specKind = iota // indexes, table options...: probed only
	specAddColumn                    // ADD [COLUMN]
	specDropColumn                   // DROP [COLUMN]
	specModifyColumn                 // MODIFY and CHANGE
	specRenameColumn                 // RENAME COLUMN
	specRenameTable                  // RENAME [TO|AS]
	specConvert                      // CONVERT TO CHARACTER SET
)

// spec is one change of an ALTER TABLE.
type spec struct {
	kind        specKind
	column      string // the column acted on (the old name for CHANGE and RENAME)
	newName     string // CHANGE and RENAME COLUMN: the new column name
	newTable    tableRef
	def         colDef // ADD, MODIFY, CHANGE
	ifExists    bool
	ifNotExists bool
	charset     string // CONVERT TO CHARACTER SET
}

// colDef is what the lint reads of a column definition.
type colDef struct {
	typ        colType
	notNull    bool
	hasDefault bool
	autoInc    bool
	generated  bool
	charset    string // lower case; "" when not given
}

// parse reads the statements of s (split at top-level semicolons) that the
// lint understands; the others are left out.
func parse(s string) []*statement {
	var out []*statement
	toks := lex(s)
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && !toks[i].punct(';') {
			continue
		}
		if i > start {
			part := toks[start:i]
			text := strings.TrimSpace(s[part[0].pos:part[len(part)-1].end])
			if st := parseOne(s, part); st != nil {
				st.text = text
				out = append(out, st)
			}
		}
		start = i + 1
	}
	return out
}

// cursor walks a statement's tokens.
type cursor struct {
	toks []token
	i    int
}

func (c *cursor) done() bool { return c.i >= len(c.toks) }

func (c *cursor) peek() token {
	if c.done() {
		return token{kind: -1}
	}
	return c.toks[c.i]
}

func (c *cursor) next() token {
	t := c.peek()
	c.i++
	return t
}

// accept consumes the keywords kws if they come next, all of them.
func (c *cursor) accept(kws ...string) bool {
	for j, kw := range kws {
		if c.i+j >= len(c.toks) || !c.toks[c.i+j].is(kw) {
			return false
		}
	}
	c.i += len(kws)
	return true
}

// acceptAny consumes one of the keywords and returns it, upper case.
func (c *cursor) acceptAny(kws ...string) string {
	for _, kw := range kws {
		if c.accept(kw) {
			return kw
		}
	}
	return ""
}

// ident consumes a name (a word or a `quoted` identifier).
func (c *cursor) ident() (string, bool) {
	t := c.peek()
	if !t.name() {
		return "", false
	}
	c.i++
	return t.val, true
}

// table consumes a table name, schema-qualified or not.
func (c *cursor) table() (tableRef, bool) {
	a, ok := c.ident()
	if !ok {
		return tableRef{}, false
	}
	if c.peek().punct('.') {
		c.i++
		b, ok := c.ident()
		if !ok {
			return tableRef{}, false
		}
		return tableRef{schema: a, name: b}, true
	}
	return tableRef{name: a}, true
}

// skipWait consumes WAIT n or NOWAIT.
func (c *cursor) skipWait() {
	if c.accept("NOWAIT") {
		return
	}
	if c.peek().is("WAIT") && c.i+1 < len(c.toks) && c.toks[c.i+1].kind == tokNumber {
		c.i += 2
	}
}

func parseOne(src string, toks []token) *statement {
	c := &cursor{toks: toks}
	switch {
	case c.accept("ALTER"):
		c.acceptAny("ONLINE")
		c.acceptAny("IGNORE")
		if !c.accept("TABLE") {
			return nil
		}
		return parseAlter(src, c)
	case c.accept("CREATE"):
		c.accept("OR", "REPLACE")
		return parseCreateIndex(src, c)
	case c.accept("DROP"):
		if c.peek().is("INDEX") {
			return parseDropIndex(src, c)
		}
		if c.accept("TEMPORARY") || !c.accept("TABLE") && !c.accept("TABLES") {
			return nil
		}
		st := &statement{kind: stmtDropTable}
		c.accept("IF", "EXISTS")
		for {
			r, ok := c.table()
			if !ok {
				break
			}
			st.tables = append(st.tables, r)
			if !c.peek().punct(',') {
				break
			}
			c.i++
		}
		if len(st.tables) == 0 {
			return nil
		}
		return st
	case c.accept("RENAME"):
		if !c.accept("TABLE") && !c.accept("TABLES") {
			return nil
		}
		st := &statement{kind: stmtRenameTable}
		c.accept("IF", "EXISTS")
		for {
			from, ok := c.table()
			if !ok {
				break
			}
			c.skipWait()
			if !c.accept("TO") {
				break
			}
			to, ok := c.table()
			if !ok {
				break
			}
			st.renames = append(st.renames, [2]tableRef{from, to})
			if !c.peek().punct(',') {
				break
			}
			c.i++
		}
		if len(st.renames) == 0 {
			return nil
		}
		return st
	}
	return nil
}

// splitTop splits tokens at commas outside parentheses.
func splitTop(toks []token) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.punct('('):
			depth++
		case t.punct(')'):
			depth--
		case t.punct(',') && depth == 0:
			if i > start {
				out = append(out, toks[start:i])
			}
			start = i + 1
		}
	}
	if len(toks) > start {
		out = append(out, toks[start:])
	}
	return out
}

func sourceOf(src string, toks []token) string { return src[toks[0].pos:toks[len(toks)-1].end] }

// indexWords are the words after ADD or DROP that make it about an index,
// a constraint or a partition rather than a column.
var indexWords = []string{"INDEX", "KEY", "UNIQUE", "PRIMARY", "FULLTEXT", "SPATIAL", "VECTOR", "CONSTRAINT", "FOREIGN", "CHECK", "PARTITION", "PERIOD", "SYSTEM"}

func parseAlter(src string, c *cursor) *statement {
	st := &statement{kind: stmtAlter}
	c.accept("IF", "EXISTS")
	r, ok := c.table()
	if !ok {
		return nil
	}
	st.table = r
	c.skipWait()
	for _, part := range splitTop(c.toks[c.i:]) {
		sc := &cursor{toks: part}
		probe := true
		switch {
		case sc.accept("ADD"):
			column := sc.accept("COLUMN")
			ifNot := sc.accept("IF", "NOT", "EXISTS")
			if sc.peek().punct('(') && (column || !isIndexWord(sc.peek())) {
				inner := part[sc.i+1:]
				if n := len(inner); n > 0 && inner[n-1].punct(')') {
					inner = inner[:n-1]
				}
				for _, d := range splitTop(inner) {
					dc := &cursor{toks: d}
					if name, ok := dc.ident(); ok && !isIndexWord(d[0]) {
						st.specs = append(st.specs, spec{kind: specAddColumn, column: name, def: parseColDef(dc), ifNotExists: ifNot})
					}
				}
				break
			}
			if !column && isIndexWord(sc.peek()) {
				st.specs = append(st.specs, spec{kind: specOther})
				break
			}
			if name, ok := sc.ident(); ok {
				st.specs = append(st.specs, spec{kind: specAddColumn, column: name, def: parseColDef(sc), ifNotExists: ifNot})
			}
		case sc.accept("DROP"):
			column := sc.accept("COLUMN")
			if !column && isIndexWord(sc.peek()) {
				st.specs = append(st.specs, spec{kind: specOther})
				break
			}
			ifEx := sc.accept("IF", "EXISTS")
			if name, ok := sc.ident(); ok {
				st.specs = append(st.specs, spec{kind: specDropColumn, column: name, ifExists: ifEx})
			}
		case sc.peek().is("MODIFY") || sc.peek().is("CHANGE"):
			change := sc.next().is("CHANGE")
			sc.accept("COLUMN")
			sp := spec{kind: specModifyColumn, ifExists: sc.accept("IF", "EXISTS")}
			if sp.column, ok = sc.ident(); !ok {
				break
			}
			if change {
				if sp.newName, ok = sc.ident(); !ok {
					break
				}
			}
			sp.def = parseColDef(sc)
			st.specs = append(st.specs, sp)
		case sc.accept("RENAME"):
			switch {
			case sc.accept("COLUMN"):
				from, ok1 := sc.ident()
				ok2 := sc.accept("TO")
				to, ok3 := sc.ident()
				if ok1 && ok2 && ok3 {
					st.specs = append(st.specs, spec{kind: specRenameColumn, column: from, newName: to})
				}
			case sc.peek().is("INDEX") || sc.peek().is("KEY"):
				st.specs = append(st.specs, spec{kind: specOther})
			default:
				sc.acceptAny("TO", "AS")
				if to, ok := sc.table(); ok {
					st.specs = append(st.specs, spec{kind: specRenameTable, newTable: to})
				}
				probe = false // renaming is instant, and the probe table must stay put
			}
		case sc.peek().is("ALGORITHM") || sc.peek().is("LOCK"):
			algo := sc.next().is("ALGORITHM")
			if sc.peek().punct('=') {
				sc.i++
			}
			if v, ok := sc.ident(); ok && algo {
				st.algorithm = strings.ToUpper(v)
			}
			probe = false
		case sc.accept("CONVERT", "TO"):
			if sc.accept("CHARACTER", "SET") || sc.accept("CHARSET") {
				if cs, ok := sc.ident(); ok {
					st.specs = append(st.specs, spec{kind: specConvert, charset: strings.ToLower(cs)})
				}
			}
		default:
			st.specs = append(st.specs, spec{kind: specOther})
		}
		if probe {
			st.probe = append(st.probe, sourceOf(src, part))
		}
	}
	if len(st.specs) == 0 && len(st.probe) == 0 {
		return nil
	}
	return st
}

func isIndexWord(t token) bool {
	for _, w := range indexWords {
		if t.is(w) {
			return true
		}
	}
	return false
}

// parseCreateIndex reads CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX ... ON t
// (...) as ALTER TABLE t ADD ... INDEX ... (...), after CREATE [OR REPLACE].
func parseCreateIndex(src string, c *cursor) *statement {
	head := c.i
	c.acceptAny("UNIQUE", "FULLTEXT", "SPATIAL", "VECTOR")
	if !c.accept("INDEX") {
		return nil
	}
	// Up to ON: [IF NOT EXISTS] name [USING type].
	on := -1
	for j := c.i; j < len(c.toks); j++ {
		if c.toks[j].is("ON") {
			on = j
			break
		}
	}
	if on < 0 {
		return nil
	}
	tc := &cursor{toks: c.toks, i: on + 1}
	r, ok := tc.table()
	if !ok {
		return nil
	}
	tc.skipWait()
	clause := "ADD " + src[c.toks[head].pos:c.toks[on-1].end]
	if rest := withoutAlgorithm(c.toks[tc.i:]); len(rest) > 0 {
		clause += " " + joinSource(src, rest)
	}
	return &statement{kind: stmtAlter, table: r, specs: []spec{{kind: specOther}}, probe: []string{clause}, algorithm: explicitAlgorithm(c.toks[tc.i:])}
}

// parseDropIndex reads DROP INDEX [IF EXISTS] name ON t as ALTER TABLE t
// DROP INDEX [IF EXISTS] name, after DROP.
func parseDropIndex(src string, c *cursor) *statement {
	head := c.i
	c.accept("INDEX")
	c.accept("IF", "EXISTS")
	if _, ok := c.ident(); !ok || !c.accept("ON") {
		return nil
	}
	nameEnd := c.i - 2
	r, ok := c.table()
	if !ok {
		return nil
	}
	clause := "DROP " + src[c.toks[head].pos:c.toks[nameEnd].end]
	return &statement{kind: stmtAlter, table: r, specs: []spec{{kind: specOther}}, probe: []string{clause}, algorithm: explicitAlgorithm(c.toks[c.i:])}
}

// withoutAlgorithm drops ALGORITHM [=] x and LOCK [=] x from toks.
func withoutAlgorithm(toks []token) []token {
	var out []token
	for i := 0; i < len(toks); i++ {
		if toks[i].is("ALGORITHM") || toks[i].is("LOCK") {
			j := i + 1
			if j < len(toks) && toks[j].punct('=') {
				j++
			}
			i = j
			continue
		}
		out = append(out, toks[i])
	}
	return out
}

func explicitAlgorithm(toks []token) string {
	for i := 0; i < len(toks); i++ {
		if toks[i].is("ALGORITHM") {
			j := i + 1
			if j < len(toks) && toks[j].punct('=') {
				j++
			}
			if j < len(toks) {
				return strings.ToUpper(toks[j].val)
			}
		}
	}
	return ""
}

// joinSource rebuilds the source of toks: the original text between tokens
// that were next to each other, a space where tokens were left out.
func joinSource(src string, toks []token) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			if gap := src[toks[i-1].end:t.pos]; strings.TrimSpace(gap) == "" {
				b.WriteString(gap)
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// parseColDef reads a column definition from the type on.
func parseColDef(c *cursor) colDef {
	var d colDef
	d.typ = parseType(c)
	for !c.done() {
		t := c.next()
		switch {
		case t.is("NOT") && c.peek().is("NULL"):
			c.i++
			d.notNull = true
		case t.is("NULL"):
			d.notNull = false
		case t.is("DEFAULT"):
			d.hasDefault = true
		case t.is("AUTO_INCREMENT"):
			d.autoInc = true
		case t.is("AS") || t.is("GENERATED"):
			d.generated = true
		case t.is("CHARSET") || (t.is("CHARACTER") && c.accept("SET")):
			if cs, ok := c.ident(); ok {
				d.charset = strings.ToLower(cs)
			}
		case t.is("COLLATE"):
			if co, ok := c.ident(); ok && d.charset == "" {
				if cs, _, ok := strings.Cut(strings.ToLower(co), "_"); ok {
					d.charset = cs
				}
			}
		}
	}
	return d
}
