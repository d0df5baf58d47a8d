package frappe

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
)

// SyncOptions tunes SyncDocType.
type SyncOptions struct {
	// AllowNarrowing also applies the changes that can lose data or slow
	// queries: a column type that is not a widening of the current one
	// (varchar(140) → varchar(64), text → int), and dropping a unique or
	// search index the DocType no longer asks for. Off by default: such
	// changes are reported in SyncResult.Skipped and logged.
	AllowNarrowing bool
	// NoMeta leaves the `tabDocType` and `tabDocField` rows alone; by default
	// they are made to match the file, as Frappe's reload_doc does.
	NoMeta bool
}

// SyncResult says what SyncDocType did.
type SyncResult struct {
	// Created is true when the table was created.
	Created bool
	// Applied lists the changes made to an existing table, e.g.
	// "add column `email_id` varchar(140) DEFAULT NULL".
	Applied []string
	// Skipped lists the changes that need AllowNarrowing.
	Skipped []string
}

// SyncDocType creates or alters the table of dt the way Frappe's schema sync
// (DBTable.sync, run by bench migrate and reload_doc) does: the standard
// columns (name, creation, modified, modified_by, owner, docstatus, idx),
// parent, parentfield and parenttype for a child table (istable) or
// Frappe's optional columns (_user_tags, _comments, _assign, _liked_by,
// _seen with track_seen) for others, one column per field typed by
// ColumnDefinition, a unique index per unique field, an index per
// search_index field, and the parent or creation index. A Single or
// virtual DocType has no table.
//
// On an existing table it adds what is missing and widens column types
// (varchar(140) → varchar(255), int → bigint, text → longtext, wider
// decimals), each ALTER trying ALGORITHM=INSTANT, then INPLACE; other changes
// need SyncOptions.AllowNarrowing. Columns are never dropped. Unless
// SyncOptions.NoMeta, the `tabDocType` row and the `tabDocField` rows are
// made to match the file. It is idempotent, so a patch can run it between
// data steps, as Frappe's pre- and post-model-sync patches do.
func SyncDocType(ctx context.Context, pc *patch.Context, dt DocType, opts SyncOptions) (SyncResult, error) {
	var res SyncResult
	if dt.Name == "" {
		return res, fmt.Errorf("sync DocType: no name: read it with ParseDocType or ReadDocType")
	}
	if !dt.Issingle.Set() && !dt.IsVirtual.Set() {
		table := Table(dt.Name)
		cur, err := columns(ctx, pc, table)
		if err != nil {
			return res, err
		}
		if cur == nil {
			res.Created = true
			err = createTable(ctx, pc, dt)
		} else {
			err = alterTable(ctx, pc, dt, cur, opts, &res)
		}
		if err != nil {
			return res, fmt.Errorf("sync DocType %s: %w", dt.Name, err)
		}
	}
	if !opts.NoMeta {
		if err := syncMeta(ctx, pc, dt); err != nil {
			return res, fmt.Errorf("sync DocType %s: %w", dt.Name, err)
		}
	}
	for _, s := range res.Skipped {
		pc.Log.Warn("DocType change not applied: needs SyncOptions.AllowNarrowing", "doctype", dt.Name, "change", s)
	}
	return res, nil
}

// createTable creates dt's table as MariaDBTable.create does.
func createTable(ctx context.Context, pc *patch.Context, dt DocType) error {
	var defs []string
	for _, c := range columnsOf(dt) {
		defs = append(defs, patch.QuoteIdent(c.name)+" "+c.def)
	}
	defs = append(defs, "PRIMARY KEY (`name`)")
	for _, c := range columnsOf(dt) {
		if c.field == nil || textual(typeMap[c.field.Fieldtype][0]) {
			continue
		}
		switch {
		case c.field.Unique.Set():
			defs = append(defs, "UNIQUE KEY "+patch.QuoteIdent(c.name)+" ("+patch.QuoteIdent(c.name)+")")
		case c.field.SearchIndex.Set():
			defs = append(defs, "KEY "+patch.QuoteIdent(c.name)+" ("+patch.QuoteIdent(c.name)+")")
		}
	}
	if dt.Istable.Set() {
		defs = append(defs, "KEY `parent` (`parent`)")
	} else {
		defs = append(defs, "KEY `creation` (`creation`)")
	}
	engine := "InnoDB"
	if dt.Engine == "MyISAM" {
		engine = dt.Engine
	}
	// IF NOT EXISTS: a run that died after the CREATE finds the table made.
	q := "CREATE TABLE IF NOT EXISTS " + patch.QuoteIdent(Table(dt.Name)) + " (\n  " + strings.Join(defs, ",\n  ") +
		"\n) ENGINE=" + engine + " ROW_FORMAT=DYNAMIC DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	if _, err := pc.DB.Exec(ctx, q); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	pc.Log.Info("DocType table created", "doctype", dt.Name, "table", Table(dt.Name))
	return nil
}

