package ddllint

import (
	"fmt"
	"strings"
	"testing"
)

func TestLex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // kind:val, space separated
	}{
		{"ALTER TABLE `tabGL Entry` ADD x", "w:ALTER w:TABLE i:tabGL Entry w:ADD w:x"},
		{"`a``b`.c", "i:a`b p:. w:c"},
		{"'it''s' 'a\\'b' \"q\"", "s:it's s:a'b s:q"},
		{"a -- comment\nb # hash\nc /* block */ d /*!40101 x */ e", "w:a w:b w:c w:d w:e"},
		{"a--b", "w:a p:- p:- w:b"},
		{"decimal(21,9)", "w:decimal p:( n:21 p:, n:9 p:)"},
		{"x = 1.5;", "w:x p:= n:1.5 p:;"},
		{"'unterminated", "s:unterminated"},
		{"a /* unterminated", "w:a"},
		{"naïve `ünï`", "w:naïve i:ünï"},
	}
	for _, tt := range tests {
		var got []string
		for _, tok := range lex(tt.in) {
			got = append(got, fmt.Sprintf("%c:%s", "wisnp"[tok.kind], tok.val))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("lex(%q) = %q, want %q", tt.in, g, tt.want)
		}
	}
}

// describe renders what parse read, for comparison.
func describe(st *statement) string {
	var b strings.Builder
	switch st.kind {
	case stmtDropTable:
		fmt.Fprintf(&b, "drop-table %v", st.tables)
	case stmtRenameTable:
		fmt.Fprintf(&b, "rename-table %v", st.renames)
	case stmtAlter:
		fmt.Fprintf(&b, "alter %s", st.table)
		for _, sp := range st.specs {
			b.WriteString(" |")
			switch sp.kind {
			case specOther:
				b.WriteString(" other")
			case specAddColumn:
				fmt.Fprintf(&b, " add %s %s", sp.column, defText(sp.def))
			case specDropColumn:
				fmt.Fprintf(&b, " drop %s", sp.column)
			case specModifyColumn:
				fmt.Fprintf(&b, " modify %s", sp.column)
				if sp.newName != "" {
					fmt.Fprintf(&b, "->%s", sp.newName)
				}
				fmt.Fprintf(&b, " %s", defText(sp.def))
			case specRenameColumn:
				fmt.Fprintf(&b, " rename-column %s->%s", sp.column, sp.newName)
			case specRenameTable:
				fmt.Fprintf(&b, " rename-to %s", sp.newTable)
			case specConvert:
				fmt.Fprintf(&b, " convert %s", sp.charset)
			}
			if sp.ifExists {
				b.WriteString(" if-exists")
			}
			if sp.ifNotExists {
				b.WriteString(" if-not-exists")
			}
		}
		fmt.Fprintf(&b, " || probe: %s", strings.Join(st.probe, ", "))
		if st.algorithm != "" {
			fmt.Fprintf(&b, " || algorithm %s", st.algorithm)
		}
	}
	return b.String()
}

