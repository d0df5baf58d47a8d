package rehearsal_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/snapshot"
)

// slowUpdate holds row locks on tabCustomer for about 200 × 2 ms.
var slowUpdate = patch.Patch{
	ID:          "v1.slow_update",
	Description: "touch every customer slowly",
	Run: func(ctx context.Context, pc *patch.Context) error {
		_, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `modified` = `modified` WHERE SLEEP(0.002) = 0")
		return err
	},
}

func TestBudgets(t *testing.T) {
	fx, cache := demo(t)
	tests := []struct {
		name       string
		maxDur     time.Duration
		maxLock    time.Duration
		wantBroken []string
	}{
		{"within budget", time.Hour, time.Hour, nil},
		{"lock budget broken", time.Hour, 50 * time.Millisecond, []string{"held locks", "UPDATE `tabCustomer`"}},
		{"duration budget broken", 50 * time.Millisecond, time.Hour, []string{"over its MaxDuration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := slowUpdate
			p.MaxDuration, p.MaxLock = tt.maxDur, tt.maxLock
			rep, err := rehearsal.Run(context.Background(), rehearsal.Config{Set: patch.Set{Patches: []patch.Patch{p}}, Fixture: fx, Cache: cache})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Timing) != 1 || rep.Timing[0].LongestLock < 300*time.Millisecond || rep.Timing[0].Duration < rep.Timing[0].LongestLock/2 {
				t.Fatalf("timing not measured: %+v", rep.Timing)
			}
			if got := rep.Timing[0].Tables; len(got) != 1 || got[0] != "tabCustomer" {
				t.Errorf("tables written = %v, want [tabCustomer]", got)
			}
			problems := strings.Join(rep.Problems, "\n")
			if len(tt.wantBroken) == 0 && problems != "" {
				t.Errorf("unexpected problems: %s", problems)
			}
			for _, w := range tt.wantBroken {
				if !strings.Contains(problems, w) {
					t.Errorf("problems do not mention %q:\n%s", w, problems)
				}
			}
			table := rehearsal.TimingTable(rep.Timing)
			if !strings.Contains(table, "v1.slow_update") || (len(tt.wantBroken) > 0) != strings.Contains(table, "OVER") {
				t.Errorf("timing table:\n%s", table)
			}
		})
	}
}

func snap(rows map[string]int64) *snapshot.Snapshot {
	s := &snapshot.Snapshot{}
	for name, n := range rows {
		s.Tables = append(s.Tables, snapshot.Table{Name: name, Rows: n})
	}
	return s
}

func TestCheckRows(t *testing.T) {
	t.Parallel()
	p := patch.Patch{ID: "p", Rows: []patch.RowChange{
		{Table: "tabProfile", PerRowOf: "tabCustomer", PerRow: 1},
		{Table: "tabDocType", Delta: 1},
	}}
	before := snap(map[string]int64{"tabCustomer": 1000, "tabDocType": 16, "tabAddress": 5})
	tests := []struct {
		name  string
		after map[string]int64
		want  string
	}{
		{"as declared", map[string]int64{"tabCustomer": 1000, "tabDocType": 17, "tabAddress": 5, "tabProfile": 1000}, ""},
		{"one row short", map[string]int64{"tabCustomer": 1000, "tabDocType": 17, "tabAddress": 5, "tabProfile": 999}, "tabProfile has 999 rows"},
		{"undeclared change", map[string]int64{"tabCustomer": 1000, "tabDocType": 17, "tabAddress": 6, "tabProfile": 1000}, "tabAddress has 6 rows"},
	}
	for _, tt := range tests {
		got := strings.Join(rehearsal.CheckRows(p, before, snap(tt.after)), "\n")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: CheckRows = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := rehearsal.CheckRows(patch.Patch{ID: "undeclared"}, before, snap(map[string]int64{"tabAddress": 9})); got != nil {
		t.Errorf("a patch without Rows: %q", got)
	}
}

func TestEstimates(t *testing.T) {
	t.Parallel()
	timings := []rehearsal.PatchTiming{
		{ID: "a", Duration: time.Second, Tables: []string{"tabGL Entry"}},
		{ID: "b", Duration: time.Second, Tables: []string{"tabNew"}},
	}
	est := rehearsal.Estimates(timings, snap(map[string]int64{"tabGL Entry": 1000}), snap(map[string]int64{"tabGL Entry": 10_000_000}))
	if est[0].Scale != 10000 || est[0].Expected != 10000*time.Second {
		t.Errorf("estimate a = %+v", est[0])
	}
	if est[1].Scale != 1 || est[1].Expected != time.Second {
		t.Errorf("estimate b (no known table) = %+v", est[1])
	}
}

func TestTablesWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    string
		want string
	}{
		{"INSERT INTO `tabCustom Field` (a) VALUES (1)", "[tabCustom Field]"},
		{"UPDATE `tabCustomer` SET x = 1", "[tabCustomer]"},
		{"DELETE FROM t WHERE 1", "[t]"},
		{"ALTER TABLE `tab``x` ADD COLUMN c int", "[tab`x]"},
		{"CREATE TABLE IF NOT EXISTS `new` (id int)", "[new]"},
		{"RENAME TABLE `_tmp_a` TO `_backup_a`", "[_tmp_a _backup_a]"},
		{"CREATE UNIQUE INDEX i ON `t` (a)", "[t]"},
		{"SELECT * FROM t", "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(rehearsal.TablesWritten(tt.q)); got != tt.want {
			t.Errorf("TablesWritten(%q) = %s, want %s", tt.q, got, tt.want)
		}
	}
}
