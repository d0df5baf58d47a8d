package rehearsal

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
)

// Load is a synthetic application workload run while the patches run: its
// sessions read rows by primary key and lock rows as an update does, on the
// tables each patch writes, from the moment the patch first names the
// table. It changes no data (its writes set the key to itself), so the
// rehearsal's snapshots are unaffected. It measures how long application
// statements wait behind a patch's locks: a table copy blocks them for its
// whole length, an online change or a batch for a chunk at most.
type Load struct {
	// Sessions is the number of concurrent application sessions (default 4).
	Sessions int
	// Writes is the share of locking statements, 0 to 1 (default 0.3).
	Writes float64
	// Pause is each session's pause between statements (default 2ms).
	Pause time.Duration
}

// PatchLoad is what the workload saw while one patch ran.
type PatchLoad struct {
	ID string
	// Statements the application ran while the patch ran, and how many
	// failed (a lock wait timeout, a deadlock).
	Statements, Errors int
	// Longest is the longest any application statement took, with the
	// statement; P99 the 99th percentile, counting for a blocked session
	// the statements it would have started meanwhile (one per Pause+1ms,
	// each waiting the rest of the block).
	Longest     time.Duration
	LongestStmt string
	P99         time.Duration
	// Tables are the tables the workload ran on.
	Tables []string
}

// loadTable is a table the workload runs on, with keys to pick from.
type loadTable struct {
	name string
	sel  string // SELECT by key
	lock string // UPDATE setting the key to itself, by key
	keys [][]any
}

// loadRun is a running workload.
type loadRun struct {
	db   *sql.DB
	cfg  Load
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu      sync.Mutex
	current string // the patch running now
	tables  []*loadTable
	seen    map[string]bool
	samples map[string][]time.Duration
	longest map[string]string
	errors  map[string]int
	counts  map[string]int
	max     map[string]time.Duration
	byPatch map[string]map[string]bool
}

// startLoad starts the workload's sessions on db; they idle until a patch
// names a table (hook).
func startLoad(ctx context.Context, db *sql.DB, cfg Load) *loadRun {
	if cfg.Sessions <= 0 {
		cfg.Sessions = 4
	}
	if cfg.Writes <= 0 || cfg.Writes > 1 {
		cfg.Writes = 0.3
	}
	if cfg.Pause <= 0 {
		cfg.Pause = 2 * time.Millisecond
	}
	ctx, stop := context.WithCancel(ctx)
	l := &loadRun{db: db, cfg: cfg, stop: stop, seen: map[string]bool{}, samples: map[string][]time.Duration{},
		longest: map[string]string{}, errors: map[string]int{}, counts: map[string]int{}, max: map[string]time.Duration{}, byPatch: map[string]map[string]bool{}}
	db.SetMaxOpenConns(cfg.Sessions + 2)
	for i := range cfg.Sessions {
		l.wg.Add(1)
		go l.session(ctx, rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano()))))
	}
	return l
}

// hook is a StatementHook: it follows the running patch and adds the
// tables it writes to the workload before the statement runs.
func (l *loadRun) hook(ctx context.Context, q string) error {
	id := patchrt.IDFromContext(ctx)
	l.mu.Lock()
	if id != "" {
		l.current = id
	}
	var fresh []string
	for _, t := range TablesWritten(q) {
		if !l.seen[t] && !strings.HasPrefix(t, "_") && !strings.HasPrefix(t, "migtest_") {
			fresh = append(fresh, t)
		}
	}
	l.mu.Unlock()
	for _, t := range fresh {
		lt, err := l.prepare(ctx, t)
		if err != nil || lt == nil {
			continue // a table being created, or one without a primary key
		}
		l.mu.Lock()
		if !l.seen[t] {
			l.seen[t] = true
			l.tables = append(l.tables, lt)
		}
		l.mu.Unlock()
	}
	return nil
}

// primaryKey returns the quoted columns of table t's primary key (none
// when it has none).
func primaryKey(ctx context.Context, db *sql.DB, t string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", t)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, patch.QuoteIdent(c))
	}
	return cols, rows.Err()
}

