package patch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
)

// Batch describes a data migration over a table, walked by its primary key
// in chunks, each chunk in its own transaction. Give exactly one of Set,
// Chunk or Row.
type Batch struct {
	// Table is the table to walk.
	Table string
	// Name keys the checkpoint and names the progress (default: the table);
	// give distinct names to two batches over one table in one patch.
	Name string
	// Key is the walk order: the primary key by default (any types,
	// composite included). It must be unique and indexed.
	Key []string
	// Where, if set, is an SQL condition (with WhereArgs) limiting the rows
	// changed; the walk still goes over the whole table.
	Where     string
	WhereArgs []any

	// Set is set-based mode: the SET clause of an UPDATE run once per chunk,
	// e.g. "`status` = 'Done'", with SetArgs.
	Set     string
	SetArgs []any
	// Chunk is set-based mode with a free hand: it runs once per chunk in
	// the chunk's transaction and returns the rows it changed.
	Chunk func(ctx context.Context, tx *DB, c Chunk) (int64, error)
	// Row is per-row mode: it runs for every row of a chunk (in the chunk's
	// transaction, under a savepoint) with the key and Columns.
	Row     func(ctx context.Context, tx *DB, r Record) error
	Columns []string
	// MaxErrors is the number of failed rows tolerated in per-row mode; the
	// batch stops when there are more. Failed rows are logged.
	MaxErrors int

	// TargetTime is the longest a chunk should hold its locks, from BEGIN
	// to COMMIT (default 200ms). The chunk size aims at half of it, so that
	// a chunk slower than the ones before still ends in time: it at most
	// doubles from one chunk to the next and shrinks at once after a slow
	// chunk, between MinSize and MaxSize rows (defaults 10 and 1000000),
	// starting at Size (default 1000). A server stall can still make a
	// chunk longer; the last progress line gives the longest chunk.
	TargetTime             time.Duration
	Size, MinSize, MaxSize int
}

// Chunk is one chunk of a Batch: Where selects its rows (the key range and
// the Batch's Where), with Args.
type Chunk struct {
	Table string
	Where string
	Args  []any
}

// Record is one row in per-row mode.
type Record struct {
	// Key holds the key columns' values.
	Key  []any
	cols map[string]int
	vals []sql.NullString
}

// String returns the value of column c ("" for NULL or a column not selected).
func (r Record) String(c string) string {
	if i, ok := r.cols[c]; ok {
		return r.vals[i].String
	}
	return ""
}

// Null reports whether column c is NULL (or not selected).
func (r Record) Null(c string) bool {
	i, ok := r.cols[c]
	return !ok || !r.vals[i].Valid
}

// BatchResult summarises a Batch.
type BatchResult struct {
	Rows    int64 // rows walked (this run and earlier interrupted ones)
	Changed int64 // rows changed (set-based) or processed without error (per row)
	Errors  int64 // failed rows (per row)
	Chunks  int   // chunks in this run
	Resumed bool  // whether a checkpoint of an earlier run was found
	Skipped bool  // whether an earlier run had finished the batch already
}

// batchState is the checkpoint of a batch.
type batchState struct {
	Last     []any `json:"last,omitempty"`
	Rows     int64 `json:"rows"`
	Changed  int64 `json:"changed"`
	Errors   int64 `json:"errors"`
	Finished bool  `json:"finished,omitempty"`
}

// keyCol is a key column with how to carry its values in a checkpoint.
type keyCol struct {
	name string
	kind byte // 'i' signed integer, 'u' unsigned, 'd' date, 't' datetime or timestamp, 's' anything else (as text)
}

