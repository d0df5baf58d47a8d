package snapshot

import (
	"slices"
	"strconv"
	"strings"
)

// Op says what a Change did.
type Op string

// The kinds of change.
const (
	Added   Op = "+"
	Removed Op = "-"
	Changed Op = "~"
	// RowsChanged is a table whose row count changed (Old and New are the counts).
	RowsChanged Op = "rows"
)

// Change is one difference between two snapshots.
type Change struct {
	Op Op
	// Kind is what changed: table, column, column order, index, fk, check,
	// partitioning, sequence, view, trigger, procedure, function, event or patch.
	Kind string
	// Name names it; parts of a table are table.part.
	Name string
	// Old and New are its definitions as Format writes them, after the
	// name (with the body on the following lines); Old is empty for an
	// addition, New for a removal.
	Old, New string
	// To is the new name of a renamed column (then Name is the old one).
	To string
}

// String is the change on one line, e.g.
//
//   - column tabCustomer.custom_region varchar(140) NULL
//   - index tabCustomer.idx_x
//     ~ column tabX.y: int → bigint
//     rows tabCustomer 1000 → 1005
func (c Change) String() string {
	switch c.Op {
	case Added:
		s := "+ " + c.Kind + " " + c.Name
		if def, _, _ := strings.Cut(c.New, "\n"); def != "" {
			s += " " + def
		}
		return s
	case Removed:
		return "- " + c.Kind + " " + c.Name
	case RowsChanged:
		if c.Old == "" {
			return "rows " + c.Name + " 0 → " + c.New + " (new table)"
		}
		return "rows " + c.Name + " " + c.Old + " → " + c.New
	}
	if c.To != "" {
		s := "~ " + c.Kind + " " + c.Name + " renamed to " + c.To
		if c.Old != c.New {
			s += ": " + changeText(c.Old, c.New)
		}
		return s
	}
	if c.Kind == "table" {
		return "~ table " + c.Name + ": " + optionsChange(c.Old, c.New)
	}
	return "~ " + c.Kind + " " + c.Name + ": " + changeText(c.Old, c.New)
}

// optionsChange shows only the table options that differ.
func optionsChange(old, new string) string {
	ow, err1 := lex(old)
	nw, err2 := lex(new)
	if err1 != nil || err2 != nil {
		return changeText(old, new)
	}
	var o, n []string
	for _, w := range ow {
		if !slices.Contains(nw, w) {
			o = append(o, w)
		}
	}
	for _, w := range nw {
		if !slices.Contains(ow, w) {
			n = append(n, w)
		}
	}
	return changeText(strings.Join(o, " "), strings.Join(n, " "))
}

