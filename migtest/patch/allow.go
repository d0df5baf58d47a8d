package patch

import (
	"fmt"
	"strings"
)

// Allowance acknowledges, in the patch's code, a DDL lint finding of
// severity error that a rehearsal would otherwise fail on (a table rebuild
// that production's row counts make long, a lossy type change): the rule,
// the table, and why it is acceptable, for a reviewer to read. For example
//
//	Allow: []patch.Allowance{{Rule: "rebuild", Table: "tabCustomer",
//		Why: "run in the Sunday maintenance window; 3 M rows copy in ~4 min"}}
type Allowance struct {
	// Rule is the ddllint rule, e.g. "rebuild" or "lossy-type".
	Rule string
	// Table is the table the finding is about.
	Table string
	// Why says why the finding is acceptable; it must not be empty.
	Why string
}

// Allows reports whether a names rule on table (names compare without
// backquotes and database qualifier, case-insensitively).
func (a Allowance) Allows(rule, table string) bool {
	return strings.EqualFold(a.Rule, rule) && strings.EqualFold(bareTable(a.Table), bareTable(table))
}

func bareTable(t string) string {
	t = strings.ReplaceAll(t, "`", "")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return strings.TrimSpace(t)
}

// validateAllow reports allowances without a rule, a table or a reason.
func validateAllow(p Patch) error {
	for i, a := range p.Allow {
		if strings.TrimSpace(a.Rule) == "" || strings.TrimSpace(a.Table) == "" || strings.TrimSpace(a.Why) == "" {
			return fmt.Errorf("patch %s: Allow[%d] needs Rule, Table and Why (the reason a reviewer reads)", p.ID, i)
		}
	}
	return nil
}
