package ddllint

import (
	"strings"
	"testing"
)

// fakeTables are the facts of TestEvaluate: big (1.5 M rows), small
// (1,000 rows), empty, and _tmp_copy (an internal table with rows).
func fakeTables() map[string]*tableFacts {
	cols := func(defs ...string) map[string]column {
		m := map[string]column{}
		for _, d := range defs {
			name, typ, _ := strings.Cut(d, " ")
			nullable := !strings.HasSuffix(typ, "!")
			typ = strings.TrimSuffix(typ, "!")
			cs := ""
			if strings.Contains(typ, "char") || strings.Contains(typ, "text") {
				cs = "utf8mb4"
			}
			m[strings.ToLower(name)] = column{name: name, typ: parseColumnType(typ), nullable: nullable, charset: cs}
		}
		return m
	}
	std := []string{"name varchar(140)!", "account varchar(140)", "debit decimal(21,9)!", "posting_date date", "idx int(8)!", "notes text"}
	return map[string]*tableFacts{
		"big":       {exists: true, rows: 1_500_000, hasRows: true, columns: cols(std...)},
		"small":     {exists: true, rows: 1000, hasRows: true, columns: cols(std...)},
		"empty":     {exists: true, columns: cols(std...)},
		"_tmp_copy": {exists: true, rows: 10, hasRows: true, columns: cols(std...)},
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tables := fakeTables()
	facts := func(r tableRef) *tableFacts {
		if f, ok := tables[r.name]; ok && r.schema == "" {
			return f
		}
		return &tableFacts{columns: map[string]column{}}
	}
	r := rules{threshold: 100_000, server: "MariaDB 10.11.19"}
	tests := []struct {
		stmt string
		algo algorithm
		want []string // severity rule, in order
	}{
		// rebuild, by algorithm and size
		{"ALTER TABLE big ADD COLUMN x int", algoInstant, nil},
		{"ALTER TABLE big MODIFY account varchar(200)", algoInstant, nil},
		{"ALTER TABLE big ENGINE=InnoDB", algoInplace, []string{"warn rebuild"}},
		{"ALTER TABLE small ENGINE=InnoDB", algoInplace, []string{"info rebuild"}},
		{"ALTER TABLE empty ENGINE=InnoDB", algoInplace, nil},
		{"ALTER TABLE big ADD INDEX i (account)", algoNoCopy, []string{"info rebuild"}},
		{"ALTER TABLE small ADD INDEX i (account)", algoNoCopy, nil},
		{"ALTER TABLE big DROP PRIMARY KEY", algoCopy, []string{"error rebuild"}},
		{"ALTER TABLE small DROP PRIMARY KEY", algoCopy, []string{"info rebuild"}},
		{"ALTER TABLE big ADD FOREIGN KEY (a) REFERENCES u (b)", algoUnknown, []string{"info lint"}},
		{"ALTER TABLE missing DROP COLUMN x", algoNone, nil},
		// an explicit algorithm the server refuses: the statement changes nothing
		{"ALTER TABLE big MODIFY account varchar(40), ALGORITHM=INSTANT", algoCopy, nil},
		{"ALTER TABLE big MODIFY account varchar(40), ALGORITHM=INPLACE", algoCopy, nil},
		{"ALTER TABLE big ENGINE=InnoDB, ALGORITHM=INPLACE", algoInplace, []string{"warn rebuild"}},
		{"ALTER TABLE big ADD COLUMN x int, ALGORITHM=COPY", algoInstant, []string{"error rebuild"}},
		// lossy and nullability changes
		{"ALTER TABLE big MODIFY account varchar(40)", algoCopy, []string{"error rebuild", "error lossy-type"}},
		{"ALTER TABLE small MODIFY debit decimal(21,2) NOT NULL", algoCopy, []string{"info rebuild", "error lossy-type"}},
		{"ALTER TABLE empty MODIFY debit decimal(21,2) NOT NULL", algoCopy, nil},
		{"ALTER TABLE small MODIFY notes varchar(140)", algoCopy, []string{"info rebuild", "error lossy-type"}},
		{"ALTER TABLE small MODIFY idx bigint NOT NULL", algoCopy, []string{"info rebuild"}},
		{"ALTER TABLE small MODIFY account varchar(140) NOT NULL", algoInplace, []string{"info rebuild", "warn null-to-not-null"}},
		{"ALTER TABLE small MODIFY account varchar(140) CHARACTER SET utf8mb3", algoCopy, []string{"info rebuild", "error lossy-type"}},
		{"ALTER TABLE small MODIFY nosuch varchar(1)", algoUnknown, []string{"info lint"}},
		{"ALTER TABLE small CONVERT TO CHARACTER SET latin1", algoCopy, []string{"info rebuild", "error lossy-type"}},
		{"ALTER TABLE small CONVERT TO CHARACTER SET utf8mb4", algoInplace, []string{"info rebuild"}},
		// drops
		{"ALTER TABLE small DROP COLUMN account", algoInstant, []string{"warn drop-data"}},
		{"ALTER TABLE empty DROP COLUMN account", algoInstant, nil},
		{"ALTER TABLE small DROP COLUMN IF EXISTS nosuch", algoInstant, nil},
		{"DROP TABLE small, empty, missing", algoNone, []string{"warn drop-data"}},
		// NOT NULL without DEFAULT
		{"ALTER TABLE small ADD COLUMN region varchar(140) NOT NULL", algoInstant, []string{"warn not-null-no-default"}},
		{"ALTER TABLE small ADD COLUMN region varchar(140) NOT NULL DEFAULT ''", algoInstant, nil},
		{"ALTER TABLE small ADD COLUMN region varchar(140)", algoInstant, nil},
		{"ALTER TABLE small ADD COLUMN id int NOT NULL AUTO_INCREMENT", algoCopy, []string{"info rebuild"}},
		{"ALTER TABLE small ADD COLUMN c int NOT NULL AS (idx + 1)", algoInstant, nil},
		{"ALTER TABLE empty ADD COLUMN region varchar(140) NOT NULL", algoInstant, nil},
		{"ALTER TABLE small ADD COLUMN IF NOT EXISTS account varchar(140) NOT NULL", algoInstant, nil},
		// renames
		{"ALTER TABLE small RENAME COLUMN account TO acct", algoInstant, []string{"warn rename"}},
		{"ALTER TABLE small CHANGE account acct varchar(140)", algoInstant, []string{"warn rename"}},
		{"ALTER TABLE small CHANGE account ACCOUNT varchar(140)", algoInstant, nil},
		{"ALTER TABLE small RENAME TO small2", algoInstant, []string{"warn rename"}},
		{"RENAME TABLE small TO small2, _tmp_copy TO _backup_copy, missing TO x", algoNone, []string{"warn rename"}},
		{"ALTER TABLE empty RENAME COLUMN account TO acct", algoInstant, []string{"warn rename"}},
	}
	for _, tt := range tests {
		sts := parse(tt.stmt)
		if len(sts) != 1 {
			t.Fatalf("parse(%q) gave %d statements", tt.stmt, len(sts))
		}
		fs := r.evaluate(sts[0], facts, probeResult{algo: tt.algo, reason: "probe failed"})
		var got []string
		for _, f := range fs {
			got = append(got, f.Severity+" "+f.Rule)
			if f.Message == "" || f.Statement != tt.stmt || f.Table == "" {
				t.Errorf("%s: incomplete finding %#v", tt.stmt, f)
			}
		}
		if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
			t.Errorf("%s (probe %v):\n got %q\nwant %q", tt.stmt, algoNames[tt.algo], got, tt.want)
			for _, f := range fs {
				t.Log(f)
			}
		}
	}
}

func TestFindingString(t *testing.T) {
	t.Parallel()
	f := Finding{Severity: Warn, Rule: RuleDropData, Table: "tabGL Entry", Statement: "ALTER TABLE `tabGL Entry`\n  DROP COLUMN `account`", Message: "drops column account"}
	want := "warn [drop-data] tabGL Entry: drops column account (in: ALTER TABLE `tabGL Entry` DROP COLUMN `account`)"
	if got := f.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	f.Statement = "UPDATE t SET " + strings.Repeat("a = 1, ", 40)
	if got := f.String(); !strings.HasSuffix(got, "...)") || len(got) > 200 {
		t.Errorf("long statement not shortened: %q", got)
	}
}

func TestRowsText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rows    int64
		hasRows bool
		want    string
	}{{0, true, "some rows"}, {1, true, "1 row"}, {1600, true, "1600 rows"}, {96_400, true, "96 k rows"}, {2_080_000, true, "2.1 M rows"}} {
		if got := rowsText(&tableFacts{rows: c.rows, hasRows: c.hasRows}); got != c.want {
			t.Errorf("rowsText(%d) = %q, want %q", c.rows, got, c.want)
		}
	}
}