// changeText shows old → new, or for multi-line definitions the first line
// that differs.
func changeText(old, new string) string {
	if !strings.Contains(old, "\n") && !strings.Contains(new, "\n") {
		return orNone(old) + " → " + orNone(new)
	}
	ol, nl := strings.Split(old, "\n"), strings.Split(new, "\n")
	for i := 0; i < max(len(ol), len(nl)); i++ {
		var o, n string
		if i < len(ol) {
			o = ol[i]
		}
		if i < len(nl) {
			n = nl[i]
		}
		if o != n {
			if i == 0 {
				return orNone(o) + " → " + orNone(n)
			}
			return "body line " + strconv.Itoa(i) + ": " + sqlQuote(o) + " → " + sqlQuote(n)
		}
	}
	return orNone(old) + " → " + orNone(new)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Diff is the list of changes from one snapshot to another, in the order
// Format writes the objects, with row count changes last.
type Diff struct {
	Changes []Change
}

// Empty reports whether the snapshots are the same.
func (d Diff) Empty() bool { return len(d.Changes) == 0 }

// SchemaOnly returns d without row count changes.
func (d Diff) SchemaOnly() Diff {
	var out Diff
	for _, c := range d.Changes {
		if c.Op != RowsChanged {
			out.Changes = append(out.Changes, c)
		}
	}
	return out
}

// SchemaEmpty reports whether the snapshots differ at most in row counts.
func (d Diff) SchemaEmpty() bool { return d.SchemaOnly().Empty() }

// String is the changes one per line (no trailing newline); "" when there
// are none.
func (d Diff) String() string {
	lines := make([]string, len(d.Changes))
	for i, c := range d.Changes {
		lines[i] = c.String()
	}
	return strings.Join(lines, "\n")
}

// Compare returns what changed from a to b. Tables, columns and the rest
// are matched by name; a column that moved is reported as a change of the
// column order; row counts are compared when both are counted; patches are
// compared as sets. A nil snapshot is an empty one.
func Compare(a, b *Snapshot) Diff {
	if a == nil {
		a = &Snapshot{}
	}
	if b == nil {
		b = &Snapshot{}
	}
	var d differ
	compareNamed(&d, "table", a.Tables, b.Tables, func(t Table) string { return t.Name },
		func(t Table) string { return strings.TrimPrefix(t.Options.def(), " ") },
		func(t Table, added bool) {
			if added {
				d.table(Table{Name: t.Name, Rows: -1}, t)
			}
		},
		func(x, y Table) { d.table(x, y) })
	compareNamed(&d, "sequence", a.Sequences, b.Sequences, func(q Sequence) string { return q.Name },
		Sequence.def, nil, nil)
	compareNamed(&d, "view", a.Views, b.Views, func(v View) string { return v.Name },
		func(v View) string { return withBody(strings.TrimPrefix(v.def(), " "), v.Definition) }, nil, nil)
	compareNamed(&d, "trigger", a.Triggers, b.Triggers, func(t Trigger) string { return t.Name },
		func(t Trigger) string { return withBody(t.def(), t.Body) }, nil, nil)
	for _, typ := range []string{"PROCEDURE", "FUNCTION", "PACKAGE", "PACKAGE BODY"} {
		of := func(s *Snapshot) []Routine {
			var out []Routine
			for _, r := range s.Routines {
				if r.Type == typ {
					out = append(out, r)
				}
			}
			return out
		}
		compareNamed(&d, routineKeyword(typ), of(a), of(b), func(r Routine) string { return r.Name },
			func(r Routine) string { return withBody(r.def(), r.Body) }, nil, nil)
	}
	compareNamed(&d, "event", a.Events, b.Events, func(e Event) string { return e.Name },
		func(e Event) string { return withBody(strings.TrimPrefix(e.def(), " "), e.Body) }, nil, nil)
	compareNamed(&d, "patch", a.Patches, b.Patches, value, func(string) string { return "" }, nil, nil)
	d.changes = append(d.changes, d.rows...)
	return Diff{Changes: d.changes}
}

type differ struct {
	prefix  string // table name and dot, inside a table
	changes []Change
	rows    []Change
}

func (d *differ) add(op Op, kind, name, old, new string) {
	d.changes = append(d.changes, Change{Op: op, Kind: kind, Name: d.prefix + name, Old: old, New: new})
}

func withBody(header, body string) string {
	if body == "" {
		return header
	}
	return header + "\n" + body
}

// compareNamed compares two lists of named things by name, in name order:
// removed, added (then onAdded), changed definitions, and then same(x, y)
// for every pair present in both.
func compareNamed[T any](d *differ, kind string, a, b []T, name func(T) string, def func(T) string, onAdded func(T, bool), same func(x, y T)) {
	am, bm := map[string]T{}, map[string]T{}
	var names []string
	for _, x := range a {
		if _, ok := am[name(x)]; !ok {
			names = append(names, name(x))
		}
		am[name(x)] = x
	}
	for _, y := range b {
		if _, ok := am[name(y)]; !ok {
			if _, ok := bm[name(y)]; !ok {
				names = append(names, name(y))
			}
		}
		bm[name(y)] = y
	}
	if kind != "patch" {
		slices.Sort(names)
	}
	for _, n := range names {
		x, inA := am[n]
		y, inB := bm[n]
		shown := ident(n)
		if kind == "patch" {
			shown = n
		}
		switch {
		case !inB:
			d.add(Removed, kind, shown, def(x), "")
		case !inA:
			d.add(Added, kind, shown, "", def(y))
			if onAdded != nil {
				onAdded(y, true)
			}
		default:
			if o, nw := def(x), def(y); o != nw {
				d.add(Changed, kind, shown, o, nw)
			}
			if same != nil {
				same(x, y)
			}
		}
	}
}

// table compares the parts of two tables with the same name. For a new
// table, x is empty, so every part shows as added.
func (d *differ) table(x, y Table) {
	outer := d.prefix
	d.prefix = ident(y.Name) + "."
	defer func() { d.prefix = outer }()
	from := len(d.changes)
	compareNamed(d, "column", x.Columns, y.Columns, func(c Column) string { return c.Name }, Column.def, nil, nil)
	d.renames(from, x.Columns, y.Columns)
	if xo, yo := commonOrder(x.Columns, y.Columns); !slices.Equal(xo, yo) {
		d.changes = append(d.changes, Change{Op: Changed, Kind: "column order", Name: ident(y.Name),
			Old: strings.Join(xo, ", "), New: strings.Join(yo, ", ")})
	}
	compareNamed(d, "index", x.Indexes, y.Indexes, func(i Index) string { return i.Name }, Index.def, nil, nil)
	compareNamed(d, "fk", x.ForeignKeys, y.ForeignKeys, func(f ForeignKey) string { return f.Name }, ForeignKey.def, nil, nil)
	compareNamed(d, "check", x.Checks, y.Checks, func(c Check) string { return c.Name }, func(c Check) string { return expr(c.Clause) }, nil, nil)
	xp, yp := partitionText(x.Partitioning), partitionText(y.Partitioning)
	if xp != yp {
		switch {
		case xp == "":
			d.changes = append(d.changes, Change{Op: Added, Kind: "partitioning", Name: ident(y.Name), New: yp})
		case yp == "":
			d.changes = append(d.changes, Change{Op: Removed, Kind: "partitioning", Name: ident(y.Name), Old: xp})
		default:
			d.changes = append(d.changes, Change{Op: Changed, Kind: "partitioning", Name: ident(y.Name), Old: xp, New: yp})
		}
	}
	if x.Rows < 0 && y.Rows >= 0 && len(x.Columns) == 0 { // a new table: its count, so a reviewer sees it
		d.rows = append(d.rows, Change{Op: RowsChanged, Kind: "table", Name: ident(y.Name), New: strconv.FormatInt(y.Rows, 10)})
	}
	if x.Rows >= 0 && y.Rows >= 0 && x.Rows != y.Rows {
		d.rows = append(d.rows, Change{Op: RowsChanged, Kind: "table", Name: ident(y.Name),
			Old: strconv.FormatInt(x.Rows, 10), New: strconv.FormatInt(y.Rows, 10)})
	}
}

// commonOrder lists the columns both tables have, in each table's order.
func commonOrder(x, y []Column) (xo, yo []string) {
	names := func(cs []Column) map[string]bool {
		m := make(map[string]bool, len(cs))
		for _, c := range cs {
			m[c.Name] = true
		}
		return m
	}
	xm, ym := names(x), names(y)
	for _, c := range x {
		if ym[c.Name] {
			xo = append(xo, ident(c.Name))
		}
	}
	for _, c := range y {
		if xm[c.Name] {
			yo = append(yo, ident(c.Name))
		}
	}
	return xo, yo
}

func partitionText(p *Partitioning) string {
	if p == nil {
		return ""
	}
	return strings.Join(p.lines(), "; ")
}
