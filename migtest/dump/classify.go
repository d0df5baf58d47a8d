package dump

import (
	"strings"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// op is what the loader does with a statement.
type op int

const (
	opOther       op = iota // anything else: runs alone, after all before it
	opEmpty                 // nothing the server would run
	opData                  // INSERT/REPLACE ... VALUES into one table
	opTable                 // DDL on one table: CREATE TABLE, DROP TABLE, TRUNCATE, sequences, CREATE/DROP INDEX
	opAlterTable            // another ALTER TABLE on one table
	opKeys                  // ALTER TABLE t DISABLE/ENABLE KEYS
	opSet                   // a session SET: runs on every connection
	opTxn                   // BEGIN, START TRANSACTION, COMMIT, SAVEPOINT, RELEASE
	opRollback              // ROLLBACK
	opLock                  // LOCK TABLES
	opUnlock                // UNLOCK TABLES
	opUse                   // USE db
	opCreateDB              // CREATE DATABASE
	opDropDB                // DROP DATABASE
	opAlterDB               // ALTER DATABASE
	opView                  // CREATE, ALTER or DROP VIEW
	opTrigger               // CREATE TRIGGER
	opDropTrigger           // DROP TRIGGER
	opRoutine               // CREATE/DROP PROCEDURE, FUNCTION, PACKAGE, EVENT
)

// qual is a schema qualifier ("`db`.") in a statement.
type qual struct {
	schema     string
	start, end int // byte range, the dot included
}

// class is what classify learns from a statement's head.
type class struct {
	op          op
	table       string   // the table of opData, opTable, opAlterTable, opKeys, opTrigger
	tables      []string // every table a DROP TABLE names
	name        string   // the object: view, trigger, routine, database
	quals       []qual
	create      bool   // CREATE TABLE (plain, rewritable)
	ifNotExists bool   // CREATE ... IF NOT EXISTS
	enable      bool   // opKeys: ENABLE KEYS
	dbOptions   string // opCreateDB/opAlterDB: the options after the name
	hasSelect   bool   // SET ... = (SELECT ...), INSERT ... SELECT
	autocommit  bool   // opSet mentions autocommit
	global      bool   // opSet: SET GLOBAL
	verb        string // CREATE, DROP, ALTER, ...
	sequence    bool   // CREATE/DROP SEQUENCE
}

// classify reads the head of a statement.
func classify(text string, version int, mariadb, ansi bool) class {
	l := newLexer(text, version, mariadb, ansi)
	toks := l.tokens(48)
	if len(toks) == 0 {
		return class{op: opEmpty}
	}
	c := class{op: opOther, verb: toks[0].text}
	p := &parser{toks: toks, c: &c}
	switch first := toks[0]; {
	case first.is("INSERT") || first.is("REPLACE"):
		p.i = 1
		for p.word("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE") {
		}
		p.word("INTO")
		t, ok := p.name()
		if !ok {
			return c
		}
		// Past the optional PARTITION (...) and column list, which may be
		// longer than the first tokens: read on with the lexer.
		rest := toks[p.i:]
		for {
			var tk token
			if len(rest) > 0 {
				tk, rest = rest[0], rest[1:]
			} else if tk, ok = l.next(); !ok {
				return c
			}
			switch {
			case tk.is("PARTITION") || tk.kind == tPunct && tk.text == "(":
				depth := 0
				if tk.kind == tPunct {
					depth = 1
				}
				for {
					if len(rest) > 0 {
						tk, rest = rest[0], rest[1:]
					} else if tk, ok = l.next(); !ok {
						return c
					}
					if tk.kind == tPunct && tk.text == "(" {
						depth++
					} else if tk.kind == tPunct && tk.text == ")" {
						depth--
						if depth == 0 {
							break
						}
					}
				}
				continue
			case tk.is("VALUES") || tk.is("VALUE") || tk.is("SET"):
				c.op, c.table = opData, t
				return c
			default:
				c.hasSelect = true
				return c
			}
		}
	case first.is("CREATE"):
		return p.create()
	case first.is("DROP"):
		return p.drop()
	case first.is("ALTER"):
		return p.alter()
	case first.is("TRUNCATE"):
		p.i = 1
		p.word("TABLE")
		if t, ok := p.name(); ok {
			c.op, c.table = opTable, t
		}
	case first.is("RENAME"):
		// RENAME TABLE touches several tables: opOther.
	case first.is("SET"):
		return p.set()
	case first.is("BEGIN") && len(toks) <= 2, first.is("COMMIT"), first.is("SAVEPOINT"), first.is("RELEASE"),
		first.is("START") && len(toks) > 1 && toks[1].is("TRANSACTION"):
		c.op = opTxn
	case first.is("ROLLBACK"):
		c.op = opRollback
		if len(toks) > 1 && toks[1].is("TO") || len(toks) > 2 && toks[2].is("TO") {
			c.op = opTxn // ROLLBACK TO SAVEPOINT
		}
	case first.is("LOCK"):
		if len(toks) > 1 && (toks[1].is("TABLES") || toks[1].is("TABLE")) {
			c.op = opLock
		}
	case first.is("UNLOCK"):
		if len(toks) > 1 && (toks[1].is("TABLES") || toks[1].is("TABLE")) {
			c.op = opUnlock
		}
	case first.is("USE"):
		p.i = 1
		if n, ok := p.ident(); ok {
			c.op, c.name = opUse, n
		}
	}
	return c
}

type parser struct {
	toks []token
	i    int
	c    *class
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tPunct}
}

