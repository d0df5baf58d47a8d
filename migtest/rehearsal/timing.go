package rehearsal

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/snapshot"
)

// PatchTiming is what a rehearsal measured of one patch.
type PatchTiming struct {
	ID string
	// Duration is the patch's run time as the runner logged it.
	Duration time.Duration
	// Statements counts the statements it ran.
	Statements int
	// LongestLock is the longest span in which the patch held locks: one
	// DDL or row-changing statement (measured from its start to the start
	// of the next statement) or one transaction (BEGIN to COMMIT).
	LongestLock time.Duration
	// LockStatement is the statement (or "transaction: <first statement>")
	// of LongestLock, shortened.
	LockStatement string
	// Tables are the tables the patch wrote to.
	Tables []string
	// MaxDuration and MaxLock are the patch's budgets (zero: none).
	MaxDuration, MaxLock time.Duration
}

// locking reports whether q is a DDL or row-changing statement: one that
// holds locks from its start to the next statement.
func locking(q string) bool {
	l := sqltext.NewLexer(q, sqltext.Dialect{})
	first, _ := l.Next()
	for _, kw := range []string{"ALTER", "DROP", "RENAME", "TRUNCATE", "OPTIMIZE", "UPDATE", "DELETE", "INSERT", "REPLACE"} {
		if first.Is(kw) {
			return true
		}
	}
	if !first.Is("CREATE") {
		return false
	}
	next, _ := l.Next()
	if next.Is("UNIQUE") || next.Is("FULLTEXT") || next.Is("SPATIAL") {
		next, _ = l.Next()
	}
	return next.Is("TABLE") || next.Is("INDEX")
}

// timer is a statement hook that measures lock spans per patch.
type timer struct {
	mu   sync.Mutex
	last struct {
		id, query string
		start     time.Time
		locking   bool
	}
	tx map[string]struct {
		start time.Time
		first string
	}
	timings map[string]*PatchTiming
	tables  map[string]map[string]bool
}

func newTimer() *timer {
	return &timer{tx: map[string]struct {
		start time.Time
		first string
	}{}, timings: map[string]*PatchTiming{}, tables: map[string]map[string]bool{}}
}

func (tm *timer) get(id string) *PatchTiming {
	pt := tm.timings[id]
	if pt == nil {
		pt = &PatchTiming{ID: id}
		tm.timings[id] = pt
	}
	return pt
}

func (tm *timer) lock(id string, d time.Duration, stmt string) {
	if id == "" {
		return
	}
	pt := tm.get(id)
	if d > pt.LongestLock {
		pt.LongestLock, pt.LockStatement = d, shorten(stmt)
	}
}

func (tm *timer) closeLast(now time.Time) {
	if tm.last.locking {
		tm.lock(tm.last.id, now.Sub(tm.last.start), tm.last.query)
	}
	tm.last.locking = false
}

// hook is the StatementHook.
func (tm *timer) hook(ctx context.Context, q string) error {
	now := time.Now()
	id := migrate.PatchID(ctx)
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.closeLast(now)
	if id != "" {
		tm.get(id).Statements++
	}
	head := strings.ToUpper(strings.TrimSpace(q))
	switch {
	case head == "BEGIN" || strings.HasPrefix(head, "START TRANSACTION"):
		tm.tx[id] = struct {
			start time.Time
			first string
		}{now, ""}
	case head == "COMMIT" || head == "ROLLBACK":
		if t, ok := tm.tx[id]; ok {
			tm.lock(id, now.Sub(t.start), "transaction: "+t.first)
			delete(tm.tx, id)
		}
	default:
		if t, ok := tm.tx[id]; ok && t.first == "" {
			t.first = q
			tm.tx[id] = t
		}
	}
	if names := TablesWritten(q); len(names) > 0 && id != "" {
		if tm.tables[id] == nil {
			tm.tables[id] = map[string]bool{}
		}
		for _, n := range names {
			tm.tables[id][n] = true
		}
	}
	tm.last.id, tm.last.query, tm.last.start = id, q, now
	tm.last.locking = locking(q)
	return nil
}

// finish closes the last span and returns the timings of set's patches in
// order, with the runner's durations and the patches' budgets.
func (tm *timer) finish(set patch.Set, durations map[string]time.Duration) []PatchTiming {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.closeLast(time.Now())
	var out []PatchTiming
	for _, p := range set.Patches {
		pt, ok := tm.timings[p.ID]
		if !ok {
			continue
		}
		t := *pt
		t.Duration = durations[p.ID]
		t.MaxDuration, t.MaxLock = p.MaxDuration, p.MaxLock
		for name := range tm.tables[p.ID] {
			t.Tables = append(t.Tables, name)
		}
		sort.Strings(t.Tables)
		out = append(out, t)
	}
	return out
}

