package snapshot

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Parse reads a snapshot written by Format (the inverse of Format). Errors
// name the line. Row counts that are not written are -1.
func Parse(data []byte) (*Snapshot, error) {
	p := &parser{s: &Snapshot{}, seen: map[string]int{}}
	lines := strings.Split(string(data), "\n")
	header := false
	for i, l := range lines {
		p.n = i + 1
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !header {
			if strings.TrimSpace(l) != Version {
				if strings.HasPrefix(l, "# migtest snapshot ") {
					return nil, p.errf("this is %q; this migtest reads %q: update migtest", strings.TrimSpace(l), Version)
				}
				return nil, p.errf("not a migtest snapshot: the first line must be %q", Version)
			}
			header = true
			continue
		}
		if err := p.line(l); err != nil {
			return nil, fmt.Errorf("snapshot line %d: %w", p.n, err)
		}
	}
	if !header {
		return nil, errors.New("snapshot: empty file, want a first line " + strconv.Quote(Version))
	}
	return p.s, nil
}

type parser struct {
	s    *Snapshot
	n    int
	seen map[string]int // kind+name -> line, for duplicates
	// The block that indented lines belong to.
	table *Table
	body  *string
	// bodyState: 0 none yet, 1 "|" lines, 2 "body" line.
	bodyState int
	names     map[string]int // per-table names -> line
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("snapshot line %d: "+format, append([]any{p.n}, args...)...)
}

func (p *parser) unique(kind, name string) error {
	k := kind + "\x00" + name
	if at, ok := p.seen[k]; ok {
		return fmt.Errorf("%s %s appears twice (first on line %d)", kind, ident(name), at)
	}
	p.seen[k] = p.n
	return nil
}

func (p *parser) uniqueInTable(kind, name string) error {
	k := kind + "\x00" + name
	if at, ok := p.names[k]; ok {
		return fmt.Errorf("%s %s appears twice in table %s (first on line %d)", kind, ident(name), ident(p.table.Name), at)
	}
	p.names[k] = p.n
	return nil
}

func (p *parser) line(l string) error {
	if strings.HasPrefix(l, "#") {
		return nil
	}
	if strings.HasPrefix(l, "  |") {
		if p.body == nil {
			return errors.New(`a "|" body line outside a view, trigger, routine or event`)
		}
		if p.bodyState == 2 {
			return errors.New(`a "|" body line after a "body" line`)
		}
		text := strings.TrimPrefix(l[3:], " ")
		if p.bodyState == 1 {
			*p.body += "\n" + text
		} else {
			*p.body = text
		}
		p.bodyState = 1
		return nil
	}
	if strings.HasPrefix(l, "  ") {
		words, err := lex(l)
		if err != nil {
			return err
		}
		if words[0] == "body" {
			return p.bodyLine(words)
		}
		if p.table == nil {
			return fmt.Errorf("indented line %q outside a table", words[0])
		}
		return p.tableLine(words)
	}
	if l[0] == ' ' || l[0] == '\t' {
		return errors.New("indent with exactly two blanks")
	}
	p.table, p.body, p.bodyState = nil, nil, 0
	words, err := lex(l)
	if err != nil {
		return err
	}
	if len(words) < 2 {
		return fmt.Errorf("%q needs a name", words[0])
	}
	kind := words[0]
	name, err := parseIdent(words[1])
	if kind == "patch" {
		name, err = parseValue(words[1])
	}
	if err != nil {
		return err
	}
	if kind != "procedure" && kind != "function" && kind != "package" && kind != "package-body" {
		if err := p.unique(kind, name); err != nil {
			return err
		}
	}
	rest := words[2:]
	switch kind {
	case "table":
		return p.tableHeader(name, rest)
	case "sequence":
		return p.sequence(name, rest)
	case "view":
		return p.view(name, rest)
	case "trigger":
		return p.trigger(name, rest)
	case "procedure", "function", "package", "package-body":
		return p.routine(kind, name, rest)
	case "event":
		return p.event(name, rest)
	case "patch":
		if len(rest) > 0 {
			return fmt.Errorf("unexpected %q after patch ID", rest[0])
		}
		p.s.Patches = append(p.s.Patches, name)
		return nil
	}
	return fmt.Errorf("unknown line kind %q (want table, sequence, view, trigger, procedure, function, event or patch)", kind)
}