// word consumes the next token if it is one of ws.
func (p *parser) word(ws ...string) bool {
	t := p.peek()
	for _, w := range ws {
		if t.is(w) {
			p.i++
			return true
		}
	}
	return false
}

func (p *parser) punct(s string) bool {
	if t := p.peek(); t.kind == tPunct && t.text == s {
		p.i++
		return true
	}
	return false
}

// ident consumes an identifier.
func (p *parser) ident() (string, bool) {
	n, ok := p.peek().name()
	if ok {
		p.i++
	}
	return n, ok
}

// name consumes a possibly qualified name and records the qualifier.
func (p *parser) name() (string, bool) {
	start := p.peek().start
	n, ok := p.ident()
	if !ok {
		return "", false
	}
	if t := p.peek(); t.kind == tPunct && t.text == "." {
		p.i++
		m, ok := p.ident()
		if !ok {
			return "", false
		}
		p.c.quals = append(p.c.quals, qual{schema: n, start: start, end: t.end})
		return m, true
	}
	return n, true
}

// ifExists consumes IF [NOT] EXISTS.
func (p *parser) ifExists() bool {
	if p.peek().is("IF") {
		p.i++
		p.word("NOT")
		p.word("EXISTS")
		return true
	}
	return false
}

// definer consumes DEFINER = user and similar view/routine options.
func (p *parser) options() {
	for {
		switch {
		case p.word("OR"):
			p.word("REPLACE")
		case p.word("DEFINER"):
			p.punct("=")
			p.i++ // user, CURRENT_USER or role
			if p.punct("@") {
				p.i++
			} else if p.peek().kind == tVar { // 'u'@'h' lexed as str + var
				p.i++
			}
			if p.punct("(") {
				p.punct(")")
			}
		case p.word("ALGORITHM"):
			p.punct("=")
			p.i++
		case p.word("SQL"):
			p.word("SECURITY")
			p.i++
		case p.word("AGGREGATE", "TEMPORARY", "ONLINE", "IGNORE", "NONBLOCKING"):
		default:
			return
		}
	}
}

func (p *parser) create() class {
	c := p.c
	p.i = 1
	p.options()
	switch {
	case p.word("TABLE"):
		c.ifNotExists = p.ifExists()
		t, ok := p.name()
		if !ok {
			return *c
		}
		c.table = t
		// CREATE TABLE t LIKE u / (...) SELECT / AS SELECT touch other tables.
		for _, tk := range p.toks[p.i:] {
			if tk.is("LIKE") || tk.is("SELECT") || tk.is("AS") {
				return *c
			}
		}
		c.op, c.create = opTable, true
	case p.word("SEQUENCE"):
		c.ifNotExists = p.ifExists()
		c.sequence = true
		if t, ok := p.name(); ok {
			c.op, c.table = opTable, t
		}
	case p.word("DATABASE", "SCHEMA"):
		c.ifNotExists = p.ifExists()
		if n, ok := p.ident(); ok {
			c.op, c.name = opCreateDB, n
			c.dbOptions = p.rest()
		}
	case p.word("VIEW"):
		p.ifExists()
		if n, ok := p.name(); ok {
			c.op, c.name = opView, n
		}
	case p.word("TRIGGER"):
		p.ifExists()
		n, ok := p.name()
		if !ok {
			return *c
		}
		c.name = n
		for p.i < len(p.toks) && !p.peek().is("ON") {
			p.i++
		}
		if p.word("ON") {
			if t, ok := p.name(); ok {
				c.op, c.table = opTrigger, t
			}
		}
	case p.word("PROCEDURE", "FUNCTION", "PACKAGE", "EVENT"):
		p.word("BODY")
		p.ifExists()
		if n, ok := p.name(); ok {
			c.op, c.name = opRoutine, n
		}
	case p.word("UNIQUE", "FULLTEXT", "SPATIAL", "INDEX"):
		p.word("INDEX")
		p.ifExists()
		if _, ok := p.ident(); !ok {
			return *c
		}
		for p.i < len(p.toks) && !p.peek().is("ON") {
			p.i++
		}
		if p.word("ON") {
			if t, ok := p.name(); ok {
				c.op, c.table = opTable, t
			}
		}
	}
	return *c
}

