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

func TestParseVersion(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want Version
		str  string
	}{
		{"10.11.6-MariaDB-0+deb12u1", Version{true, 10, 11, 6}, "MariaDB 10.11.6"},
		{"5.5.5-10.5.23-MariaDB-0+deb11u1", Version{true, 10, 5, 23}, "MariaDB 10.5.23"},
		{"11.8.9-MariaDB-0+deb13u1", Version{true, 11, 8, 9}, "MariaDB 11.8.9"},
		{"9.7.4-2", Version{false, 9, 7, 4}, "MySQL 9.7.4"},
		{"8.0.36", Version{false, 8, 0, 36}, "MySQL 8.0.36"},
	} {
		got := ParseVersion(c.in)
		if got != c.want || got.String() != c.str {
			t.Errorf("ParseVersion(%q) = %+v (%s), want %+v (%s)", c.in, got, got, c.want, c.str)
		}
	}
}

// TestVersionRules checks each known rule on both sides of its version, and
// the other flavour: a test per rule, as the rules are data.
func TestVersionRules(t *testing.T) {
	t.Parallel()
	v := ParseVersion
	for _, c := range []struct {
		rule, version string
		holds         bool
		elsewhere     string
	}{
		// MariaDB 11.2 (MDEV-16329): ALGORITHM=COPY, LOCK=NONE.
		{ruleOnlineCopy, "11.8.9-MariaDB", true, "before MariaDB 11.2 the server does not: it blocks writes for the whole copy"},
		{ruleOnlineCopy, "11.2.0-MariaDB", true, "before MariaDB 11.2"},
		{ruleOnlineCopy, "11.1.6-MariaDB", false, "MariaDB 11.2 and later runs ALGORITHM=COPY online (LOCK=NONE)"},
		{ruleOnlineCopy, "10.11.19-MariaDB", false, "MariaDB 11.2 and later runs ALGORITHM=COPY online"},
		{ruleOnlineCopy, "9.7.4", false, ""}, // MySQL never copies online
		// INSTANT ADD COLUMN anywhere and DROP COLUMN: MariaDB 10.4, MySQL 8.0.29.
		{ruleInstantColumn, "10.4.0-MariaDB", true, "before MariaDB 10.4 the server does not: it rebuilds the table"},
		{ruleInstantColumn, "10.3.39-MariaDB", false, "MariaDB 10.4 and later adds a column at any position"},
		{ruleInstantColumn, "8.0.29", true, "before MySQL 8.0.29 the server does not"},
		{ruleInstantColumn, "8.0.28", false, "MySQL 8.0.29 and later adds a column at any position"},
	} {
		if got := holds(c.rule, v(c.version)); got != c.holds {
			t.Errorf("holds(%s, %s) = %v, want %v", c.rule, c.version, got, c.holds)
		}
		if got := elsewhere(c.rule, v(c.version)); !strings.HasPrefix(got, c.elsewhere) || (c.elsewhere == "") != (got == "") {
			t.Errorf("elsewhere(%s, %s) = %q, want it to start with %q", c.rule, c.version, got, c.elsewhere)
		}
	}
}

// TestEvaluateAcrossVersions is the same big-table ALTER judged on 10.11
// (the copy blocks writes) and on 11.8 (it copies online): each finding
// names its server and says what the other version does.
func TestEvaluateAcrossVersions(t *testing.T) {
	t.Parallel()
	tables := fakeTables()
	facts := func(r tableRef) *tableFacts { return tables[r.name] }
	st := parse("ALTER TABLE big MODIFY account varchar(150) CHARACTER SET utf8mb4")[0]
	old := rules{threshold: DefaultThreshold, server: "MariaDB 10.11.19", version: ParseVersion("10.11.19-MariaDB")}
	fs := old.evaluate(st, facts, probeResult{algo: algoCopy})
	if len(fs) != 1 || fs[0].Severity != Error || fs[0].Server != "MariaDB 10.11.19" ||
		!strings.Contains(fs[0].Message, "writes wait") || !strings.Contains(fs[0].Message, "MariaDB 11.2 and later runs ALGORITHM=COPY online") {
		t.Errorf("on 10.11: %v", fs)
	}
	nu := rules{threshold: DefaultThreshold, server: "MariaDB 11.8.9", version: ParseVersion("11.8.9-MariaDB")}
	fs = nu.evaluate(st, facts, probeResult{algo: algoCopyOnline})
	if len(fs) != 1 || fs[0].Severity != Warn || fs[0].Server != "MariaDB 11.8.9" ||
		!strings.Contains(fs[0].Message, "writes continue") || !strings.Contains(fs[0].Message, "before MariaDB 11.2 the server does not: it blocks writes") {
		t.Errorf("on 11.8: %v", fs)
	}
	if s := fs[0].String(); !strings.Contains(s, "(on MariaDB 11.8.9; in: ALTER TABLE big") {
		t.Errorf("String() does not name the server: %s", s)
	}
}