// Batch runs b: chunk after chunk, each in a transaction that also saves the
// last key as the patch's checkpoint, so an interrupted run resumes after the
// last committed chunk and no chunk is done twice. Progress goes to the log
// and the progress callback, each chunk to the log at debug level.
//
// With a Throttle in ctx (ContextWithThrottle; the runner sets one from the
// server's topology), Batch pauses before a chunk while the Throttle says so
// (a replica lagging), and keeps chunks within its transaction limits.
//
// While a chunk runs, the next chunk's bound is looked up on another
// connection of pc.DB, so the statement hook may see two statements at once.
func (pc *Context) Batch(ctx context.Context, b Batch) (BatchResult, error) {
	if err := b.normalize(pc.DB.InTx()); err != nil {
		return BatchResult{}, err
	}
	w, err := pc.startWalk(ctx, b)
	if err != nil || w.res.Skipped {
		return w.res, err
	}
	// The bound of the next chunk is looked up while a chunk runs; every
	// return waits for that lookup, so no statement outlives the call.
	defer w.stopLookAhead()
	return w.run(ctx)
}

// normalize checks b's mode and fills in its defaults.
func (b *Batch) normalize(inTx bool) error {
	modes := 0
	for _, set := range []bool{b.Set != "", b.Chunk != nil, b.Row != nil} {
		if set {
			modes++
		}
	}
	if modes != 1 {
		return fmt.Errorf("batch over %s: give exactly one of Set, Chunk or Row", b.Table)
	}
	if b.Name == "" {
		b.Name = b.Table
	}
	if inTx {
		return fmt.Errorf("batch %s: Batch commits a transaction per chunk and cannot run inside one: remove InTx from the patch", b.Name)
	}
	if b.TargetTime <= 0 {
		b.TargetTime = 200 * time.Millisecond
	}
	if b.MinSize <= 0 {
		b.MinSize = 10
	}
	if b.MaxSize <= 0 {
		b.MaxSize = 1_000_000
	}
	b.MaxSize = max(b.MaxSize, b.MinSize)
	if b.Size <= 0 {
		b.Size = 1000
	}
	b.Size = min(max(b.Size, b.MinSize), b.MaxSize)
	return nil
}

// batchWalk is one run of a Batch: where it is, how big its chunks are,
// and what it has reported.
type batchWalk struct {
	pc       *Context
	b        Batch
	keys     []keyCol
	table    string // quoted
	orderBy  string // the quoted key columns
	ckey     string // the checkpoint key
	throttle *Throttle

	st    batchState
	last  []any // the last key done, nil before the first chunk
	total int64 // the server's estimate of the table's rows
	res   BatchResult
	sz    sizer

	started   time.Time
	startRows int64
	lastLog   time.Time
	longest   time.Duration
	slow      int // chunks over TargetTime

	lookCtx     context.Context
	stopLooking context.CancelFunc
	ahead       *boundLookup
}