func (p *parser) drop() class {
	c := p.c
	p.i = 1
	p.word("TEMPORARY")
	switch {
	case p.word("TABLE", "TABLES", "SEQUENCE"):
		c.sequence = p.toks[p.i-1].is("SEQUENCE")
		p.ifExists()
		for {
			t, ok := p.name()
			if !ok {
				return *c
			}
			c.tables = append(c.tables, t)
			if !p.punct(",") {
				break
			}
		}
		if len(c.tables) == 1 {
			c.op, c.table = opTable, c.tables[0]
		}
	case p.word("DATABASE", "SCHEMA"):
		p.ifExists()
		if n, ok := p.ident(); ok {
			c.op, c.name = opDropDB, n
		}
	case p.word("VIEW"):
		p.ifExists()
		if n, ok := p.name(); ok {
			c.op, c.name = opView, n
			for p.punct(",") {
				p.name()
			}
		}
	case p.word("TRIGGER"):
		p.ifExists()
		if n, ok := p.name(); ok {
			c.op, c.name = opDropTrigger, n
		}
	case p.word("PROCEDURE", "FUNCTION", "PACKAGE", "EVENT"):
		p.word("BODY")
		p.ifExists()
		if n, ok := p.name(); ok {
			c.op, c.name = opRoutine, n
		}
	case p.word("INDEX"):
		p.ifExists()
		if _, ok := p.ident(); ok && p.word("ON") {
			if t, ok := p.name(); ok {
				c.op, c.table = opAlterTable, t
			}
		}
	}
	return *c
}

func (p *parser) alter() class {
	c := p.c
	p.i = 1
	p.options()
	switch {
	case p.word("TABLE"):
		p.ifExists()
		t, ok := p.name()
		if !ok {
			return *c
		}
		c.table = t
		if (p.peek().is("DISABLE") || p.peek().is("ENABLE")) && p.i+1 < len(p.toks) && p.toks[p.i+1].is("KEYS") && p.i+2 == len(p.toks) {
			c.op, c.enable = opKeys, p.peek().is("ENABLE")
			return *c
		}
		for _, tk := range p.toks[p.i:] {
			if tk.is("REFERENCES") || tk.is("RENAME") || tk.is("EXCHANGE") || tk.is("SELECT") {
				return *c
			}
		}
		if len(p.toks) < 48 {
			c.op = opAlterTable
		}
	case p.word("DATABASE", "SCHEMA"):
		if t := p.peek(); t.kind == tIdent || t.kind == tWord && !isDBOption(t.text) {
			n, _ := p.ident()
			c.name = n
		}
		c.op = opAlterDB
		c.dbOptions = p.rest()
	case p.word("VIEW"):
		if n, ok := p.name(); ok {
			c.op, c.name = opView, n
		}
	case p.word("PROCEDURE", "FUNCTION", "EVENT"):
		if n, ok := p.name(); ok {
			c.op, c.name = opRoutine, n
		}
	case p.word("SEQUENCE"):
		p.ifExists()
		if t, ok := p.name(); ok {
			c.op, c.table = opAlterTable, t
		}
	}
	return *c
}

func isDBOption(w string) bool {
	switch w {
	case "DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT", "UPGRADE", "READ":
		return true
	}
	return false
}

// rest renders the remaining head tokens, for database options.
func (p *parser) rest() string {
	var b strings.Builder
	for _, t := range p.toks[p.i:] {
		if b.Len() > 0 && t.text != "=" {
			b.WriteByte(' ')
		}
		switch t.kind {
		case tIdent:
			b.WriteString(quoteIdent(t.text))
		case tStr:
			b.WriteString(quoteString(t.text))
		case tWord:
			b.WriteString(t.raw)
		default:
			b.WriteString(t.text)
		}
	}
	return b.String()
}

func (p *parser) set() class {
	c := p.c
	c.op = opSet
	p.i = 1
	switch {
	case p.peek().is("GLOBAL") || strings.HasPrefix(p.peek().text, "@@GLOBAL."):
		c.op = opOther
		c.global = true
	case p.peek().is("STATEMENT"), p.peek().is("PASSWORD"), p.peek().is("ROLE"), p.peek().is("DEFAULT"):
		c.op = opOther
	}
	for _, t := range p.toks {
		switch {
		case t.is("SELECT"):
			c.hasSelect = true
		case t.is("AUTOCOMMIT") || t.text == "@@AUTOCOMMIT" || t.text == "@@SESSION.AUTOCOMMIT" || t.text == "@@LOCAL.AUTOCOMMIT":
			c.autocommit = true
		case t.is("GLOBAL") || strings.HasPrefix(t.text, "@@GLOBAL."):
			c.op, c.global = opOther, true
		}
	}
	if len(p.toks) == 48 {
		c.hasSelect = true // too long to know: treat as possibly reading tables
	}
	return *c
}

// quoteString quotes s as a SQL string literal (sqltext.QuoteString).
func quoteString(s string) string { return sqltext.QuoteString(s) }
