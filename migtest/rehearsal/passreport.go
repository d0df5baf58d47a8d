package rehearsal

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/migtest/migtest/migtest/snapshot"
)

func fixtureName(path string) string { return filepath.Base(path) }

// Report returns the pass seen as a rehearsal of the patch with id (the
// whole set when id is empty): its snapshots, changes, timing, lint and
// problems, the checks' problems included. It returns an error when id is
// not in the pass.
func (pr *PassReport) Report(id string) (*Report, error) {
	if len(pr.Steps) == 0 {
		return nil, fmt.Errorf("the pass ran no patches")
	}
	steps := pr.Steps
	if id != "" {
		i := pr.index(id)
		if i < 0 && pr.Stopped != "" {
			return nil, fmt.Errorf("patch %s was not rehearsed: %s", id, pr.Stopped)
		}
		if i < 0 {
			return nil, fmt.Errorf("patch %s is not in the rehearsed set; check the ID", id)
		}
		steps = pr.Steps[i : i+1]
	}
	rep := &Report{Before: steps[0].Before, After: steps[len(steps)-1].After}
	if id == "" {
		rep.Before = pr.Start
	}
	rep.Changes = snapshot.Compare(rep.Before, rep.After)
	for _, s := range steps {
		rep.Statements += s.Timing.Statements
		rep.Timing = append(rep.Timing, s.Timing)
		rep.Lint = append(rep.Lint, s.Lint...)
		rep.Problems = append(rep.Problems, s.Problems...)
	}
	for _, c := range pr.Checks {
		if c.Problem != "" && (id == "" || c.Patch == "" || c.Patch == id) {
			rep.Problems = append(rep.Problems, c.Problem)
		}
	}
	if id == "" && pr.Stopped != "" {
		rep.Problems = append(rep.Problems, pr.Stopped)
	}
	return rep, nil
}

func (pr *PassReport) index(id string) int {
	for i, s := range pr.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// Problems are every problem of the pass: the steps' and the checks'.
func (pr *PassReport) Problems() []string {
	var out []string
	for _, s := range pr.Steps {
		out = append(out, s.Problems...)
	}
	for _, c := range pr.Checks {
		if c.Problem != "" {
			out = append(out, c.Problem)
		}
	}
	return out
}

// ChecksTable says which checks ran, on which patch, at which size, and
// which did not run at this size (they run on the demo fixture).
func (pr *PassReport) ChecksTable() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tPATCH\tDATA\tTOOK\tRESULT\tWHAT")
	data := humanRows(Rows(pr.Start)) + " rows"
	row := func(name, id, took, result, what string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, id, data, took, result, what)
	}
	all := "every patch"
	row("golden schema, declared rows, budgets, lint, lock spans", all, "-", "see below", "from the one pass, a snapshot after each patch")
	for _, c := range pr.Checks {
		result := "ok"
		if c.Problem != "" {
			result = "FAIL"
		}
		id := c.Patch
		if id == "" {
			id = "whole set"
		}
		row(c.Name, id, c.Took.Round(time.Millisecond).String(), result, c.Detail)
	}
	tw.Flush()
	fmt.Fprintln(&b, "not run at this size (they are properties of the code; the demo fixture runs them, FullChecks/--full-checks runs them here):")
	fmt.Fprintln(&b, "  crash at the first, middle and last statement of each patch; running each patch's function once more")
	return b.String()
}

// PassTable is the per-patch table that ends a pass: time here, the
// estimated time on production (when prod is given), the longest lock and
// the statement that held it, and the budgets.
func (pr *PassReport) PassTable(prod *snapshot.Snapshot) string {
	var timings []PatchTiming
	for _, s := range pr.Steps {
		timings = append(timings, s.Timing)
	}
	est := map[string]Estimate{}
	if prod != nil {
		// Each patch is extrapolated from the row counts before it ran.
		for _, s := range pr.Steps {
			est[s.ID] = Estimates([]PatchTiming{s.Timing}, s.Before, prod)[0]
		}
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATCH\tHERE\tON PRODUCTION\tLONGEST LOCK\tBUDGETS\tLOCKED BY")
	var total, totalProd time.Duration
	for _, t := range timings {
		prodCol := "-"
		if e, ok := est[t.ID]; ok {
			prodCol = fmt.Sprintf("~%s (×%.1f)", e.Expected.Round(time.Second), e.Scale)
			totalProd += e.Expected
		}
		total += t.Duration
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Duration.Round(time.Millisecond), prodCol,
			t.LongestLock.Round(time.Millisecond), budgets(t), t.LockStatement)
	}
	prodTotal := "-"
	if prod != nil {
		prodTotal = "~" + totalProd.Round(time.Second).String()
	}
	fmt.Fprintf(tw, "all patches\t%s\t%s\t\t\t\n", total.Round(time.Millisecond), prodTotal)
	tw.Flush()
	return b.String()
}

func budgets(t PatchTiming) string {
	var parts []string
	if t.MaxDuration > 0 {
		parts = append(parts, budgetWord(t.Duration, t.MaxDuration)+" time "+t.MaxDuration.String())
	}
	if t.MaxLock > 0 {
		parts = append(parts, budgetWord(t.LongestLock, t.MaxLock)+" lock "+t.MaxLock.String())
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func budgetWord(got, limit time.Duration) string {
	if got > limit {
		return "OVER"
	}
	return "ok"
}

// humanRows writes n as 2.18 M, 218 k or 950.
func humanRows(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.2f M", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%d k", n/1000)
	default:
		return fmt.Sprint(n)
	}
}
