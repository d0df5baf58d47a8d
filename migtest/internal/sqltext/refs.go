package sqltext

import "strings"

// ref is one table of a table_references list, with its alias.
type ref struct {
	table Table
	alias string
}

// notAlias are the words that can follow a table reference but are no
// alias of it.
var notAlias = map[string]bool{
	"JOIN": true, "INNER": true, "CROSS": true, "LEFT": true, "RIGHT": true, "OUTER": true,
	"NATURAL": true, "STRAIGHT_JOIN": true, "ON": true, "USING": true, "WHERE": true, "SET": true,
	"PARTITION": true, "USE": true, "FORCE": true, "IGNORE": true, "ORDER": true, "LIMIT": true,
	"FROM": true, "RETURNING": true, "FOR": true, "AS": true,
}

// refs reads table_references up to (not including) one of the keywords
// stop at parenthesis depth 0, or the end. Derived tables ((SELECT ...))
// are no tables.
func (c *cursor) refs(stop ...string) []ref {
	var out []ref
	type group struct{ refs bool }
	stack := []group{{refs: true}}
	expect := true
	for ; c.has(c.i); c.i++ {
		t := c.at(c.i)
		top := stack[len(stack)-1].refs
		switch {
		case len(stack) == 1 && isOneOf(t, stop):
			return out
		case t.IsPunct('('):
			next := c.at(c.i + 1)
			stack = append(stack, group{refs: expect && top && !next.Is("SELECT") && !next.Is("WITH") && !next.Is("VALUES")})
		case t.IsPunct(')'):
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			expect = false
		case t.IsPunct(','):
			expect = top
		case t.Is("JOIN") || t.Is("STRAIGHT_JOIN"):
			expect = top
		case t.Is("ON") || t.Is("USING"):
			expect = false
		case expect && top:
			if r, ok := c.ref(); ok {
				out = append(out, r)
				c.i--
			}
			expect = false
		}
	}
	return out
}

// ref reads a table name and its alias.
func (c *cursor) ref() (ref, bool) {
	t, ok := c.name()
	if !ok {
		return ref{}, false
	}
	r := ref{table: t}
	if c.accept("PARTITION") && c.peek().IsPunct('(') {
		c.skipGroup()
	}
	c.accept("AS")
	if a := c.peek(); a.Kind == Ident || a.Kind == Word && !notAlias[strings.ToUpper(a.Val)] {
		r.alias = a.Val
		c.i++
	}
	return r, true
}

// skipGroup passes over the parenthesised group that starts at the cursor.
func (c *cursor) skipGroup() {
	depth := 0
	for ; c.has(c.i); c.i++ {
		switch {
		case c.at(c.i).IsPunct('('):
			depth++
		case c.at(c.i).IsPunct(')'):
			depth--
			if depth == 0 {
				c.i++
				return
			}
		}
	}
}

func isOneOf(t Token, kws []string) bool {
	for _, kw := range kws {
		if t.Is(kw) {
			return true
		}
	}
	return false
}

// resolve finds the table a qualifier (an alias or a table name) stands
// for among refs.
func resolve(refs []ref, q Table) (Table, bool) {
	for _, r := range refs {
		if r.alias != "" && q.Schema == "" && r.alias == q.Name {
			return r.table, true
		}
	}
	for _, r := range refs {
		if r.alias == "" && r.table.Name == q.Name && (q.Schema == "" || q.Schema == r.table.Schema) {
			return r.table, true
		}
	}
	return Table{}, false
}

func tablesOf(refs []ref) []Table {
	out := make([]Table, len(refs))
	for i, r := range refs {
		out[i] = r.table
	}
	return out
}

// update reads UPDATE table_references SET assignments: with one table,
// that table; with more, those the assignments name.
func (c *cursor) update() []Table {
	refs := c.refs("SET")
	if len(refs) <= 1 || !c.accept("SET") {
		return tablesOf(refs)
	}
	var out []Table
	depth := 0
	start := true
	for ; c.has(c.i); c.i++ {
		t := c.at(c.i)
		switch {
		case t.IsPunct('('):
			depth++
		case t.IsPunct(')'):
			depth--
		case depth > 0:
		case t.IsPunct(','):
			start = true
			continue
		case t.Is("WHERE") || t.Is("ORDER") || t.Is("LIMIT"):
			return out
		case start:
			q, qualified := c.qualifier()
			table, ok := resolve(refs, q)
			if !qualified || !ok {
				return tablesOf(refs) // the assignment does not say which: all of them
			}
			out = append(out, table)
		}
		start = false
	}
	return out
}

// qualifier reads a column reference [[schema.]table.]column and returns
// its table part, and whether it has one.
func (c *cursor) qualifier() (Table, bool) {
	var parts []string
	for c.has(c.i) {
		n, ok := nameOf(c.at(c.i))
		if !ok {
			break
		}
		parts = append(parts, n)
		if !c.has(c.i+1) || !c.at(c.i+1).IsPunct('.') {
			break
		}
		c.i += 2
	}
	switch len(parts) {
	case 2:
		return Table{Name: parts[0]}, true
	case 3:
		return Table{Schema: parts[0], Name: parts[1]}, true
	}
	return Table{}, false
}

// delete reads the three forms of DELETE: FROM t ..., t1, t2 FROM refs
// ..., and FROM t1, t2 USING refs ...
func (c *cursor) delete() []Table {
	if c.accept("FROM") {
		targets := c.targets()
		if !c.accept("USING") {
			if len(targets) > 0 {
				return targets[:1]
			}
			return nil
		}
		return resolveAll(c.refs("WHERE", "RETURNING"), targets)
	}
	targets := c.targets()
	if !c.accept("FROM") {
		return nil
	}
	return resolveAll(c.refs("WHERE", "RETURNING"), targets)
}

// targets reads DELETE's list of tables: t[.*], ...
func (c *cursor) targets() []Table {
	var out []Table
	for {
		t, ok := c.name()
		if !ok {
			return out
		}
		if c.peek().IsPunct('.') && c.has(c.i+1) && c.at(c.i+1).IsPunct('*') {
			c.i += 2
		}
		out = append(out, t)
		if !c.peek().IsPunct(',') {
			return out
		}
		c.i++
	}
}

// resolveAll maps DELETE's targets (aliases or names) to refs' tables; a
// target not among refs makes it all of them.
func resolveAll(refs []ref, targets []Table) []Table {
	var out []Table
	for _, q := range targets {
		t, ok := resolve(refs, q)
		if !ok {
			return tablesOf(refs)
		}
		out = append(out, t)
	}
	return out
}