// startWalk reads the key, the checkpoint and the table's estimated size.
// A batch an earlier run finished comes back with res.Skipped.
func (pc *Context) startWalk(ctx context.Context, b Batch) (*batchWalk, error) {
	w := &batchWalk{pc: pc, b: b, ckey: "batch:" + b.Name, table: QuoteIdent(b.Table), throttle: throttleFrom(ctx)}
	keys, err := pc.keyColumns(ctx, b.Table, b.Key)
	if err != nil {
		return w, err
	}
	w.keys = keys
	found, err := pc.Load(ctx, w.ckey, &w.st)
	if err != nil {
		return w, err
	}
	w.res.Resumed = found
	if w.st.Finished {
		pc.Log.Info("batch finished in an earlier run, skipping", "batch", b.Name, "rows", w.st.Rows)
		w.res = BatchResult{Rows: w.st.Rows, Changed: w.st.Changed, Errors: w.st.Errors, Resumed: true, Skipped: true}
		return w, nil
	}
	if w.last, err = decodeKey(keys, w.st.Last); err != nil {
		return w, fmt.Errorf("batch %s: checkpoint: %w", b.Name, err)
	}
	if found {
		pc.Log.Info("resuming batch from checkpoint", "batch", b.Name, "after", w.last, "rows_done", w.st.Rows)
	}
	// The total for progress is the server's estimate: an exact COUNT(*)
	// would scan the whole table before the first chunk.
	var avgRow int64
	if err := pc.DB.QueryRow(ctx, "SELECT COALESCE(MAX(TABLE_ROWS), 0), COALESCE(MAX(AVG_ROW_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", b.Table).Scan(&w.total, &avgRow); err != nil {
		return w, fmt.Errorf("batch %s: estimate rows of %s: %w", b.Name, b.Table, err)
	}
	if capped := w.throttle.capSize(b.MaxSize, avgRow); capped < b.MaxSize {
		w.b.MaxSize = max(capped, 1)
		w.b.MinSize = min(w.b.MinSize, w.b.MaxSize)
		w.b.Size = min(w.b.Size, w.b.MaxSize)
		pc.Log.Info("chunk size capped by the server's transaction limits", "batch", b.Name, "max_rows", w.b.MaxSize)
	}
	if c := patchrt.ChunkCap(ctx); c > 0 { // a rehearsal's crash-resume runs: four chunks or more, on a small fixture too
		w.b.MaxSize = max(min(w.b.MaxSize, c, int(w.total/4)), w.b.MinSize)
		w.b.Size = min(w.b.Size, w.b.MaxSize)
	}
	order := make([]string, len(keys))
	for i, k := range keys {
		order[i] = QuoteIdent(k.name)
	}
	w.orderBy = strings.Join(order, ", ")
	w.sz = sizer{aim: w.b.TargetTime / 2, min: w.b.MinSize, max: w.b.MaxSize, size: w.b.Size}
	w.lookCtx, w.stopLooking = context.WithCancel(ctx)
	return w, nil
}

// stopLookAhead cancels a bound lookup still running and waits for it.
func (w *batchWalk) stopLookAhead() {
	w.stopLooking()
	if w.ahead != nil {
		<-w.ahead.done
	}
}

// run walks the table chunk by chunk from the checkpoint to the end.
func (w *batchWalk) run(ctx context.Context) (BatchResult, error) {
	w.started, w.startRows = time.Now(), w.st.Rows
	w.lastLog = w.started
	tb := time.Now()
	hi, err := w.pc.chunkBound(ctx, w.b.Name, w.keys, w.table, w.orderBy, w.last, w.sz.size)
	if err != nil {
		return w.res, err
	}
	boundTime := time.Since(tb)
	for {
		if err := ctx.Err(); err != nil {
			return w.res, err
		}
		if err := w.pc.waitThrottle(ctx, w.throttle, w.b.Name); err != nil {
			return w.res, err
		}
		chunkRows, lock, err := w.chunk(ctx, hi)
		if err != nil {
			return w.res, err
		}
		w.pc.Log.Debug("batch chunk", "batch", w.b.Name, "rows", chunkRows, "lock", lock, "bound", boundTime)
		w.sz.observe(chunkRows, lock)
		w.report(lock)
		if w.st.Finished {
			return w.res, nil
		}
		if hi, boundTime, err = w.nextBound(ctx); err != nil {
			return w.res, err
		}
	}
}

// rangeOf is the condition selecting the rows after w.last up to hi (to
// the end when hi is nil).
func (w *batchWalk) rangeOf(hi []any) (string, []any) {
	lowerSQL, lowerArgs := after(w.keys, w.last)
	var conds []string
	var args []any
	if lowerSQL != "" {
		conds = append(conds, lowerSQL)
		args = append(args, lowerArgs...)
	}
	if hi != nil {
		s, a := upTo(w.keys, hi)
		conds = append(conds, s)
		args = append(args, a...)
	}
	if len(conds) == 0 {
		return "1=1", nil
	}
	return strings.Join(conds, " AND "), args
}

