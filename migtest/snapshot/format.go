package snapshot

import (
	"bytes"
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// Format writes s in the canonical text format: a header line, then one
// block per table, sequence, view, trigger, routine and event (each sorted
// by name), then the applied patches. Inside a table, columns keep their
// ordinal order; indexes (PRIMARY first), foreign keys and checks are
// sorted by name. Bodies of views, triggers, routines and events follow
// their header as "  | " lines. The output is deterministic and ends with
// a newline; Parse reads it back.
//
//	# migtest snapshot v1
//
//	table tabCustomer rows=1000 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci
//	  column name varchar(140) NOT NULL
//	  column custom_region varchar(140) NULL DEFAULT 'EMEA' COMMENT 'x'
//	  index PRIMARY UNIQUE (name)
//	  index idx_region (custom_region, creation(10))
//	  fk fk_x (a) REFERENCES tabY (b) ON DELETE CASCADE
//	  check chk_x (`a` > 0)
func (s *Snapshot) Format() []byte {
	var b bytes.Buffer
	b.WriteString(Version)
	b.WriteByte('\n')
	block := func() { b.WriteByte('\n') }
	line := func(indent bool, l string) {
		if indent {
			b.WriteString("  ")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	for _, t := range sortedBy(s.Tables, func(t Table) string { return t.Name }) {
		block()
		line(false, t.header())
		for _, c := range t.Columns {
			line(true, "column "+ident(c.Name)+" "+c.def())
		}
		for _, x := range sortedIndexes(t.Indexes) {
			line(true, "index "+ident(x.Name)+" "+x.def())
		}
		for _, fk := range sortedBy(t.ForeignKeys, func(f ForeignKey) string { return f.Name }) {
			line(true, "fk "+ident(fk.Name)+" "+fk.def())
		}
		for _, c := range sortedBy(t.Checks, func(c Check) string { return c.Name }) {
			line(true, "check "+ident(c.Name)+" "+expr(c.Clause))
		}
		if p := t.Partitioning; p != nil {
			for _, l := range p.lines() {
				line(true, l)
			}
		}
	}
	for _, q := range sortedBy(s.Sequences, func(q Sequence) string { return q.Name }) {
		block()
		line(false, "sequence "+ident(q.Name)+" "+q.def())
	}
	for _, v := range sortedBy(s.Views, func(v View) string { return v.Name }) {
		block()
		line(false, "view "+ident(v.Name)+v.def())
		writeBody(&b, v.Definition)
	}
	for _, t := range sortedBy(s.Triggers, func(t Trigger) string { return t.Name }) {
		block()
		line(false, "trigger "+ident(t.Name)+" "+t.def())
		writeBody(&b, t.Body)
	}
	for _, r := range sortedBy(s.Routines, func(r Routine) string { return r.Name + "\x00" + r.Type }) {
		block()
		line(false, routineKeyword(r.Type)+" "+ident(r.Name)+" "+r.def())
		writeBody(&b, r.Body)
	}
	for _, e := range sortedBy(s.Events, func(e Event) string { return e.Name }) {
		block()
		line(false, "event "+ident(e.Name)+e.def())
		writeBody(&b, e.Body)
	}
	if len(s.Patches) > 0 {
		block()
		for _, p := range s.Patches {
			line(false, "patch "+value(p))
		}
	}
	return b.Bytes()
}

// sortedBy returns a copy of xs sorted by key (stable, so equal keys keep
// their order).
func sortedBy[T any](xs []T, key func(T) string) []T {
	c := slices.Clone(xs)
	slices.SortStableFunc(c, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return c
}

// sortedIndexes puts PRIMARY first, then the rest by name.
func sortedIndexes(xs []Index) []Index {
	return sortedBy(xs, func(x Index) string {
		if x.Name == "PRIMARY" {
			return ""
		}
		return "\x01" + x.Name
	})
}

func (t *Table) header() string {
	var b strings.Builder
	b.WriteString("table ")
	b.WriteString(ident(t.Name))
	if t.Rows >= 0 {
		b.WriteString(" rows=")
		b.WriteString(strconv.FormatInt(t.Rows, 10))
	}
	b.WriteString(t.Options.def())
	return b.String()
}

// def is the table options as " key=value" pairs.
func (o TableOptions) def() string {
	var b strings.Builder
	kv := func(k, v string) {
		if v != "" {
			b.WriteString(" " + k + "=" + value(v))
		}
	}
	kv("engine", o.Engine)
	kv("charset", o.Charset)
	kv("collation", o.Collation)
	kv("options", o.CreateOptions)
	if o.Comment != "" {
		b.WriteString(" comment=" + sqlQuote(o.Comment))
	}
	return b.String()
}

// typeText writes a column type as its words when that reads back the
// same, else Go-quoted.
func typeText(t string) string {
	words, err := lex(t)
	ok := err == nil && t != "" && !hasControl(t) && strings.Join(words, " ") == t && t[0] != '"'
	for _, w := range words {
		if w == "NULL" || w == "NOT" {
			ok = false
		}
	}
	if ok {
		return t
	}
	return strconv.Quote(t)
}

// def is the column definition after its name.
func (c Column) def() string {
	var b strings.Builder
	b.WriteString(typeText(c.Type))
	if c.Nullable {
		b.WriteString(" NULL")
	} else {
		b.WriteString(" NOT NULL")
	}
	if c.Default != "" {
		b.WriteString(" DEFAULT " + fragment(c.Default))
	}
	if c.OnUpdate != "" {
		b.WriteString(" ON UPDATE " + fragment(c.OnUpdate))
	}
	if c.Generated != "" {
		b.WriteString(" AS " + expr(c.Generated))
		if c.Stored {
			b.WriteString(" STORED")
		} else {
			b.WriteString(" VIRTUAL")
		}
	}
	if c.AutoIncrement {
		b.WriteString(" AUTO_INCREMENT")
	}
	if c.Invisible {
		b.WriteString(" INVISIBLE")
	}
	if c.Collation != "" {
		b.WriteString(" COLLATE " + value(c.Collation))
	}
	if c.Comment != "" {
		b.WriteString(" COMMENT " + sqlQuote(c.Comment))
	}
	return b.String()
}

func (x Index) def() string {
	var b strings.Builder
	if x.Unique {
		b.WriteString("UNIQUE ")
	}
	if x.Kind != "" {
		b.WriteString(x.Kind + " ")
	}
	parts := make([]string, len(x.Parts))
	for i, p := range x.Parts {
		s := ident(p.Column)
		if p.Expression != "" {
			s = "(" + p.Expression + ")"
		}
		if p.Length > 0 {
			s += "(" + strconv.Itoa(p.Length) + ")"
		}
		if p.Desc {
			s += " DESC"
		}
		parts[i] = s
	}
	b.WriteString("(" + strings.Join(parts, ", ") + ")")
	if x.Ignored {
		b.WriteString(" IGNORED")
	}
	if x.Comment != "" {
		b.WriteString(" COMMENT " + sqlQuote(x.Comment))
	}
	return b.String()
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = ident(n)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

func ruleText(r string) string {
	switch r {
	case "CASCADE", "SET NULL", "SET DEFAULT":
		return r
	}
	return sqlQuote(r)
}

func (fk ForeignKey) def() string {
	var b strings.Builder
	b.WriteString(identList(fk.Columns))
	b.WriteString(" REFERENCES ")
	if fk.RefSchema != "" {
		b.WriteString(ident(fk.RefSchema) + ".")
	}
	b.WriteString(ident(fk.RefTable) + " " + identList(fk.RefColumns))
	if fk.OnDelete != "" {
		b.WriteString(" ON DELETE " + ruleText(fk.OnDelete))
	}
	if fk.OnUpdate != "" {
		b.WriteString(" ON UPDATE " + ruleText(fk.OnUpdate))
	}
	return b.String()
}

func (p *Partitioning) lines() []string {
	by := "partition by " + p.Method + " " + expr(p.Expression)
	if p.SubMethod != "" {
		by += " subpartition by " + p.SubMethod + " " + expr(p.SubExpression)
	}
	out := []string{by}
	for _, part := range p.Partitions {
		name := ident(part.Name)
		if strings.EqualFold(part.Name, "by") {
			name = sqltext.QuoteIdent(part.Name)
		}
		l := "partition " + name
		if part.Values != "" {
			switch {
			case strings.HasPrefix(p.Method, "RANGE"):
				l += " VALUES LESS THAN " + expr(part.Values)
			case strings.HasPrefix(p.Method, "LIST"):
				l += " VALUES IN " + expr(part.Values)
			default:
				l += " VALUES " + expr(part.Values)
			}
		}
		if len(part.Subpartitions) > 0 {
			l += " SUBPARTITIONS " + identList(part.Subpartitions)
		}
		if part.Comment != "" {
			l += " COMMENT " + sqlQuote(part.Comment)
		}
		out = append(out, l)
	}
	return out
}

func (q Sequence) def() string {
	s := "start=" + strconv.FormatInt(q.Start, 10) +
		" min=" + strconv.FormatInt(q.Min, 10) +
		" max=" + strconv.FormatInt(q.Max, 10) +
		" increment=" + strconv.FormatInt(q.Increment, 10) +
		" cache=" + strconv.FormatInt(q.Cache, 10)
	if q.Cycle {
		s += " cycle"
	}
	return s
}

// def is the view header after its name (with a leading blank when not empty).
func (v View) def() string {
	if v.CheckOption != "" {
		return " check=" + value(v.CheckOption)
	}
	return ""
}

func (t Trigger) def() string {
	s := "ON " + ident(t.Table) + " " + t.Timing + " " + t.Event
	if t.Order != 1 {
		s += " order=" + strconv.Itoa(t.Order)
	}
	return s
}

var routineKeywords = map[string]string{
	"PROCEDURE":    "procedure",
	"FUNCTION":     "function",
	"PACKAGE":      "package",
	"PACKAGE BODY": "package-body",
}

func routineKeyword(typ string) string {
	if k, ok := routineKeywords[typ]; ok {
		return k
	}
	return strings.ToLower(strings.ReplaceAll(typ, " ", "-"))
}

func (r Routine) def() string {
	var b strings.Builder
	b.WriteString(expr(r.Params))
	kv := func(k, v string) {
		if v != "" {
			b.WriteString(" " + k + "=" + value(v))
		}
	}
	kv("returns", r.Returns)
	if r.Deterministic {
		b.WriteString(" deterministic")
	}
	kv("sql", r.DataAccess)
	kv("security", r.Security)
	if r.Comment != "" {
		b.WriteString(" comment=" + sqlQuote(r.Comment))
	}
	return b.String()
}

// def is the event header after its name (with a leading blank when not empty).
func (e Event) def() string {
	var b strings.Builder
	kv := func(k, v string) {
		if v != "" {
			b.WriteString(" " + k + "=" + value(v))
		}
	}
	kv("schedule", e.Schedule)
	kv("status", e.Status)
	if e.Preserve {
		b.WriteString(" preserve")
	}
	if e.Comment != "" {
		b.WriteString(" comment=" + sqlQuote(e.Comment))
	}
	return b.String()
}

// bodyLinesOK reports whether body can be written as "  | " lines and read
// back unchanged: no control bytes but tabs and newlines, and no trailing
// blanks that an editor or git would strip.
func bodyLinesOK(body string) bool {
	for i := 0; i < len(body); i++ {
		c := body[i]
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			return false
		}
		if (c == ' ' || c == '\t') && (i+1 == len(body) || body[i+1] == '\n') {
			return false
		}
	}
	return true
}

func writeBody(b *bytes.Buffer, body string) {
	if body == "" {
		return
	}
	if !bodyLinesOK(body) {
		b.WriteString("  body " + strconv.Quote(body) + "\n")
		return
	}
	for _, l := range strings.Split(body, "\n") {
		if l == "" {
			b.WriteString("  |\n")
			continue
		}
		b.WriteString("  | " + l + "\n")
	}
}
