package rehearsal

import (
	"fmt"
	"strings"
	"time"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/snapshot"
)

// Summary is what a rehearsal prints at its end (go test and migtest
// rehearse alike) and what `migtest rehearse --summary` writes as Markdown.
type Summary struct {
	// Label names what was rehearsed: "patch v1_0.x" or "the whole set".
	Label string
	// Fixture and Server name where (a file name; "MariaDB 10.11.9").
	Fixture, Server string
	// Report is the rehearsal's.
	Report *Report
	// Production is the production profile and its file, when there is one.
	Production     *snapshot.Snapshot
	ProductionFile string
}

// findings are the findings worth a reader's attention: warnings and
// errors (info findings only say that an online change is fine).
func (s Summary) findings() []Finding {
	var out []Finding
	for _, f := range s.Report.Findings {
		if f.Severity != ddllint.Info {
			out = append(out, f)
		}
	}
	return out
}

// Text is the summary as plain text, sections indented by two spaces.
func (s Summary) Text() string {
	var b strings.Builder
	r := s.Report
	fmt.Fprintf(&b, "rehearsal of %s on %s (%s): %d statements\n", s.Label, s.Fixture, s.Server, r.Statements)
	section(&b, "changes:", strings.Join(compact(r.Changes), "\n"))
	lint := "no warnings"
	if s.Production == nil {
		lint += " (judged by the fixture's row counts: no production profile in snapshots/production.snap or MIGTEST_PRODUCTION)"
	}
	if fs := s.findings(); len(fs) > 0 {
		lines := make([]string, len(fs))
		for i, f := range fs {
			lines[i] = f.String()
		}
		lint = strings.Join(lines, "\n")
	}
	section(&b, "ddl lint:", lint)
	if len(r.Crashes) > 0 {
		lines := make([]string, len(r.Crashes))
		for i, c := range r.Crashes {
			lines[i] = c.String()
		}
		section(&b, "crash points:", strings.Join(lines, "\n"))
	}
	section(&b, "timing:", TimingTable(r.Timing))
	if s.Production != nil {
		var lines []string
		for _, e := range Estimates(r.Timing, r.Before, s.Production) {
			lines = append(lines, fmt.Sprintf("%s: %s here × %.0f → about %s", e.ID, e.Measured.Round(time.Millisecond), e.Scale, e.Expected.Round(time.Second)))
		}
		section(&b, "estimated in production ("+s.ProductionFile+", linear in the rows of the tables each patch writes):", strings.Join(lines, "\n"))
	}
	return b.String()
}

func section(b *strings.Builder, title, body string) {
	b.WriteString(title + "\n")
	body = strings.TrimRight(body, "\n")
	if body == "" {
		b.WriteString("  (none)\n")
		return
	}
	for _, l := range strings.Split(body, "\n") {
		b.WriteString("  " + l + "\n")
	}
}

// Markdown is the summary for a pull request: the change list, the lint
// findings, the crash points, the timing table and production estimates.
func (s Summary) Markdown() string {
	var b strings.Builder
	r := s.Report
	fmt.Fprintf(&b, "### Rehearsal of %s\n\n", s.Label)
	fmt.Fprintf(&b, "On `%s` (%s): %d statements. ", s.Fixture, s.Server, r.Statements)
	if len(r.Problems) == 0 {
		b.WriteString("**Passed**: idempotency, crash-resume, declared row changes, no swallowed errors, lint.\n\n")
	} else {
		fmt.Fprintf(&b, "**Failed**: %d problems.\n\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- %s\n", strings.ReplaceAll(strings.TrimSpace(p), "\n", "\n  "))
		}
		b.WriteString("\n")
	}
	b.WriteString("#### Changes\n\n```diff\n")
	if c := r.Changes.String(); c != "" {
		b.WriteString(c + "\n")
	}
	b.WriteString("```\n\n#### Lint\n\n")
	if fs := s.findings(); len(fs) == 0 {
		b.WriteString("No warnings.\n\n")
	} else {
		b.WriteString("| severity | patch | rule | table | finding | allowed because |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, f := range fs {
			why := ""
			if f.Allowed != nil {
				why = f.Allowed.Why
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", f.Severity, f.Patch, f.Rule, mdCell(f.Table), mdCell(f.Message), mdCell(why))
		}
		b.WriteString("\n")
	}
	b.WriteString("#### Timing\n\n| patch | duration | statements | longest lock |\n| --- | --- | --- | --- |\n")
	for _, t := range r.Timing {
		fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", t.ID, t.Duration.Round(time.Millisecond), t.Statements, t.LongestLock.Round(time.Millisecond))
	}
	if s.Production != nil {
		fmt.Fprintf(&b, "\n#### Estimated in production (`%s`)\n\n| patch | here | scale | expected |\n| --- | --- | --- | --- |\n", s.ProductionFile)
		for _, e := range Estimates(r.Timing, r.Before, s.Production) {
			fmt.Fprintf(&b, "| %s | %s | ×%.0f | %s |\n", e.ID, e.Measured.Round(time.Millisecond), e.Scale, e.Expected.Round(time.Second))
		}
	}
	return b.String()
}

func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// compact is the change list with each new table on one line (its columns
// and indexes counted; the golden lists them).
func compact(d snapshot.Diff) []string {
	var out []string
	cs := d.Changes
	for i := 0; i < len(cs); i++ {
		c := cs[i]
		if c.Op != snapshot.Added || c.Kind != "table" {
			out = append(out, c.String())
			continue
		}
		cols, idx := 0, 0
		for i+1 < len(cs) && cs[i+1].Op == snapshot.Added && strings.HasPrefix(cs[i+1].Name, c.Name+".") {
			i++
			switch cs[i].Kind {
			case "column":
				cols++
			case "index":
				idx++
			}
		}
		out = append(out, fmt.Sprintf("+ table %s (%d columns, %d indexes)", c.Name, cols, idx))
	}
	return out
}