// chunk does the rows after w.last up to hi in one transaction with the
// checkpoint, and returns the rows it walked and how long it held its locks.
func (w *batchWalk) chunk(ctx context.Context, hi []any) (int64, time.Duration, error) {
	b := w.b
	rangeSQL, args := w.rangeOf(hi)
	chunkRows := int64(w.sz.size)
	if hi == nil {
		if err := w.pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM "+w.table+" WHERE "+rangeSQL, args...).Scan(&chunkRows); err != nil {
			return 0, 0, fmt.Errorf("batch %s: count last chunk: %w", b.Name, err)
		}
	} else {
		// Look up the bound of the chunk after this one meanwhile.
		w.ahead = w.pc.lookAhead(w.lookCtx, b.Name, w.keys, w.table, w.orderBy, hi, w.sz.predict())
	}
	where, whereArgs := rangeSQL, args
	if b.Where != "" {
		where = "(" + rangeSQL + ") AND (" + b.Where + ")"
		whereArgs = append(append([]any(nil), args...), b.WhereArgs...)
	}

	t0 := time.Now()
	tx, err := w.pc.DB.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("batch %s: %w", b.Name, err)
	}
	changed, rowErrs, err := w.pc.runChunk(ctx, tx, b, w.keys, Chunk{Table: b.Table, Where: where, Args: whereArgs}, w.orderBy)
	if err == nil && b.Row != nil && w.st.Errors+rowErrs > int64(b.MaxErrors) {
		err = fmt.Errorf("batch %s: %d rows failed, more than the %d allowed (MaxErrors); failed rows are in the log",
			b.Name, w.st.Errors+rowErrs, b.MaxErrors)
	}
	next := w.st
	next.Rows += chunkRows
	next.Changed += changed
	next.Errors += rowErrs
	if hi != nil {
		next.Last = encodeKey(hi)
	} else {
		next.Finished = true
	}
	if err == nil {
		err = w.pc.Save(ctx, tx, w.ckey, next)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		_ = tx.Rollback()
		return 0, 0, err
	}
	w.st, w.last = next, hi
	w.res.Chunks++
	w.res.Rows, w.res.Changed, w.res.Errors = next.Rows, next.Changed, next.Errors
	return chunkRows, time.Since(t0), nil
}

// report counts a chunk that held its locks for lock, and reports progress:
// to the callback after every chunk, to the log every 5 s and at the end.
func (w *batchWalk) report(lock time.Duration) {
	w.longest = max(w.longest, lock)
	if lock > w.b.TargetTime {
		w.slow++
	}
	st := w.st
	w.pc.Progress(w.b.Name, min(st.Rows, max(w.total, st.Rows)), max(w.total, st.Rows))
	if !st.Finished && time.Since(w.lastLog) < 5*time.Second {
		return
	}
	w.lastLog = time.Now()
	rate := float64(st.Rows-w.startRows) / max(time.Since(w.started).Seconds(), 1e-9)
	var eta time.Duration
	if rate > 0 && w.total > st.Rows {
		eta = time.Duration(float64(w.total-st.Rows) / rate * float64(time.Second))
	}
	w.pc.Log.Info("batch progress", "batch", w.b.Name, "rows", st.Rows, "total", w.total,
		"rate_rows_s", int64(rate), "eta", eta.Round(time.Second), "chunk_size", w.sz.size, "changed", st.Changed, "errors", st.Errors,
		"longest_chunk", w.longest.Round(time.Millisecond), "chunks_over_target", w.slow)
}

// nextBound returns the bound of the next chunk and how long finding it
// took: the one looked up meanwhile, unless it makes the next chunk clearly
// larger than what the last chunk's time calls for.
func (w *batchWalk) nextBound(ctx context.Context) ([]any, time.Duration, error) {
	tb := time.Now()
	<-w.ahead.done
	la := w.ahead
	w.ahead = nil
	if la.err != nil {
		return nil, 0, la.err
	}
	if la.size <= w.sz.size+w.sz.size/4 {
		w.sz.size = la.size
		return la.hi, la.took, nil
	}
	hi, err := w.pc.chunkBound(ctx, w.b.Name, w.keys, w.table, w.orderBy, w.last, w.sz.size)
	return hi, time.Since(tb), err
}

