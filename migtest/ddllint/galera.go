package ddllint

import (
	"context"
	"database/sql"
	"strings"
)

// RuleGaleraTOI flags DDL that a Galera cluster runs in Total Order
// Isolation (wsrep_OSU_method=TOI, the default) on a big table: every node
// runs it at the same point of the replication stream, and no node commits
// a write ordered after it until it ends, so the whole cluster stalls for
// as long as the statement takes.
const RuleGaleraTOI = "galera-toi"

// WithGalera makes the lint judge statements as a Galera cluster whose
// schema changes run with the given wsrep_OSU_method ("TOI" or "RSU") would,
// whatever the database it is connected to: a rehearsal on a standalone
// server for a production cluster. Without it New asks the server.
func WithGalera(osuMethod string) Option {
	return func(l *Linter) { l.osu = strings.ToUpper(osuMethod) }
}

// detectGalera sets l.osu from the server when WithGalera did not: the
// session's wsrep_OSU_method on a node with wsrep on, else "".
func (l *Linter) detectGalera(ctx context.Context, db *sql.DB) {
	if l.osu != "" {
		return
	}
	var name, on string
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'").Scan(&name, &on); err != nil || on != "ON" {
		return
	}
	var osu string
	if err := db.QueryRowContext(ctx, "SELECT @@wsrep_OSU_method").Scan(&osu); err == nil {
		l.osu = strings.ToUpper(osu)
	}
}

// galeraTOI flags an ALTER of a big table that is not INSTANT, under TOI.
// An INSTANT change is a metadata change: the cluster barely notices it.
func (r rules) galeraTOI(st *statement, facts func(tableRef) *tableFacts, pr probeResult) []Finding {
	if r.osu != "TOI" || st.kind != stmtAlter {
		return nil
	}
	f := facts(st.table)
	if !f.exists || f.rows <= r.threshold {
		return nil
	}
	algo := pr.algo
	if st.algorithm == "COPY" {
		algo = algoCopy
	} else if st.algorithm != "" && st.algorithm != "DEFAULT" && algo >= algoInstant && algo <= algoCopy && rank(algoNames[algo]) > rank(st.algorithm) {
		return nil // the server refuses it; the retry is checked
	}
	fd := Finding{Severity: Error, Rule: RuleGaleraTOI, Table: st.table.String(), Statement: st.text}
	switch algo {
	case algoInstant, algoNone:
		return nil
	case algoUnknown:
		fd.Severity = Warn
		fd.Message = "may run as a long DDL in TOI (wsrep_OSU_method=TOI) on a table of " + rowsText(f) + ": if it is not INSTANT, every node of the cluster stalls until it ends; check it on a copy"
	default:
		fd.Message = "runs in TOI (wsrep_OSU_method=TOI) as ALGORITHM=" + algoNames[algo] + " over " + rowsText(f) +
			": every node of the cluster stalls until it ends; make it INSTANT, copy the table in batches to a shadow table, or run it node by node with wsrep_OSU_method=RSU"
	}
	return []Finding{fd}
}