func (p *parser) bodyLine(words []string) error {
	if p.body == nil {
		return errors.New(`a "body" line outside a view, trigger, routine or event`)
	}
	if p.bodyState != 0 {
		return errors.New("a second body")
	}
	if len(words) != 2 || words[1] == "" || words[1][0] != '"' {
		return errors.New(`want body "quoted text"`)
	}
	v, err := strconv.Unquote(words[1])
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	*p.body = v
	p.bodyState = 2
	return nil
}

// keyValues reads key=value words (values as written by value) and bare
// flags. Unknown keys and repeated keys are errors.
func keyValues(words []string, keys, flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			if !contains(flags, w) {
				return nil, fmt.Errorf("unexpected %q", w)
			}
			k, v = w, "true"
		} else if !contains(keys, k) {
			return nil, fmt.Errorf("unknown key %q", k)
		} else {
			var err error
			if v, err = parseValue(v); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func parseInt(k, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != v {
		return 0, fmt.Errorf("%s=%s is not a number", k, v)
	}
	return n, nil
}

func (p *parser) tableHeader(name string, words []string) error {
	kv, err := keyValues(words, []string{"rows", "engine", "charset", "collation", "options", "comment"}, nil)
	if err != nil {
		return err
	}
	t := Table{Name: name, Rows: -1, Options: TableOptions{
		Engine: kv["engine"], Charset: kv["charset"], Collation: kv["collation"],
		CreateOptions: kv["options"], Comment: kv["comment"],
	}}
	if v, ok := kv["rows"]; ok {
		if t.Rows, err = parseInt("rows", v); err != nil {
			return err
		}
		if t.Rows < 0 {
			return fmt.Errorf("rows=%s is negative", v)
		}
	}
	p.s.Tables = append(p.s.Tables, t)
	p.table = &p.s.Tables[len(p.s.Tables)-1]
	p.names = map[string]int{}
	return nil
}

func (p *parser) tableLine(words []string) error {
	if len(words) < 2 {
		return fmt.Errorf("%q needs a name", words[0])
	}
	t := p.table
	kind := words[0]
	if kind == "partition" {
		return p.partition(words[1:])
	}
	name, err := parseIdent(words[1])
	if err != nil {
		return err
	}
	if err := p.uniqueInTable(kind, name); err != nil {
		return err
	}
	rest := words[2:]
	switch kind {
	case "column":
		c, err := parseColumn(name, rest)
		if err != nil {
			return err
		}
		t.Columns = append(t.Columns, c)
	case "index":
		x, err := parseIndex(name, rest)
		if err != nil {
			return err
		}
		t.Indexes = append(t.Indexes, x)
	case "fk":
		fk, err := parseFK(name, rest)
		if err != nil {
			return err
		}
		t.ForeignKeys = append(t.ForeignKeys, fk)
	case "check":
		if len(rest) != 1 {
			return errors.New("want check NAME (clause)")
		}
		c, err := parseExpr(rest[0])
		if err != nil {
			return err
		}
		t.Checks = append(t.Checks, Check{Name: name, Clause: c})
	default:
		return fmt.Errorf("unknown table line %q (want column, index, fk, check or partition)", kind)
	}
	return nil
}

// wordList is a cursor over the words of a line.
type wordList struct {
	w []string
	i int
}

func (ws *wordList) more() bool { return ws.i < len(ws.w) }
func (ws *wordList) peek() string {
	if ws.more() {
		return ws.w[ws.i]
	}
	return ""
}
func (ws *wordList) next(what string) (string, error) {
	if !ws.more() {
		return "", fmt.Errorf("missing %s", what)
	}
	ws.i++
	return ws.w[ws.i-1], nil
}
func (ws *wordList) want(kw string) error {
	w, err := ws.next(kw)
	if err != nil {
		return err
	}
	if w != kw {
		return fmt.Errorf("want %s, got %q", kw, w)
	}
	return nil
}

func parseColumn(name string, rest []string) (Column, error) {
	c := Column{Name: name}
	ws := &wordList{w: rest}
	var typ []string
	for ws.more() && ws.peek() != "NULL" && ws.peek() != "NOT" {
		typ = append(typ, ws.w[ws.i])
		ws.i++
	}
	switch {
	case len(typ) == 0:
		return c, fmt.Errorf("column %s: missing type", ident(name))
	case len(typ) == 1 && typ[0][0] == '"':
		t, err := strconv.Unquote(typ[0])
		if err != nil {
			return c, fmt.Errorf("column %s: type: %w", ident(name), err)
		}
		c.Type = t
	default:
		c.Type = strings.Join(typ, " ")
	}
	switch w, _ := ws.next("NULL or NOT NULL"); w {
	case "NULL":
		c.Nullable = true
	case "NOT":
		if err := ws.want("NULL"); err != nil {
			return c, fmt.Errorf("column %s: %w", ident(name), err)
		}
	default:
		return c, fmt.Errorf("column %s: want NULL or NOT NULL after the type", ident(name))
	}
	seen := map[string]bool{}
	for ws.more() {
		kw, _ := ws.next("")
		if seen[kw] {
			return c, fmt.Errorf("column %s: %s given twice", ident(name), kw)
		}
		seen[kw] = true
		var err error
		var w string
		switch kw {
		case "DEFAULT":
			if w, err = ws.next("default value"); err == nil {
				c.Default, err = parseFragment(w)
			}
		case "ON":
			if err = ws.want("UPDATE"); err == nil {
				if w, err = ws.next("ON UPDATE value"); err == nil {
					c.OnUpdate, err = parseFragment(w)
				}
			}
		case "AS":
			if w, err = ws.next("generation expression"); err == nil {
				if c.Generated, err = parseExpr(w); err == nil {
					switch w, _ = ws.next(""); w {
					case "VIRTUAL":
					case "STORED":
						c.Stored = true
					default:
						err = errors.New("want VIRTUAL or STORED after AS (expression)")
					}
				}
			}
		case "AUTO_INCREMENT":
			c.AutoIncrement = true
		case "INVISIBLE":
			c.Invisible = true
		case "COLLATE":
			if w, err = ws.next("collation"); err == nil {
				c.Collation, err = parseValue(w)
			}
		case "COMMENT":
			if w, err = ws.next("comment"); err == nil {
				c.Comment, err = parseValue(w)
			}
		default:
			err = fmt.Errorf("unexpected %q", kw)
		}
		if err != nil {
			return c, fmt.Errorf("column %s: %w", ident(name), err)
		}
	}
	return c, nil
}

var upperWord = regexp.MustCompile(`^[A-Z][A-Z_]*$`)

func parseIndex(name string, rest []string) (Index, error) {
	x := Index{Name: name}
	ws := &wordList{w: rest}
	fail := func(err error) (Index, error) { return x, fmt.Errorf("index %s: %w", ident(name), err) }
	if ws.peek() == "UNIQUE" {
		x.Unique = true
		ws.i++
	}
	if w := ws.peek(); upperWord.MatchString(w) && w != "UNIQUE" {
		x.Kind = w
		ws.i++
	}
	w, err := ws.next("column list")
	if err != nil {
		return fail(err)
	}
	if x.Parts, err = parseParts(w); err != nil {
		return fail(err)
	}
	seen := map[string]bool{}
	for ws.more() {
		kw, _ := ws.next("")
		if seen[kw] {
			return fail(fmt.Errorf("%s given twice", kw))
		}
		seen[kw] = true
		switch kw {
		case "IGNORED":
			x.Ignored = true
		case "COMMENT":
			if w, err = ws.next("comment"); err == nil {
				x.Comment, err = parseValue(w)
			}
		default:
			err = fmt.Errorf("unexpected %q", kw)
		}
		if err != nil {
			return fail(err)
		}
	}
	return x, nil
}

// inParens returns what is inside a word that is all one parenthesis group.
func inParens(w string) (string, error) {
	if len(w) < 2 || w[0] != '(' || matchingParen(w, 0) != len(w)-1 {
		return "", fmt.Errorf("want a list in parentheses, got %q", w)
	}
	return w[1 : len(w)-1], nil
}

func parseParts(w string) ([]IndexPart, error) {
	inner, err := inParens(w)
	if err != nil {
		return nil, err
	}
	var parts []IndexPart
	for _, piece := range splitTop(inner) {
		piece = strings.TrimSpace(piece)
		var part IndexPart
		var rest string
		if strings.HasPrefix(piece, "(") {
			end := matchingParen(piece, 0)
			if end < 0 {
				return nil, fmt.Errorf("bad index part %q", piece)
			}
			part.Expression, rest = piece[1:end], piece[end+1:]
			if part.Expression == "" {
				return nil, fmt.Errorf("empty expression in index part %q", piece)
			}
		} else if part.Column, rest, err = scanIdent(piece); err != nil {
			return nil, err
		}
		if strings.HasPrefix(rest, "(") {
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return nil, fmt.Errorf("bad prefix length in %q", piece)
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 || strconv.Itoa(n) != rest[1:end] {
				return nil, fmt.Errorf("bad prefix length in %q", piece)
			}
			part.Length, rest = n, rest[end+1:]
		}
		switch rest {
		case "":
		case " DESC":
			part.Desc = true
		default:
			return nil, fmt.Errorf("unexpected %q in index part %q", rest, piece)
		}
		parts = append(parts, part)
	}
	return parts, nil
}

func parseIdentList(w string) ([]string, error) {
	inner, err := inParens(w)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, piece := range splitTop(inner) {
		n, err := parseIdent(strings.TrimSpace(piece))
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, nil
}

func parseRule(ws *wordList) (string, error) {
	w, err := ws.next("rule")
	if err != nil {
		return "", err
	}
	switch w {
	case "CASCADE":
		return w, nil
	case "RESTRICT":
		return "", nil
	case "NO":
		return "", ws.want("ACTION")
	case "SET":
		v, err := ws.next("NULL or DEFAULT")
		if err != nil || (v != "NULL" && v != "DEFAULT") {
			return "", errors.New("want SET NULL or SET DEFAULT")
		}
		return "SET " + v, nil
	}
	if strings.HasPrefix(w, "'") {
		return sqlUnquote(w)
	}
	return "", fmt.Errorf("unknown rule %q", w)
}

func parseFK(name string, rest []string) (ForeignKey, error) {
	fk := ForeignKey{Name: name}
	fail := func(err error) (ForeignKey, error) { return fk, fmt.Errorf("fk %s: %w", ident(name), err) }
	ws := &wordList{w: rest}
	w, err := ws.next("column list")
	if err != nil {
		return fail(err)
	}
	if fk.Columns, err = parseIdentList(w); err != nil {
		return fail(err)
	}
	if err := ws.want("REFERENCES"); err != nil {
		return fail(err)
	}
	if w, err = ws.next("referenced table"); err != nil {
		return fail(err)
	}
	first, r, err := scanIdent(w)
	if err != nil {
		return fail(err)
	}
	fk.RefTable = first
	if strings.HasPrefix(r, ".") {
		fk.RefSchema = first
		if fk.RefTable, err = parseIdent(r[1:]); err != nil {
			return fail(err)
		}
	} else if r != "" {
		return fail(fmt.Errorf("unexpected %q after the referenced table", r))
	}
	if w, err = ws.next("referenced columns"); err != nil {
		return fail(err)
	}
	if fk.RefColumns, err = parseIdentList(w); err != nil {
		return fail(err)
	}
	seen := map[string]bool{}
	for ws.more() {
		if err := ws.want("ON"); err != nil {
			return fail(err)
		}
		what, _ := ws.next("DELETE or UPDATE")
		if seen[what] {
			return fail(fmt.Errorf("ON %s given twice", what))
		}
		seen[what] = true
		switch what {
		case "DELETE":
			fk.OnDelete, err = parseRule(ws)
		case "UPDATE":
			fk.OnUpdate, err = parseRule(ws)
		default:
			err = fmt.Errorf("want ON DELETE or ON UPDATE, got ON %q", what)
		}
		if err != nil {
			return fail(err)
		}
	}
	return fk, nil
}

// method reads partitioning method words (RANGE, RANGE COLUMNS, ...) up to
// the expression.
func partitionMethod(ws *wordList) (method, expression string, err error) {
	var m []string
	for ws.more() && upperWord.MatchString(ws.peek()) {
		m = append(m, ws.w[ws.i])
		ws.i++
	}
	if len(m) == 0 {
		return "", "", errors.New("missing partitioning method")
	}
	w, err := ws.next("partitioning expression")
	if err != nil {
		return "", "", err
	}
	e, err := parseExpr(w)
	return strings.Join(m, " "), e, err
}

func (p *parser) partition(rest []string) error {
	t := p.table
	ws := &wordList{w: rest}
	if ws.peek() == "by" {
		ws.i++
		if t.Partitioning != nil {
			return errors.New("partition by given twice")
		}
		pt := &Partitioning{}
		var err error
		if pt.Method, pt.Expression, err = partitionMethod(ws); err != nil {
			return err
		}
		if ws.more() {
			if err := ws.want("subpartition"); err != nil {
				return err
			}
			if err := ws.want("by"); err != nil {
				return err
			}
			if pt.SubMethod, pt.SubExpression, err = partitionMethod(ws); err != nil {
				return err
			}
			if pt.SubMethod == "" {
				return errors.New("missing subpartitioning method")
			}
		}
		if ws.more() {
			return fmt.Errorf("unexpected %q", ws.peek())
		}
		t.Partitioning = pt
		return nil
	}
	if t.Partitioning == nil {
		return errors.New("a partition line before partition by")
	}
	w, _ := ws.next("")
	name, err := parseIdent(w)
	if err != nil {
		return err
	}
	if err := p.uniqueInTable("partition", name); err != nil {
		return err
	}
	part := Partition{Name: name}
	seen := map[string]bool{}
	for ws.more() {
		kw, _ := ws.next("")
		if seen[kw] {
			return fmt.Errorf("partition %s: %s given twice", ident(name), kw)
		}
		seen[kw] = true
		switch kw {
		case "VALUES":
			switch ws.peek() {
			case "LESS":
				ws.i++
				err = ws.want("THAN")
			case "IN":
				ws.i++
			}
			if err == nil {
				if w, err = ws.next("values"); err == nil {
					part.Values, err = parseExpr(w)
				}
			}
		case "SUBPARTITIONS":
			if w, err = ws.next("subpartition names"); err == nil {
				part.Subpartitions, err = parseIdentList(w)
			}
		case "COMMENT":
			if w, err = ws.next("comment"); err == nil {
				part.Comment, err = parseValue(w)
			}
		default:
			err = fmt.Errorf("unexpected %q", kw)
		}
		if err != nil {
			return fmt.Errorf("partition %s: %w", ident(name), err)
		}
	}
	t.Partitioning.Partitions = append(t.Partitioning.Partitions, part)
	return nil
}

func (p *parser) sequence(name string, rest []string) error {
	kv, err := keyValues(rest, []string{"start", "min", "max", "increment", "cache"}, []string{"cycle"})
	if err != nil {
		return fmt.Errorf("sequence %s: %w", ident(name), err)
	}
	q := Sequence{Name: name, Cycle: kv["cycle"] == "true"}
	for k, dst := range map[string]*int64{"start": &q.Start, "min": &q.Min, "max": &q.Max, "increment": &q.Increment, "cache": &q.Cache} {
		v, ok := kv[k]
		if !ok {
			return fmt.Errorf("sequence %s: missing %s=", ident(name), k)
		}
		if *dst, err = parseInt(k, v); err != nil {
			return fmt.Errorf("sequence %s: %w", ident(name), err)
		}
	}
	p.s.Sequences = append(p.s.Sequences, q)
	return nil
}

func (p *parser) view(name string, rest []string) error {
	kv, err := keyValues(rest, []string{"check"}, nil)
	if err != nil {
		return fmt.Errorf("view %s: %w", ident(name), err)
	}
	p.s.Views = append(p.s.Views, View{Name: name, CheckOption: kv["check"]})
	p.body = &p.s.Views[len(p.s.Views)-1].Definition
	return nil
}

func (p *parser) trigger(name string, rest []string) error {
	t := Trigger{Name: name, Order: 1}
	fail := func(err error) error { return fmt.Errorf("trigger %s: %w", ident(name), err) }
	ws := &wordList{w: rest}
	if err := ws.want("ON"); err != nil {
		return fail(err)
	}
	w, err := ws.next("table")
	if err != nil {
		return fail(err)
	}
	if t.Table, err = parseIdent(w); err != nil {
		return fail(err)
	}
	if t.Timing, err = ws.next("BEFORE or AFTER"); err != nil {
		return fail(err)
	}
	if t.Event, err = ws.next("INSERT, UPDATE or DELETE"); err != nil {
		return fail(err)
	}
	if !upperWord.MatchString(t.Timing) || !upperWord.MatchString(t.Event) {
		return fail(fmt.Errorf("want BEFORE|AFTER INSERT|UPDATE|DELETE, got %s %s", t.Timing, t.Event))
	}
	kv, err := keyValues(ws.w[ws.i:], []string{"order"}, nil)
	if err != nil {
		return fail(err)
	}
	if v, ok := kv["order"]; ok {
		n, err := parseInt("order", v)
		if err != nil || n < -1<<31 || n > 1<<31-1 {
			return fail(fmt.Errorf("bad order=%s", v))
		}
		t.Order = int(n)
	}
	p.s.Triggers = append(p.s.Triggers, t)
	p.body = &p.s.Triggers[len(p.s.Triggers)-1].Body
	return nil
}

func (p *parser) routine(kind, name string, rest []string) error {
	r := Routine{Name: name}
	for typ, k := range routineKeywords {
		if k == kind {
			r.Type = typ
		}
	}
	if err := p.unique(kind, name); err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("%s %s: %w", kind, ident(name), err) }
	if len(rest) == 0 {
		return fail(errors.New("missing (parameters)"))
	}
	var err error
	if r.Params, err = parseExpr(rest[0]); err != nil {
		return fail(err)
	}
	kv, err := keyValues(rest[1:], []string{"returns", "sql", "security", "comment"}, []string{"deterministic"})
	if err != nil {
		return fail(err)
	}
	r.Returns, r.DataAccess, r.Security, r.Comment = kv["returns"], kv["sql"], kv["security"], kv["comment"]
	r.Deterministic = kv["deterministic"] == "true"
	p.s.Routines = append(p.s.Routines, r)
	p.body = &p.s.Routines[len(p.s.Routines)-1].Body
	return nil
}

func (p *parser) event(name string, rest []string) error {
	kv, err := keyValues(rest, []string{"schedule", "status", "comment"}, []string{"preserve"})
	if err != nil {
		return fmt.Errorf("event %s: %w", ident(name), err)
	}
	p.s.Events = append(p.s.Events, Event{Name: name, Schedule: kv["schedule"], Status: kv["status"], Comment: kv["comment"], Preserve: kv["preserve"] == "true"})
	p.body = &p.s.Events[len(p.s.Events)-1].Body
	return nil
}