// prepare reads table t's primary key and a sample of its keys.
func (l *loadRun) prepare(ctx context.Context, t string) (*loadTable, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	cols, err := primaryKey(ctx, l.db, t)
	if err != nil || len(cols) == 0 {
		return nil, err
	}
	conds := make([]string, len(cols))
	sets := make([]string, len(cols))
	for i, c := range cols {
		conds[i] = c + " = ?"
		sets[i] = c + " = " + c
	}
	where := strings.Join(conds, " AND ")
	lt := &loadTable{name: t, sel: "SELECT * FROM " + patch.QuoteIdent(t) + " WHERE " + where,
		lock: "UPDATE " + patch.QuoteIdent(t) + " SET " + strings.Join(sets, ", ") + " WHERE " + where}
	kr, err := l.db.QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+patch.QuoteIdent(t)+" LIMIT 2000")
	if err != nil {
		return nil, err
	}
	defer kr.Close()
	for kr.Next() {
		k := make([]any, len(cols))
		dest := make([]any, len(cols))
		for i := range k {
			dest[i] = &k[i]
		}
		if err := kr.Scan(dest...); err != nil {
			return nil, err
		}
		lt.keys = append(lt.keys, k)
	}
	if len(lt.keys) == 0 {
		return nil, kr.Err()
	}
	return lt, kr.Err()
}

// session runs application statements until ctx ends.
func (l *loadRun) session(ctx context.Context, rng *rand.Rand) {
	defer l.wg.Done()
	for ctx.Err() == nil {
		l.mu.Lock()
		var lt *loadTable
		if len(l.tables) > 0 {
			lt = l.tables[rng.IntN(len(l.tables))]
		}
		l.mu.Unlock()
		if lt == nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		q := lt.sel
		if rng.Float64() < l.cfg.Writes {
			q = lt.lock
		}
		key := lt.keys[rng.IntN(len(lt.keys))]
		l.mu.Lock()
		id := l.current
		l.mu.Unlock()
		start := time.Now()
		err := l.exec(ctx, q, key)
		took := time.Since(start)
		if ctx.Err() != nil {
			return // stopped mid-statement: not a measurement
		}
		l.record(id, lt.name, q, took, err)
		time.Sleep(l.cfg.Pause)
	}
}

func (l *loadRun) exec(ctx context.Context, q string, key []any) error {
	if strings.HasPrefix(q, "SELECT") {
		rows, err := l.db.QueryContext(ctx, q, key...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
		}
		return rows.Err()
	}
	_, err := l.db.ExecContext(ctx, q, key...)
	return err
}

func (l *loadRun) record(id, table, q string, took time.Duration, err error) {
	if id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.samples[id]
	if took > l.max[id] {
		l.max[id], l.longest[id] = took, shorten(q)
	}
	s = append(s, took)
	// A session blocked for took issues no statement meanwhile, though an
	// application's users would have: count the statements it would have
	// started every interval, each waiting the rest (the correction for
	// coordinated omission of wrk2 and HdrHistogram). Without it the p99
	// of a table copy that blocks every session looks like a quiet one's.
	interval := l.cfg.Pause + time.Millisecond
	for d := took - interval; d > 0; d -= interval {
		s = append(s, d)
	}
	l.samples[id] = s
	l.counts[id]++
	if err != nil {
		l.errors[id]++
	}
	if l.byPatch[id] == nil {
		l.byPatch[id] = map[string]bool{}
	}
	l.byPatch[id][table] = true
}

// finish stops the workload and returns what it saw, per patch of set in order.
func (l *loadRun) finish(set patch.Set) []PatchLoad {
	l.stop()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []PatchLoad
	for _, p := range set.Patches {
		s := l.samples[p.ID]
		if len(s) == 0 {
			continue
		}
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		pl := PatchLoad{ID: p.ID, Statements: l.counts[p.ID], Errors: l.errors[p.ID], Longest: s[len(s)-1], LongestStmt: l.longest[p.ID],
			P99: s[min(len(s)-1, (len(s)*99+99)/100-1)]}
		for t := range l.byPatch[p.ID] {
			pl.Tables = append(pl.Tables, t)
		}
		sort.Strings(pl.Tables)
		out = append(out, pl)
	}
	return out
}

// LoadTable prints the workload's figures, one line per patch.
func LoadTable(loads []PatchLoad) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "patch\tapp statements\terrors\tlongest wait\tp99\ttables\tlongest statement")
	for _, pl := range loads {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", pl.ID, pl.Statements, pl.Errors, pl.Longest.Round(time.Millisecond),
			pl.P99.Round(100*time.Microsecond), strings.Join(pl.Tables, ", "), pl.LongestStmt)
	}
	_ = w.Flush()
	return b.String()
}