// TablesWritten returns the tables a statement writes to, creates, renames
// or drops: sqltext.TableNames (INSERT, REPLACE, LOAD DATA, UPDATE and
// DELETE including their multi-table forms, ALTER, CREATE/DROP TABLE and
// INDEX, TRUNCATE, both sides of RENAME TABLE; names only, temporary tables
// and other statements give none). Production's rollback --touched records
// the same.
func TablesWritten(q string) []string { return sqltext.TableNames(q) }

func shorten(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 90 {
		q = q[:87] + "..."
	}
	return q
}

// budgetProblems lists the broken budgets of timings.
func budgetProblems(timings []PatchTiming) []string {
	var out []string
	for _, t := range timings {
		if t.MaxDuration > 0 && t.Duration > t.MaxDuration {
			out = append(out, fmt.Sprintf("budget: patch %s ran %s, over its MaxDuration %s", t.ID, t.Duration.Round(time.Millisecond), t.MaxDuration))
		}
		if t.MaxLock > 0 && t.LongestLock > t.MaxLock {
			out = append(out, fmt.Sprintf("budget: patch %s held locks for %s (%s), over its MaxLock %s", t.ID, t.LongestLock.Round(time.Millisecond), t.LockStatement, t.MaxLock))
		}
	}
	return out
}

// TimingTable prints timings as a table: patch, duration, statements,
// longest lock and its statement, budgets and whether they held.
func TimingTable(timings []PatchTiming) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATCH\tDURATION\tBUDGET\tSTATEMENTS\tLONGEST LOCK\tBUDGET\tLOCKED BY")
	budget := func(got, max time.Duration) string {
		switch {
		case max == 0:
			return "-"
		case got > max:
			return "OVER " + max.String()
		default:
			return "ok " + max.String()
		}
	}
	for _, t := range timings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t.ID, t.Duration.Round(time.Millisecond), budget(t.Duration, t.MaxDuration),
			t.Statements, t.LongestLock.Round(time.Millisecond), budget(t.LongestLock, t.MaxLock), t.LockStatement)
	}
	tw.Flush()
	return b.String()
}

// Estimate is a patch's expected duration on a database of other size.
type Estimate struct {
	ID       string
	Measured time.Duration
	Scale    float64 // largest growth factor of the tables it writes
	Expected time.Duration
}

// Estimates extrapolates each patch's duration linearly from the fixture's
// row counts (before) to a production snapshot's (prod): by the largest
// growth of the tables it wrote to. A patch that wrote to no table with
// rows keeps its measured duration.
func Estimates(timings []PatchTiming, before, prod *snapshot.Snapshot) []Estimate {
	rows := func(s *snapshot.Snapshot) map[string]int64 {
		m := map[string]int64{}
		for _, t := range s.Tables {
			m[t.Name] = t.Rows
		}
		return m
	}
	have, want := rows(before), rows(prod)
	var out []Estimate
	for _, t := range timings {
		scale := 1.0
		for _, name := range t.Tables {
			if p, ok := want[name]; ok && p > 0 {
				scale = math.Max(scale, float64(p)/math.Max(1, float64(have[name])))
			}
		}
		out = append(out, Estimate{ID: t.ID, Measured: t.Duration, Scale: scale, Expected: time.Duration(float64(t.Duration) * scale)})
	}
	return out
}

// CheckRows checks the row counts of after against before by the patch's
// declared RowChanges (Patch.Rows): the check a rehearsal on a dump with
// other counts than the golden's uses instead of exact counts. It returns
// nothing when the patch declares no RowChanges.
func CheckRows(p patch.Patch, before, after *snapshot.Snapshot) []string {
	if len(p.Rows) == 0 {
		return nil
	}
	b := map[string]int64{}
	for _, t := range before.Tables {
		b[t.Name] = t.Rows
	}
	rules := map[string]patch.RowChange{}
	for _, r := range p.Rows {
		rules[r.Table] = r
	}
	var out []string
	for _, t := range after.Tables {
		want, ok := b[t.Name]
		if r, declared := rules[t.Name]; declared {
			want = want + r.Delta + r.PerRow*b[r.PerRowOf]
		} else if !ok {
			continue // a new table the patch did not declare: the schema diff shows it
		}
		if t.Rows != want {
			out = append(out, fmt.Sprintf("rows: %s has %d rows after patch %s, want %d (%d before; see Patch.Rows)", t.Name, t.Rows, p.ID, want, b[t.Name]))
		}
	}
	return out
}
