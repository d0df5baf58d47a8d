package ddllint

import (
	"fmt"
	"strings"
)

// algorithm is how the server would run an ALTER TABLE.
type algorithm int

const (
	algoNone       algorithm = iota // nothing to probe
	algoInstant                     // metadata only
	algoNoCopy                      // no rebuild of the clustered index (e.g. a new secondary index)
	algoInplace                     // an online rebuild of the table
	algoCopyOnline                  // a copy of the table, writes continue (MariaDB 11.2+, LOCK=NONE)
	algoCopy                        // a copy of the table, writes blocked
	algoUnknown                     // the probe failed
)

var algoNames = map[algorithm]string{algoInstant: "INSTANT", algoNoCopy: "NOCOPY", algoInplace: "INPLACE", algoCopyOnline: "COPY", algoCopy: "COPY"}

// rank orders the explicit ALGORITHM= values by what they allow.
func rank(a string) int {
	switch a {
	case "INSTANT":
		return 1
	case "NOCOPY":
		return 2
	case "INPLACE":
		return 3
	}
	return 4 // COPY, DEFAULT
}

// probeResult is what the probe learned of a statement.
type probeResult struct {
	algo   algorithm
	reason string // why algoUnknown
}

// column is an existing column.
type column struct {
	name     string
	typ      colType
	nullable bool
	charset  string
}

// tableFacts is what the lint knows of an existing table.
type tableFacts struct {
	exists  bool
	rows    int64 // estimated, or given (production counts)
	hasRows bool
	columns map[string]column // by lower-case name
}

// rules are the settings evaluate applies.
type rules struct {
	threshold int64   // rows above which a table is big
	server    string  // e.g. "MariaDB 10.11.19", for messages
	version   Version // the server's, for what other versions do
	osu       string  // Galera's wsrep_OSU_method, "" off Galera
}

