package rehearsal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/snapshot"
)

// Finding is a DDL lint finding of a rehearsal with the patch whose
// statement it is about, and the patch's Allowance when it acknowledged it.
type Finding struct {
	ddllint.Finding
	// Patch is the ID of the patch (or hook) that ran the statement.
	Patch string
	// Allowed is the patch's Allowance for an error finding (nil: none).
	Allowed *patch.Allowance
}

// String is the finding on one line, with the patch and any allowance.
func (f Finding) String() string {
	s := f.Finding.String()
	if f.Patch != "" {
		s = f.Patch + ": " + s
	}
	if f.Allowed != nil {
		s += " — allowed by the patch: " + f.Allowed.Why
	}
	return s
}

// lintProblems turns the error findings no patch acknowledged into
// problems, and marks the acknowledged ones.
func lintProblems(set patch.Set, fs []Finding) []string {
	var out []string
	for i := range fs {
		f := &fs[i]
		if f.Severity != ddllint.Error {
			continue
		}
		p, _ := set.Lookup(f.Patch)
		for j := range p.Allow {
			if p.Allow[j].Allows(f.Rule, f.Table) {
				f.Allowed = &p.Allow[j]
				break
			}
		}
		if f.Allowed == nil {
			out = append(out, fmt.Sprintf("ddl lint error in patch %s: %s\n    fix the statement, or acknowledge it in the patch with a reason a reviewer reads:\n    Allow: []patch.Allowance{{Rule: %q, Table: %q, Why: \"...\"}}",
				f.Patch, f.Finding.String(), f.Rule, strings.ReplaceAll(f.Table, "`", "")))
		}
	}
	return out
}

// swallowedProblems reports each failed statement that neither failed its
// patch nor was counted against a declared budget: the patch returned
// success although the server refused one of its statements.
func swallowedProblems(obs *patchrt.Observer) []string {
	var out []string
	for _, f := range obs.Unaccounted() {
		out = append(out, fmt.Sprintf("patch %s swallowed an error: a statement failed and the patch returned success\n    statement: %s\n    server:    %v\n    return the error from Run (rows a Batch may skip count against its MaxErrors)",
			f.Patch, shorten(f.Query), f.Err))
	}
	return out
}

// whereCounts counts, before the patch runs, the rows of each declared
// RowChange's PerRowOf that match its Where.
func whereCounts(ctx context.Context, db *sql.DB, p patch.Patch) (map[int]int64, error) {
	out := map[int]int64{}
	for i, r := range p.Rows {
		if r.Where == "" || r.PerRowOf == "" {
			continue
		}
		var n int64
		q := "SELECT COUNT(*) FROM " + patch.QuoteIdent(r.PerRowOf) + " WHERE " + r.Where
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, fmt.Errorf("patch %s: Rows[%d] (%s where %s): %w", p.ID, i, r.PerRowOf, r.Where, err)
		}
		out[i] = n
	}
	return out, nil
}

// checkDeclaredRows is CheckRows with the counts of Where conditions, in
// words a reviewer reads: which table, how many rows were expected, how
// many the patch changed.
func checkDeclaredRows(p patch.Patch, before, after *snapshot.Snapshot, where map[int]int64) []string {
	if len(p.Rows) == 0 {
		return nil
	}
	b, a := map[string]int64{}, map[string]int64{}
	for _, t := range before.Tables {
		b[t.Name] = t.Rows
	}
	for _, t := range after.Tables {
		a[t.Name] = t.Rows
	}
	declared := map[string]bool{}
	var out []string
	for i, r := range p.Rows {
		declared[r.Table] = true
		base := b[r.PerRowOf]
		what := fmt.Sprintf("%d", r.Delta)
		if r.PerRowOf != "" {
			if n, ok := where[i]; ok {
				base = n
				what = fmt.Sprintf("%d × %d rows of %s where %s + %d", r.PerRow, n, r.PerRowOf, r.Where, r.Delta)
			} else {
				what = fmt.Sprintf("%d × %d rows of %s + %d", r.PerRow, base, r.PerRowOf, r.Delta)
			}
		}
		want := b[r.Table] + r.Delta + r.PerRow*base
		if got, ok := a[r.Table]; !ok {
			out = append(out, fmt.Sprintf("rows: patch %s declares Rows for %s, which does not exist after it", p.ID, r.Table))
		} else if got != want {
			out = append(out, fmt.Sprintf("rows: patch %s changed %s by %+d rows (%d → %d), but its Rows declare %+d (%s); %s",
				p.ID, r.Table, got-b[r.Table], b[r.Table], got, want-b[r.Table], what, fewerOrMore(got, want)))
		}
	}
	for _, t := range after.Tables {
		if old, ok := b[t.Name]; ok && !declared[t.Name] && old != t.Rows {
			out = append(out, fmt.Sprintf("rows: patch %s changed %s from %d to %d rows, which its Rows do not declare; add {Table: %q, ...} to Patch.Rows", p.ID, t.Name, old, t.Rows, t.Name))
		}
	}
	return out
}

func fewerOrMore(got, want int64) string {
	if got < want {
		return "fewer rows than declared: did a statement fail, or a WHERE stop matching?"
	}
	return "more rows than declared: does the patch insert duplicates, or are its Rows out of date?"
}

// lintHook returns what the run's statement hook calls to lint a statement
// into rep (Lint and Findings, with the patch that ran it), and a closer
// for the linter's scratch database. Without cfg.Lint it does nothing.
func lintHook(ctx context.Context, cfg Config, db *sql.DB, name string, rep *Report) (func(context.Context, string), func(), error) {
	if !cfg.Lint {
		return func(context.Context, string) {}, func() {}, nil
	}
	var opts []ddllint.Option
	if cfg.ProductionRows != nil {
		opts = append(opts, ddllint.WithRowCounts(cfg.ProductionRows))
	}
	lint, err := ddllint.New(ctx, db, name, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("ddl lint: %w", err)
	}
	var mu sync.Mutex
	check := func(ctx context.Context, q string) {
		fs := lint.Check(ctx, q)
		if len(fs) == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		rep.Lint = append(rep.Lint, fs...)
		for _, f := range fs {
			rep.Findings = append(rep.Findings, Finding{Finding: f, Patch: patchrt.IDFromContext(ctx)})
		}
	}
	return check, func() { lint.Close() }, nil
}
