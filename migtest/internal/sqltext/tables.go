package sqltext

// Table names a table, optionally in another schema (database).
type Table struct{ Schema, Name string }

// String writes schema.name, or name alone.
func (t Table) String() string {
	if t.Schema != "" {
		return t.Schema + "." + t.Name
	}
	return t.Name
}

// TablesWritten returns the tables statement q writes to, creates, renames
// or drops, in the order the statement names them, each once: the target
// of INSERT, REPLACE, LOAD DATA/XML, TRUNCATE, ALTER TABLE (and its
// RENAME TO), CREATE TABLE, CREATE/DROP INDEX, every table of DROP TABLE
// and both sides of every pair of RENAME TABLE, and the tables a
// multi-table UPDATE sets or a multi-table DELETE deletes from (aliases
// resolved; all tables of the statement when an assignment does not say
// which). Temporary tables and every other statement give none.
func TablesWritten(q string, d Dialect) []Table {
	c := &cursor{lex: NewLexer(q, d)}
	var out []Table
	switch {
	case c.accept("INSERT"):
		c.skipWords("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO")
		out = c.names(1)
	case c.accept("REPLACE"):
		c.skipWords("LOW_PRIORITY", "DELAYED", "INTO")
		out = c.names(1)
	case c.accept("UPDATE"):
		c.skipWords("LOW_PRIORITY", "IGNORE")
		out = c.update()
	case c.accept("DELETE"):
		c.skipWords("LOW_PRIORITY", "QUICK", "IGNORE")
		out = c.delete()
	case c.accept("LOAD"):
		out = c.load()
	case c.accept("TRUNCATE"):
		c.skipWords("TABLE")
		out = c.names(1)
	case c.accept("ALTER"):
		out = c.alter()
	case c.accept("CREATE"):
		out = c.create()
	case c.accept("DROP"):
		out = c.drop()
	case c.accept("RENAME"):
		if c.accept("TABLE") || c.accept("TABLES") {
			out = c.renames()
		}
	}
	return dedupe(out)
}