// alterTable brings an existing table to dt: missing columns, widened
// types, missing indexes; the rest only with AllowNarrowing.
func alterTable(ctx context.Context, pc *patch.Context, dt DocType, cur map[string]string, opts SyncOptions, res *SyncResult) error {
	table := Table(dt.Name)
	idx, err := indexes(ctx, pc, table)
	if err != nil {
		return err
	}
	apply := func(change string, narrowing bool, fn func() error) error {
		if narrowing && !opts.AllowNarrowing {
			res.Skipped = append(res.Skipped, change)
			return nil
		}
		res.Applied = append(res.Applied, change)
		return fn()
	}
	for _, c := range columnsOf(dt) {
		have, ok := cur[strings.ToLower(c.name)]
		want := strings.Fields(c.def)[0]
		switch {
		case !ok:
			if err := apply("add column "+patch.QuoteIdent(c.name)+" "+c.def, false, func() error {
				return pc.AddColumn(ctx, table, c.name, c.def)
			}); err != nil {
				return err
			}
		case c.field != nil && !sameType(have, want):
			change := fmt.Sprintf("modify column %s %s → %s", patch.QuoteIdent(c.name), have, c.def)
			if err := apply(change, !widens(have, want), func() error {
				return pc.ModifyColumn(ctx, table, c.name, c.def)
			}); err != nil {
				return err
			}
		}
		if c.field == nil || textual(typeMap[c.field.Fieldtype][0]) {
			continue
		}
		if err := syncIndexes(ctx, pc, table, c.name, *c.field, idx[strings.ToLower(c.name)], apply); err != nil {
			return err
		}
	}
	return nil
}

// colIndexes says which single-column indexes a column has, by name.
type colIndexes struct{ unique, plain []string }

// indexes returns the indexes of table whose first column is each column.
func indexes(ctx context.Context, pc *patch.Context, table string) (map[string]colIndexes, error) {
	rows, err := pc.DB.Query(ctx, "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS"+
		" WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND SEQ_IN_INDEX = 1 AND INDEX_NAME <> 'PRIMARY'", table)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]colIndexes{}
	for rows.Next() {
		var name, col string
		var nonUnique int
		if err := rows.Scan(&name, &col, &nonUnique); err != nil {
			return nil, err
		}
		ci := out[strings.ToLower(col)]
		if nonUnique == 0 {
			ci.unique = append(ci.unique, name)
		} else {
			ci.plain = append(ci.plain, name)
		}
		out[strings.ToLower(col)] = ci
	}
	return out, rows.Err()
}

func syncIndexes(ctx context.Context, pc *patch.Context, table, col string, f Field, have colIndexes,
	apply func(string, bool, func() error) error) error {
	q := patch.QuoteIdent
	switch {
	case f.Unique.Set() && len(have.unique) == 0:
		if err := apply("add unique index "+q(col), false, func() error { return pc.AddIndex(ctx, table, col, patch.Unique, col) }); err != nil {
			return err
		}
	case !f.Unique.Set():
		for _, name := range have.unique {
			if err := apply("drop unique index "+q(name), true, func() error { return pc.DropIndex(ctx, table, name) }); err != nil {
				return err
			}
		}
	}
	search := f.SearchIndex.Set() && !f.Unique.Set()
	switch {
	case search && len(have.plain) == 0:
		return apply("add index "+q(col+"_index"), false, func() error { return pc.AddIndex(ctx, table, col+"_index", patch.NonUnique, col) })
	case !search && !f.Unique.Set():
		for _, name := range have.plain {
			if err := apply("drop index "+q(name), true, func() error { return pc.DropIndex(ctx, table, name) }); err != nil {
				return err
			}
		}
	}
	return nil
}

var typeRE = regexp.MustCompile(`^([a-z]+)(?:\((\d+)(?:,(\d+))?\))?`)

// parseType splits "decimal(21,9) unsigned" into decimal, 21, 9.
func parseType(t string) (base string, size, scale int, sized bool) {
	m := typeRE.FindStringSubmatch(strings.ToLower(t))
	if m == nil {
		return t, 0, 0, false
	}
	size, _ = strconv.Atoi(m[2])
	scale, _ = strconv.Atoi(m[3])
	return m[1], size, scale, m[2] != ""
}

// sameType reports whether a column of type have already is want: integer
// display widths do not matter, and MariaDB shows json as longtext.
func sameType(have, want string) bool {
	hb, hs, hsc, _ := parseType(have)
	wb, ws, wsc, _ := parseType(want)
	switch {
	case hb == "longtext" && wb == "json":
		return true
	case hb != wb:
		return false
	case hb == "int" || hb == "bigint" || hb == "tinyint" || hb == "smallint" || hb == "mediumint":
		return true
	}
	return hs == ws && hsc == wsc
}

// rank orders the types of one family from narrow to wide.
var rank = map[string][2]int{
	"tinyint": {1, 1}, "smallint": {1, 2}, "mediumint": {1, 3}, "int": {1, 4}, "bigint": {1, 5},
	"varchar": {2, 1}, "tinytext": {2, 2}, "text": {2, 3}, "mediumtext": {2, 4}, "longtext": {2, 5},
	"date": {3, 1}, "datetime": {3, 2}, "decimal": {4, 1},
}

// widens reports whether changing a column from have to want keeps every
// value: a wider type of the same family, a longer varchar, a decimal with
// no fewer integer and fractional digits, more fractional seconds.
func widens(have, want string) bool {
	hb, hs, hsc, _ := parseType(have)
	wb, ws, wsc, _ := parseType(want)
	hr, hok := rank[hb]
	wr, wok := rank[wb]
	switch {
	case hb == wb && hb == "varchar":
		return ws >= hs
	case hb == wb && hb == "decimal":
		return wsc >= hsc && ws-wsc >= hs-hsc
	case hb == wb && (hb == "datetime" || hb == "time"):
		return ws >= hs
	case !hok || !wok || hr[0] != wr[0]:
		return false
	case hb == "varchar" && strings.HasSuffix(wb, "text") && hs > 255 && wb == "tinytext":
		return false
	case hb == "date" && wb == "datetime":
		return true
	}
	return wr[1] > hr[1]
}