// sizer adapts the chunk size: it aims a chunk at half the target time,
// so that a chunk slower than the ones before still ends within the target,
// from a rate that falls at once with a slow chunk and rises by halves, and
// it at most doubles the size from one chunk to the next.
type sizer struct {
	aim      time.Duration
	min, max int
	size     int
	rate     float64 // rows/s, 0 before the first chunk
}

// predict returns the size of the next chunk if the running one goes at
// the rate seen so far.
func (s *sizer) predict() int {
	n := 2 * s.size
	if s.rate > 0 {
		n = min(n, int(s.rate*s.aim.Seconds()))
	}
	return min(max(n, s.min), s.max)
}

// observe takes the rows and the time of a chunk and sets the next size.
func (s *sizer) observe(rows int64, d time.Duration) {
	r := float64(rows) / max(d, time.Millisecond).Seconds()
	if s.rate == 0 {
		s.rate = r
	} else {
		s.rate = min(r, (s.rate+r)/2)
	}
	s.size = s.predict()
}

// boundLookup is a chunk bound being looked up ahead.
type boundLookup struct {
	size int
	hi   []any
	err  error
	took time.Duration
	done chan struct{}
}

// lookAhead starts looking up the bound of the chunk of size rows after
// last.
func (pc *Context) lookAhead(ctx context.Context, name string, keys []keyCol, table, orderBy string, last []any, size int) *boundLookup {
	l := &boundLookup{size: size, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.Now()
		l.hi, l.err = pc.chunkBound(ctx, name, keys, table, orderBy, last, size)
		l.took = time.Since(t)
	}()
	return l
}

// chunkBound returns the upper bound of the chunk of size rows after last:
// the size-th key after it, or nil when fewer rows are left.
func (pc *Context) chunkBound(ctx context.Context, name string, keys []keyCol, table, orderBy string, last []any, size int) ([]any, error) {
	lowerSQL, lowerArgs := after(keys, last)
	q := "SELECT " + orderBy + " FROM " + table
	if lowerSQL != "" {
		q += " WHERE " + lowerSQL
	}
	q += " ORDER BY " + orderBy + " LIMIT 1 OFFSET " + strconv.Itoa(size-1)
	hi, err := pc.scanKey(ctx, pc.DB, keys, q, lowerArgs...)
	if err != nil {
		return nil, fmt.Errorf("batch %s: find chunk bound: %s: %w", name, q, err)
	}
	return hi, nil
}

// runChunk does one chunk's work in tx.
func (pc *Context) runChunk(ctx context.Context, tx *DB, b Batch, keys []keyCol, c Chunk, orderBy string) (changed, rowErrs int64, err error) {
	switch {
	case b.Set != "":
		q := "UPDATE " + QuoteIdent(b.Table) + " SET " + b.Set + " WHERE " + c.Where
		r, err := tx.Exec(ctx, q, append(append([]any(nil), b.SetArgs...), c.Args...)...)
		if err != nil {
			return 0, 0, fmt.Errorf("batch %s: %s: %w", b.Name, q, err)
		}
		n, _ := r.RowsAffected()
		return n, 0, nil
	case b.Chunk != nil:
		n, err := b.Chunk(ctx, tx, c)
		if err != nil {
			return 0, 0, fmt.Errorf("batch %s: chunk: %w", b.Name, err)
		}
		return n, 0, nil
	}
	// Per row: read the chunk, then run Row for each under a savepoint.
	sel := []string{orderBy}
	cols := map[string]int{}
	for i, col := range b.Columns {
		sel = append(sel, QuoteIdent(col))
		cols[col] = i
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + QuoteIdent(b.Table) + " WHERE " + c.Where + " ORDER BY " + orderBy + " FOR UPDATE"
	rows, err := readRecords(ctx, tx, keys, len(b.Columns), cols, q, c.Args)
	if err != nil {
		return 0, 0, fmt.Errorf("batch %s: %w", b.Name, err)
	}
	for _, r := range rows {
		if _, err := tx.Exec(ctx, "SAVEPOINT migtest_row"); err != nil {
			return changed, rowErrs, fmt.Errorf("batch %s: savepoint: %w", b.Name, err)
		}
		mark := patchrt.Mark(ctx)
		if err := callRow(ctx, b.Row, tx, r); err != nil {
			if ctx.Err() != nil {
				return changed, rowErrs, ctx.Err()
			}
			rowErrs++
			patchrt.CountAgainst(ctx, mark, fmt.Sprintf("batch %s: MaxErrors %d", b.Name, b.MaxErrors))
			pc.Log.Warn("row failed", "batch", b.Name, "table", b.Table, "key", r.Key, "err", err)
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT migtest_row"); err != nil {
				return changed, rowErrs, fmt.Errorf("batch %s: rollback to savepoint: %w", b.Name, err)
			}
			continue
		}
		changed++
	}
	return changed, rowErrs, nil
}