func dedupe(ts []Table) []Table {
	var out []Table
	seen := map[Table]bool{}
	for _, t := range ts {
		if t.Name != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// cursor walks the tokens of a statement, read as far as needed: a
// statement's head is read without the rest (a big INSERT's values).
type cursor struct {
	lex  *Lexer
	toks []Token
	i    int
}

// has reports whether the statement has a token i.
func (c *cursor) has(i int) bool {
	for len(c.toks) <= i {
		t, ok := c.lex.Next()
		if !ok {
			return false
		}
		c.toks = append(c.toks, t)
	}
	return i >= 0
}

// at returns token i, or a token of no kind past the end.
func (c *cursor) at(i int) Token {
	if !c.has(i) {
		return Token{Kind: -1}
	}
	return c.toks[i]
}

func (c *cursor) peek() Token { return c.at(c.i) }

// accept consumes the keyword kw if it comes next.
func (c *cursor) accept(kw string) bool {
	if c.peek().Is(kw) {
		c.i++
		return true
	}
	return false
}

// acceptAll consumes the keywords kws if they all come next.
func (c *cursor) acceptAll(kws ...string) bool {
	for j, kw := range kws {
		if !c.has(c.i+j) || !c.at(c.i+j).Is(kw) {
			return false
		}
	}
	c.i += len(kws)
	return true
}

// skipWords consumes any of the keywords kws, in any order.
func (c *cursor) skipWords(kws ...string) {
	for more := true; more; {
		more = false
		for _, kw := range kws {
			if c.accept(kw) {
				more = true
			}
		}
	}
}

// name reads a table name: name or schema.name.
func (c *cursor) name() (Table, bool) {
	first, ok := c.peek().Name()
	if !ok {
		return Table{}, false
	}
	c.i++
	if c.peek().IsPunct('.') && c.has(c.i+1) {
		if second, ok := nameOf(c.at(c.i + 1)); ok {
			c.i += 2
			return Table{Schema: first, Name: second}, true
		}
	}
	return Table{Name: first}, true
}

// nameOf is Token.Name that also takes a number-like word after a dot
// (t.1col).
func nameOf(t Token) (string, bool) {
	if t.Kind == Number {
		return t.Val, true
	}
	return t.Name()
}

// names reads up to n comma-separated table names (n < 0: all).
func (c *cursor) names(n int) []Table {
	var out []Table
	for n != 0 {
		t, ok := c.name()
		if !ok {
			break
		}
		out = append(out, t)
		n--
		if n == 0 || !c.peek().IsPunct(',') {
			break
		}
		c.i++
	}
	return out
}

func (c *cursor) load() []Table {
	if !c.accept("DATA") && !c.accept("XML") {
		return nil
	}
	for ; c.has(c.i); c.i++ {
		if c.at(c.i).Is("INTO") && c.has(c.i+1) && c.at(c.i+1).Is("TABLE") {
			c.i += 2
			return c.names(1)
		}
	}
	return nil
}

func (c *cursor) alter() []Table {
	c.skipWords("ONLINE", "IGNORE")
	if !c.accept("TABLE") {
		return nil
	}
	c.acceptAll("IF", "EXISTS")
	out := c.names(1)
	depth := 0
	for ; c.has(c.i); c.i++ {
		t := c.at(c.i)
		switch {
		case t.IsPunct('('):
			depth++
		case t.IsPunct(')'):
			depth--
		case depth == 0 && t.Is("RENAME"):
			c.i++
			if c.accept("TO") || c.accept("AS") || !isRenameObject(c.peek()) {
				out = append(out, c.names(1)...)
				c.i--
			}
		}
	}
	return out
}

// isRenameObject reports whether t follows RENAME in an ALTER TABLE that
// renames something other than the table.
func isRenameObject(t Token) bool {
	return t.Is("COLUMN") || t.Is("INDEX") || t.Is("KEY") || t.Is("CONSTRAINT")
}

func (c *cursor) create() []Table {
	c.acceptAll("OR", "REPLACE")
	if c.accept("TEMPORARY") {
		return nil
	}
	if c.accept("TABLE") {
		c.acceptAll("IF", "NOT", "EXISTS")
		return c.names(1)
	}
	c.skipWords("ONLINE", "OFFLINE", "UNIQUE", "FULLTEXT", "SPATIAL")
	if c.accept("INDEX") || c.accept("KEY") {
		return c.indexTable()
	}
	return nil
}

// indexTable reads the table of a CREATE or DROP INDEX: the name after ON.
func (c *cursor) indexTable() []Table {
	for ; c.has(c.i); c.i++ {
		if c.at(c.i).Is("ON") {
			c.i++
			return c.names(1)
		}
	}
	return nil
}

func (c *cursor) drop() []Table {
	if c.accept("TEMPORARY") {
		return nil
	}
	if c.accept("TABLE") || c.accept("TABLES") {
		c.acceptAll("IF", "EXISTS")
		return c.names(-1)
	}
	c.skipWords("ONLINE", "OFFLINE")
	if c.accept("INDEX") || c.accept("KEY") {
		return c.indexTable()
	}
	return nil
}

// renames reads RENAME TABLE's pairs: a [WAIT n | NOWAIT] TO b, ...
func (c *cursor) renames() []Table {
	c.acceptAll("IF", "EXISTS")
	var out []Table
	for {
		from, ok := c.name()
		if !ok {
			return out
		}
		out = append(out, from)
		if c.accept("WAIT") {
			c.i++
		}
		c.accept("NOWAIT")
		if !c.accept("TO") {
			return out
		}
		out = append(out, c.names(1)...)
		if !c.peek().IsPunct(',') {
			return out
		}
		c.i++
		c.acceptAll("IF", "EXISTS")
	}
}

// LockedTable returns the table a DDL statement takes a metadata lock on
// before it can run: the table of ALTER TABLE, CREATE/DROP INDEX, DROP
// TABLE, RENAME TABLE, TRUNCATE and OPTIMIZE TABLE (the first one named).
// Other statements, CREATE TABLE and temporary tables give false.
func LockedTable(q string, d Dialect) (Table, bool) {
	c := &cursor{lex: NewLexer(q, d)}
	var ts []Table
	switch {
	case c.accept("ALTER"):
		ts = c.alter()
	case c.accept("CREATE"):
		c.acceptAll("OR", "REPLACE")
		c.skipWords("ONLINE", "OFFLINE", "UNIQUE", "FULLTEXT", "SPATIAL")
		if c.accept("INDEX") || c.accept("KEY") {
			ts = c.indexTable()
		}
	case c.accept("DROP"):
		ts = c.drop()
	case c.accept("RENAME"):
		if c.accept("TABLE") || c.accept("TABLES") {
			ts = c.renames()
		}
	case c.accept("TRUNCATE"):
		c.skipWords("TABLE")
		ts = c.names(1)
	case c.accept("OPTIMIZE"):
		c.skipWords("NO_WRITE_TO_BINLOG", "LOCAL")
		if c.accept("TABLE") || c.accept("TABLES") {
			ts = c.names(1)
		}
	}
	if len(ts) == 0 {
		return Table{}, false
	}
	return ts[0], true
}

// TableNames is TablesWritten for a session in one database, as the
// rehearsal's timing and rollback --touched record it: table names only (a
// qualified name gives its table; a patch runs in one database, and naming
// one table too many is the safe side for a rollback), each once, in order.
func TableNames(q string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range TablesWritten(q, Dialect{}) {
		if !seen[t.Name] {
			seen[t.Name] = true
			out = append(out, t.Name)
		}
	}
	return out
}