// evaluate applies the rules to a statement, given the facts of its tables
// and the probe's result. It is pure: everything it needs is passed in.
func (r rules) evaluate(st *statement, facts func(tableRef) *tableFacts, pr probeResult) []Finding {
	var out []Finding
	add := func(sev, rule string, t tableRef, format string, args ...any) {
		out = append(out, Finding{Severity: sev, Rule: rule, Table: t.String(), Statement: st.text, Message: fmt.Sprintf(format, args...), Server: r.server})
	}
	switch st.kind {
	case stmtDropTable:
		for _, t := range st.tables {
			if f := facts(t); f.exists && f.hasRows {
				add(Warn, RuleDropData, t, "drops the table and its %s; copy it aside first (patch CopyTable) or be sure the backup holds it", rowsText(f))
			}
		}
		return out
	case stmtRenameTable:
		for _, rn := range st.renames {
			if f := facts(rn[0]); f.exists && !internal(rn[0].name) {
				add(Warn, RuleRename, rn[0], "renames the table to %s: code still using %s breaks; ship code that uses the new name first", rn[1], rn[0])
			}
		}
		return out
	}

	t := st.table
	f := facts(t)
	if !f.exists {
		return nil
	}
	algo := pr.algo
	if st.algorithm == "COPY" {
		algo = algoCopy
	} else if st.algorithm != "" && st.algorithm != "DEFAULT" && algo >= algoInstant && algo <= algoCopy && rank(algoNames[algo]) > rank(st.algorithm) {
		// The server refuses the statement (ALGORITHM=X is not supported)
		// and nothing changes; the retry with a weaker algorithm is checked.
		return nil
	}
	big := f.rows > r.threshold
	switch algo {
	case algoCopy:
		other := r.otherVersions(ruleOnlineCopy)
		switch {
		case big:
			add(Error, RuleRebuild, t, "copies the whole table (ALGORITHM=COPY on %s): writes wait until all %s are copied; make the change INSTANT-friendly or plan a maintenance window%s", r.server, rowsText(f), other)
		case f.hasRows:
			add(Info, RuleRebuild, t, "copies the whole table (ALGORITHM=COPY on %s), %s: quick at this size, blocks writes on a big table%s", r.server, rowsText(f), other)
		}
	case algoCopyOnline:
		other := r.otherVersions(ruleOnlineCopy)
		switch {
		case big:
			add(Warn, RuleRebuild, t, "copies the whole table online (ALGORITHM=COPY, LOCK=NONE on %s): writes continue, but all %s are copied and it needs free disk the size of the table%s", r.server, rowsText(f), other)
		case f.hasRows:
			add(Info, RuleRebuild, t, "copies the whole table online (ALGORITHM=COPY, LOCK=NONE on %s), %s: quick at this size%s", r.server, rowsText(f), other)
		}
	case algoInstant:
		if big && st.columnAddOrDrop() {
			add(Info, RuleRebuild, t, "INSTANT on %s%s", r.server, r.otherVersions(ruleInstantColumn))
		}
	case algoInplace:
		switch {
		case big:
			add(Warn, RuleRebuild, t, "rebuilds the table (ALGORITHM=INPLACE, not INSTANT or NOCOPY, on %s): online, but rewrites all %s and needs free disk the size of the table", r.server, rowsText(f))
		case f.hasRows:
			add(Info, RuleRebuild, t, "rebuilds the table (ALGORITHM=INPLACE on %s), %s: quick at this size, long on a big table", r.server, rowsText(f))
		}
	case algoNoCopy:
		if big {
			add(Info, RuleRebuild, t, "builds an index over %s (ALGORITHM=NOCOPY on %s): online, reads the whole table", rowsText(f), r.server)
		}
	case algoUnknown:
		if f.hasRows {
			add(Info, RuleLint, t, "could not tell how %s runs it: %s", r.server, pr.reason)
		}
	}

	for _, sp := range st.specs {
		col, has := f.columns[strings.ToLower(sp.column)]
		switch sp.kind {
		case specAddColumn:
			d := sp.def
			if !has && f.hasRows && d.notNull && !d.hasDefault && !d.autoInc && !d.generated {
				add(Warn, RuleNotNullNoDefault, t, "adds NOT NULL column %s without a DEFAULT: the %s get %s; give it a DEFAULT, or add it NULL, backfill, then make it NOT NULL",
					sp.column, rowsText(f), implicitDefault(d.typ))
			}
		case specDropColumn:
			if has && f.hasRows {
				add(Warn, RuleDropData, t, "drops column %s with its values in %s; copy them aside first (patch CopyTable) or be sure the backup holds them", col.name, rowsText(f))
			}
		case specModifyColumn:
			if !has {
				break
			}
			newType := sp.def.typ
			if newType.base == "" {
				break
			}
			if why, ok := lossy(col.typ, newType); ok && f.hasRows {
				add(Error, RuleLossyType, t, "changes %s from %s to %s: %s", col.name, col.typ, newType, why)
			} else if cs := sp.def.charset; cs != "" && col.charset == "utf8mb4" && narrowCharset(cs) && f.hasRows {
				add(Error, RuleLossyType, t, "changes %s from utf8mb4 to %s: characters outside %s (emoji, some CJK) are lost", col.name, cs, cs)
			}
			if col.nullable && sp.def.notNull && f.hasRows {
				add(Warn, RuleNullToNotNull, t, "makes %s NOT NULL: rows holding NULL fail the ALTER in strict mode (or become %s); UPDATE them first", col.name, implicitDefault(newType))
			}
			if sp.newName != "" && !strings.EqualFold(sp.newName, sp.column) {
				add(Warn, RuleRename, t, "renames column %s to %s: code still using %s breaks; ship code that uses the new name first", col.name, sp.newName, col.name)
			}
		case specRenameColumn:
			if has {
				add(Warn, RuleRename, t, "renames column %s to %s: code still using %s breaks; ship code that uses the new name first", col.name, sp.newName, col.name)
			}
		case specRenameTable:
			if !internal(t.name) {
				add(Warn, RuleRename, t, "renames the table to %s: code still using %s breaks; ship code that uses the new name first", sp.newTable, t)
			}
		case specConvert:
			if narrowCharset(sp.charset) && f.hasRows {
				for _, c := range f.columns {
					if c.charset == "utf8mb4" {
						add(Error, RuleLossyType, t, "converts the table from utf8mb4 to %s: characters outside %s (emoji, some CJK) are lost", sp.charset, sp.charset)
						break
					}
				}
			}
		}
	}
	return out
}

// otherVersions is "; <what versions on the other side of rule id do>",
// or "" when the rule does not concern the server's flavour.
func (r rules) otherVersions(id string) string {
	if e := elsewhere(id, r.version); e != "" {
		return "; " + e
	}
	return ""
}

// internal reports names of the migration's own tables (copies aside,
// temporary tables), which the application does not use.
func internal(name string) bool { return strings.HasPrefix(name, "_") }

// narrowCharset reports character sets that cannot hold all of utf8mb4.
func narrowCharset(cs string) bool {
	switch strings.ToLower(cs) {
	case "utf8mb4", "binary", "utf16", "utf16le", "utf32":
		return false
	}
	return true
}

// implicitDefault is what MariaDB puts in existing rows for a NOT NULL
// column without a default.
func implicitDefault(t colType) string {
	switch t.family() {
	case famInt, famDecimal, famFloat:
		return "0"
	case famTemporal:
		return "a zero date"
	case famEnum:
		return "the first member"
	}
	return "''"
}

// rowsText says how many rows a table has.
func rowsText(f *tableFacts) string {
	n := f.rows
	switch {
	case n == 0 && f.hasRows:
		return "some rows"
	case n == 1:
		return "1 row"
	case n < 10_000:
		return fmt.Sprintf("%d rows", n)
	case n < 1_000_000:
		return fmt.Sprintf("%d k rows", (n+500)/1000)
	}
	return fmt.Sprintf("%.1f M rows", float64(n)/1e6)
}