func defText(d colDef) string {
	s := d.typ.String()
	for _, f := range []struct {
		on   bool
		name string
	}{{d.notNull, "notnull"}, {d.hasDefault, "default"}, {d.autoInc, "autoinc"}, {d.generated, "generated"}} {
		if f.on {
			s += " " + f.name
		}
	}
	if d.charset != "" {
		s += " cs=" + d.charset
	}
	return s
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"ALTER TABLE `tabGL Entry` ADD COLUMN `region` varchar(140) NOT NULL",
			[]string{"alter tabGL Entry | add region varchar(140) notnull || probe: ADD COLUMN `region` varchar(140) NOT NULL"}},
		{"alter online ignore table db.t add x int default 0 after y, add column if not exists z bigint unsigned not null auto_increment",
			[]string{"alter db.t | add x int default | add z bigint unsigned notnull autoinc if-not-exists || probe: add x int default 0 after y, add column if not exists z bigint unsigned not null auto_increment"}},
		{"ALTER TABLE t ADD (a int NOT NULL, b text CHARACTER SET utf8mb3)",
			[]string{"alter t | add a int notnull | add b text cs=utf8mb3 || probe: ADD (a int NOT NULL, b text CHARACTER SET utf8mb3)"}},
		{"ALTER TABLE t ADD INDEX i (a), ADD UNIQUE KEY (b), ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id), ADD PRIMARY KEY (id)",
			[]string{"alter t | other | other | other | other || probe: ADD INDEX i (a), ADD UNIQUE KEY (b), ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id), ADD PRIMARY KEY (id)"}},
		{"ALTER TABLE t DROP COLUMN a, DROP b, DROP INDEX i, DROP PRIMARY KEY, DROP FOREIGN KEY f, DROP COLUMN IF EXISTS c",
			[]string{"alter t | drop a | drop b | other | other | other | drop c if-exists || probe: DROP COLUMN a, DROP b, DROP INDEX i, DROP PRIMARY KEY, DROP FOREIGN KEY f, DROP COLUMN IF EXISTS c"}},
		{"ALTER TABLE t MODIFY COLUMN `account` varchar(40) DEFAULT NULL, CHANGE old `new` decimal(21,2) NOT NULL DEFAULT 0.00 COMMENT 'x'",
			[]string{"alter t | modify account varchar(40) default | modify old->new decimal(21,2) notnull default || probe: MODIFY COLUMN `account` varchar(40) DEFAULT NULL, CHANGE old `new` decimal(21,2) NOT NULL DEFAULT 0.00 COMMENT 'x'"}},
		{"ALTER TABLE t RENAME COLUMN a TO b, RENAME INDEX i TO j, ALGORITHM=INSTANT, LOCK=NONE",
			[]string{"alter t | rename-column a->b | other || probe: RENAME COLUMN a TO b, RENAME INDEX i TO j || algorithm INSTANT"}},
		{"ALTER TABLE t RENAME TO other.u", []string{"alter t | rename-to other.u || probe: "}},
		{"ALTER TABLE t CONVERT TO CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci", []string{"alter t | convert utf8mb3 || probe: CONVERT TO CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"}},
		{"ALTER TABLE t ENGINE=InnoDB, FORCE", []string{"alter t | other | other || probe: ENGINE=InnoDB, FORCE"}},
		{"ALTER TABLE t WAIT 5 ADD c int GENERATED ALWAYS AS (a+1) VIRTUAL", []string{"alter t | add c int generated || probe: ADD c int GENERATED ALWAYS AS (a+1) VIRTUAL"}},
		{"ALTER TABLE t ADD x int, ALGORITHM = copy", []string{"alter t | add x int || probe: ADD x int || algorithm COPY"}},
		{"CREATE UNIQUE INDEX idx ON `tabSales Invoice` (customer, posting_date) ALGORITHM=INPLACE",
			[]string{"alter tabSales Invoice | other || probe: ADD UNIQUE INDEX idx (customer, posting_date) || algorithm INPLACE"}},
		{"create or replace index if not exists i using btree on t(a)", []string{"alter t | other || probe: ADD index if not exists i using btree (a)"}},
		{"DROP INDEX IF EXISTS i ON t", []string{"alter t | other || probe: DROP INDEX IF EXISTS i"}},
		{"DROP TABLE IF EXISTS `a`, b.c CASCADE", []string{"drop-table [a b.c]"}},
		{"DROP TEMPORARY TABLE x", nil},
		{"RENAME TABLE a TO b, c WAIT 3 TO d", []string{"rename-table [[a b] [c d]]"}},
		{"/* lead */ ALTER TABLE t ADD x int; DROP TABLE u;", []string{"alter t | add x int || probe: ADD x int", "drop-table [u]"}},
		{"UPDATE t SET a = 'ALTER TABLE x DROP y'", nil},
		{"INSERT INTO t SELECT * FROM u", nil},
		{"ALTER DATABASE d CHARACTER SET utf8mb4", nil},
		{"CREATE TABLE t (a int)", nil},
		{"ALTER TABLE", nil},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, st := range parse(tt.in) {
			got = append(got, describe(st))
		}
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("parse(%q):\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ALTER TABLE t ADD (a int", "CREATE INDEX i ON", "DROP INDEX i ON `t", "ALTER TABLE t MODIFY a enum('x'", "RENAME TABLE a TO"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, st := range parse(s) {
			_ = describe(st)
		}
	})
}