// readRecords runs q and reads its rows: the key columns, then n columns
// named by cols.
func readRecords(ctx context.Context, tx *DB, keys []keyCol, n int, cols map[string]int, q string, args []any) ([]Record, error) {
	rs, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rs.Close()
	var rows []Record
	for rs.Next() {
		rawKey := make([]any, len(keys))
		raw := make([]sql.NullString, n)
		dest := make([]any, 0, len(rawKey)+len(raw))
		for i := range rawKey {
			dest = append(dest, &rawKey[i])
		}
		for i := range raw {
			dest = append(dest, &raw[i])
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read row: %w", err)
		}
		key, err := decodeKey(keys, keyTexts(keys, rawKey))
		if err != nil {
			return nil, err
		}
		rows = append(rows, Record{Key: key, cols: cols, vals: raw})
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	return rows, nil
}

func callRow(ctx context.Context, fn func(context.Context, *DB, Record) error, tx *DB, r Record) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(ctx, tx, r)
}

// keyColumns returns the walk key of table: given, or its primary key.
func (pc *Context) keyColumns(ctx context.Context, table string, given []string) ([]keyCol, error) {
	rows, err := pc.DB.Query(ctx, `SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, COALESCE(s.SEQ_IN_INDEX, 0)
FROM information_schema.COLUMNS c
LEFT JOIN information_schema.STATISTICS s ON s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME
  AND s.COLUMN_NAME = c.COLUMN_NAME AND s.INDEX_NAME = 'PRIMARY'
WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ?`, table)
	if err != nil {
		return nil, fmt.Errorf("batch over %s: read key columns: %w", table, err)
	}
	defer rows.Close()
	type colInfo struct {
		kind byte
		seq  int
	}
	info := map[string]colInfo{}
	var pk []string
	pkSeq := map[int]string{}
	for rows.Next() {
		var name, dataType, colType string
		var seq int
		if err := rows.Scan(&name, &dataType, &colType, &seq); err != nil {
			return nil, fmt.Errorf("batch over %s: read key columns: %w", table, err)
		}
		kind := byte('s')
		switch strings.ToLower(dataType) {
		case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
			kind = 'i'
			if strings.Contains(strings.ToLower(colType), "unsigned") {
				kind = 'u'
			}
		case "date":
			kind = 'd'
		case "datetime", "timestamp":
			kind = 't'
		}
		info[name] = colInfo{kind: kind, seq: seq}
		if seq > 0 {
			pkSeq[seq] = name
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(info) == 0 {
		return nil, fmt.Errorf("batch over %s: no such table", table)
	}
	for i := 1; i <= len(pkSeq); i++ {
		pk = append(pk, pkSeq[i])
	}
	if len(given) == 0 {
		given = pk
	}
	if len(given) == 0 {
		return nil, fmt.Errorf("batch over %s: the table has no primary key: set Batch.Key to unique, indexed columns", table)
	}
	keys := make([]keyCol, len(given))
	for i, k := range given {
		ci, ok := info[k]
		if !ok {
			return nil, fmt.Errorf("batch over %s: key column %s does not exist", table, k)
		}
		keys[i] = keyCol{name: k, kind: ci.kind}
	}
	return keys, nil
}

// scanKey runs q and returns the key in its single row, or nil for no row.
func (pc *Context) scanKey(ctx context.Context, db *DB, keys []keyCol, q string, args ...any) ([]any, error) {
	raw := make([]any, len(keys))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	if err := db.QueryRow(ctx, q, args...).Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	return decodeKey(keys, keyTexts(keys, raw))
}

// keyTexts turns scanned key values into what decodeKey takes: dates and
// times (time.Time when the DSN has parseTime=true) in the server's own
// format, which it compares the columns with, bytes as strings, NULL as "".
func keyTexts(keys []keyCol, raw []any) []any {
	out := make([]any, len(raw))
	for i, v := range raw {
		switch x := v.(type) {
		case nil:
			out[i] = ""
		case []byte:
			out[i] = string(x)
		case time.Time:
			switch {
			case keys[i].kind == 'd' && x.IsZero():
				out[i] = "0000-00-00"
			case keys[i].kind == 'd':
				out[i] = x.Format(time.DateOnly)
			case x.IsZero():
				out[i] = "0000-00-00 00:00:00"
			default:
				out[i] = x.Format("2006-01-02 15:04:05.999999")
			}
		default:
			out[i] = v
		}
	}
	return out
}

// encodeKey makes a key JSON-safe for the checkpoint.
func encodeKey(k []any) []any { return append([]any(nil), k...) }

// decodeKey turns checkpointed (or scanned) values back into query
// arguments of the key columns' types; nil stays nil.
func decodeKey(keys []keyCol, vals []any) ([]any, error) {
	if vals == nil {
		return nil, nil
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("key has %d values, want %d", len(vals), len(keys))
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		s := fmt.Sprint(v)
		switch x := v.(type) {
		case float64: // JSON numbers
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case int64:
			s = strconv.FormatInt(x, 10)
		case uint64:
			s = strconv.FormatUint(x, 10)
		}
		switch keys[i].kind {
		case 'i':
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("key column %s: %q is not an integer", keys[i].name, s)
			}
			out[i] = n
		case 'u':
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("key column %s: %q is not an unsigned integer", keys[i].name, s)
			}
			out[i] = n
		default:
			out[i] = s
		}
	}
	return out, nil
}

// after is the condition "key > k" over the key columns, as a disjunction
// MariaDB's range optimizer uses (it does not use an index for row
// comparisons such as (a, b) > (?, ?)); "" when k is nil.
func after(keys []keyCol, k []any) (string, []any) {
	return compare(keys, k, ">", ">")
}

// upTo is the condition "key <= k".
func upTo(keys []keyCol, k []any) (string, []any) {
	return compare(keys, k, "<", "<=")
}

// compare expands the row comparison "key op k" to (k1 op v1) OR (k1 = v1
// AND k2 op v2) ..., with lastOp for the last column.
func compare(keys []keyCol, k []any, op, lastOp string) (string, []any) {
	if k == nil {
		return "", nil
	}
	var ors []string
	var args []any
	for i := range keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, QuoteIdent(keys[j].name)+" = ?")
			args = append(args, k[j])
		}
		o := op
		if i == len(keys)-1 {
			o = lastOp
		}
		ands = append(ands, QuoteIdent(keys[i].name)+" "+o+" ?")
		args = append(args, k[i])
		ors = append(ors, strings.Join(ands, " AND "))
	}
	if len(ors) == 1 {
		return ors[0], args
	}
	return "((" + strings.Join(ors, ") OR (") + "))", args
}
