package adopt

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/sqlpatch"
)

// readGoose reads goose_db_version (id, version_id, is_applied, tstamp):
// the last row of a version says whether it is applied, as goose reads it.
// Version 0 is goose's initial row.
func readGoose(ctx context.Context, db *sql.DB, table string) (map[string]*applied, error) {
	rows, err := db.QueryContext(ctx, "SELECT version_id, is_applied, COALESCE(CAST(tstamp AS CHAR), '') FROM "+patch.QuoteIdent(table)+" ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*applied{}
	for rows.Next() {
		var v int64
		var ok bool
		var when string
		if err := rows.Scan(&v, &ok, &when); err != nil {
			return nil, err
		}
		if v == 0 {
			continue
		}
		key := strconv.FormatInt(v, 10)
		if ok {
			out[key] = &applied{ok: true, when: when}
		} else {
			delete(out, key) // rolled back by goose down
		}
	}
	return out, rows.Err()
}

// readMigrate reads golang-migrate's schema_migrations (version, dirty):
// one row, the last version run; every file below it is applied, and it
// too unless dirty.
func readMigrate(ctx context.Context, db *sql.DB, table string, migs []sqlpatch.Migration) (map[string]*applied, error) {
	var cur int64
	var dirty bool
	err := db.QueryRowContext(ctx, "SELECT version, dirty FROM "+patch.QuoteIdent(table)+" LIMIT 1").Scan(&cur, &dirty)
	out := map[string]*applied{}
	if err == sql.ErrNoRows {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	seen := false
	for _, m := range migs {
		v, _ := strconv.ParseInt(m.Version, 10, 64)
		switch {
		case v < cur:
			out[m.Version] = &applied{ok: true, when: fmt.Sprintf("before version %d", cur)}
		case v == cur:
			seen = true
			out[m.Version] = &applied{ok: !dirty, problem: Dirty, when: "as the current version"}
		}
	}
	if !seen && cur > 0 {
		out[strconv.FormatInt(cur, 10)] = &applied{ok: !dirty, problem: Dirty}
	}
	return out, nil
}

// readFlyway reads flyway_schema_history (installed_rank, version,
// description, type, script, checksum, installed_by, installed_on,
// execution_time, success), as Flyway documents it: versioned rows (a
// version set) of type SQL and friends, the last row of a version winning;
// success 0 is a failed migration; a BASELINE row makes every version up
// to it count as applied.
func readFlyway(ctx context.Context, db *sql.DB, table string, migs []sqlpatch.Migration) (map[string]*applied, error) {
	rows, err := db.QueryContext(ctx, "SELECT version, type, checksum, COALESCE(installed_by, ''), COALESCE(CAST(installed_on AS CHAR), ''), success FROM "+
		patch.QuoteIdent(table)+" WHERE version IS NOT NULL ORDER BY installed_rank")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*applied{}
	var baseline string
	for rows.Next() {
		var ver, typ, by, on string
		var sum sql.NullInt64
		var ok bool
		if err := rows.Scan(&ver, &typ, &sum, &by, &on, &ok); err != nil {
			return nil, err
		}
		switch strings.ToUpper(typ) {
		case "BASELINE", "SQL_BASELINE":
			baseline = ver
			continue
		case "DELETE", "UNDO_SQL":
			delete(out, normal(ver))
			continue
		}
		out[normal(ver)] = &applied{ok: ok, problem: Failed, checksum: sum, when: strings.TrimSpace(on + " by " + by)}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if baseline != "" {
		for _, m := range migs {
			if !sqlpatch.VersionLess(baseline, m.Version) {
				out[m.Version] = &applied{ok: true, baseline: true}
			}
		}
	}
	return out, nil
}

// normal writes a Flyway version as sqlpatch does ("1_1" and "1.1" alike).
func normal(v string) string { return strings.ReplaceAll(v, "_", ".") }

func sortVersions(vs []string) {
	sort.Slice(vs, func(i, j int) bool { return sqlpatch.VersionLess(vs[i], vs[j]) })
}
