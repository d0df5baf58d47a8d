package dump

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// Segments: a table's run of INSERTs in one LOAD DATA. A worker that takes
// an INSERT the fast path loads (loaddata.go) goes on with the same
// table's INSERTs queued right behind it, in the same LOAD DATA statement
// and transaction, so a table the dump writes as a thousand INSERTs loads
// in one statement. Into an empty InnoDB table with unique_checks and
// foreign_key_checks off (as mariadb-dump and mysqldump set them) MariaDB
// 10.6+ takes such a statement as a bulk insert (MDEV-24621, MDEV-34703):
// no undo log record and no record lock per row. Two connections loading
// two tables that way cost the server a quarter less CPU than the same
// rows in a statement per INSERT (docs/benchmarks-dump.md).
//
// A segment ends at the first queued statement that is anything else
// (another table's, a SET, the table's ENABLE KEYS), when its queue is
// empty and the reader waits for the workers (queue.seal), when segments
// hold half the read-ahead memory, or after segmentTime. It keeps its
// INSERTs until it commits: when the server did not take every row
// without a warning, or the COMMIT fails, it is rolled back and its
// INSERTs run one by one as they are, so the result and every error are
// the INSERT's, as for a load of one INSERT.
//
// Segments are off on a Galera node (one large transaction stalls the
// cluster's certification) and when INSERTs are spread over the workers.

// segmentTime bounds one segment. MariaDB 10.11's statistics thread spins
// on a table under a bulk insert, burning a core (its recalculation
// returns at once and the next row queues the table again), unless the
// table's statistics were recalculated less than 10 seconds before. So
// the first segment of a table is preceded by an ANALYZE of the table,
// still empty (half a millisecond), and ends before those 10 seconds are
// up; the table's later segments are not bulk inserts, as it is no
// longer empty.
const segmentTime = 9 * time.Second

// segmentWait is how long a segment waits for the reader to queue the
// next INSERT: a transaction left open longer while idle could hold up
// another connection's DDL (a foreign key to the table) that the reader
// waits for in turn.
const segmentWait = 250 * time.Millisecond

// segment is one LOAD DATA of a run of a table's INSERTs; it is the
// io.Reader whose text the driver sends to the server.
type segment struct {
	l     *loader
	w     *worker
	tab   *ldTable
	table string
	ld    ldItem // the first item's: every item of the run has the same
	cols  string // the column list every item loads into
	d     sqltext.Dialect
	items []item
	rows  []int64 // the rows of each item
	total int64
	held  int64 // bytes of the items counted in the read-ahead budget
	until time.Time
	buf   bytes.Buffer
	err   error // a failure of the queue that ended the run
}

// runSegment loads it, an INSERT worker w took, and the INSERTs that
// continue it as a segment. It reports false, having run nothing, when
// it is not for the fast path: the worker then runs it as usual.
func (l *loader) runSegment(w *worker, it *item) (bool, error) {
	if it.ld != nil && it.ld.tab == nil {
		l.spooledLD(it)
	}
	ld := it.ld
	if ld == nil || !l.segments || l.noLocal.Load() || ld.tab.off.Load() || !ld.tab.prepare(l.ctx, w.conn, it.table) {
		return false, nil
	}
	s := &segment{l: l, w: w, tab: ld.tab, table: it.table, ld: *ld,
		d: sqltext.Dialect{Version: max(l.version, 1), MySQL: !l.mariadb, ANSIQuotes: ld.ansi}}
	switch s.add(it) {
	case addNoRoom: // loads alone (loadData)
		return false, nil
	case addNotPlain:
		it.ld = nil // the INSERT runs as it is
		if !ld.tab.noted.Swap(true) {
			l.debug("ran an INSERT as it is: not plain literals the fast path loads (logged once a table)", "statement", it.num, "line", it.line, "table", it.table)
		}
		return false, nil
	}
	defer s.release()
	if err := l.failed(); err != nil {
		return true, err
	}
	l.mu.Lock()
	l.running++
	l.mu.Unlock()
	err := s.run()
	l.mu.Lock()
	l.running--
	l.mu.Unlock()
	return true, err
}

// run loads the segment and settles its items.
func (s *segment) run() error {
	l := s.l
	s.analyze()
	start := time.Now()
	s.until = start.Add(l.cfg.segmentTime)
	defer context.AfterFunc(l.ctx, s.w.q.wake)()
	err := s.load()
	var end *txnEndError
	switch {
	case err == nil:
		l.debug("loaded a run of INSERTs in one LOAD DATA", "table", s.table, "statements", len(s.items), "rows", s.total,
			"first_line", s.items[0].line, "worker", s.w.id, "took", time.Since(start).Round(time.Millisecond))
		l.loads.Add(int64(len(s.items)))
		for i := range s.items {
			l.count(&s.items[i], s.rows[i])
			l.settle(s.w, &s.items[i])
		}
		return nil
	case l.ctx.Err() != nil:
		if e := l.failed(); e != nil {
			return e
		}
		return context.Cause(l.ctx)
	case s.err != nil:
		return stmtErr(&s.items[0], s.err)
	case errors.As(err, &end):
		return stmtErr(&s.items[0], err)
	}
	return s.replay(err)
}

// load runs the segment's LOAD DATA in a transaction, committed only when
// every row went in without a warning. An error other than a
// txnEndError left nothing of it.
func (s *segment) load() error {
	l, conn := s.l, s.w.conn
	name := "migtest-" + strconv.FormatUint(ldSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return s })
	defer mysql.DeregisterReaderHandler(name)
	if _, err := conn.ExecContext(l.ctx, "BEGIN"); err != nil {
		return err
	}
	_, err := l.loadRows(conn, ldQuery(name, s.table, s.ld.charset, s.cols), func() int64 { return s.total })
	if err == nil && s.err != nil {
		err = s.err
	}
	if err != nil {
		if _, rerr := conn.ExecContext(l.ctx, "ROLLBACK"); rerr != nil {
			return &txnEndError{"ROLLBACK", errors.Join(err, rerr)}
		}
		return err
	}
	if _, err := conn.ExecContext(l.ctx, "COMMIT"); err != nil {
		var me *mysql.MySQLError
		if !errors.As(err, &me) {
			return &txnEndError{"COMMIT", err}
		}
		// A duplicate in a unique index shows at the COMMIT of a bulk
		// insert; the server rolled back, and the INSERTs decide.
		if _, rerr := conn.ExecContext(l.ctx, "ROLLBACK"); rerr != nil {
			return &txnEndError{"ROLLBACK", errors.Join(err, rerr)}
		}
		return err
	}
	return nil
}

// replay runs the segment's INSERTs as they are, after its load was
// rolled back for why.
func (s *segment) replay(why error) error {
	l := s.l
	l.ldFallback(&s.items[0], why)
	s.release()
	for i := range s.items {
		it := s.items[i]
		it.ld = nil
		l.doneRaw.Add(-it.raw) // counted again as it runs
		if err := l.exec(s.w.conn, &it); err != nil {
			return err
		}
		l.settle(s.w, &s.items[i])
	}
	return nil
}

// analyze recalculates the statistics of the table before its first
// segment (segmentTime).
func (s *segment) analyze() {
	l := s.l
	if !l.analyzeFirst || s.tab.started.Swap(true) {
		return
	}
	if err := s.analyzeTable(); err != nil {
		l.debug("could not ANALYZE a table before its load (the server may spend a core on its statistics while it loads)", "table", s.table, "why", err)
		return
	}
	l.debug("analyzed a table before its first load", "table", s.table)
}

// analyzeTable runs ANALYZE LOCAL TABLE (not written to the binary log)
// and reads its report.
func (s *segment) analyzeTable() error {
	rows, err := s.w.conn.QueryContext(s.l.ctx, "ANALYZE LOCAL TABLE "+quoteIdent(s.table))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// Read hands the driver the converted text of the run, taking the next
// INSERT from the queue as it goes.
func (s *segment) Read(p []byte) (int, error) {
	for s.buf.Len() == 0 {
		if !s.more() {
			return 0, io.EOF
		}
	}
	return s.buf.Read(p)
}

// more adds the next queued item to the run, if it continues it.
func (s *segment) more() bool {
	if time.Now().After(s.until) {
		return false
	}
	quit := func() bool { return s.l.ctx.Err() != nil }
	it, ok, err := s.w.q.follow(s.continues, quit, segmentWait)
	switch {
	case err != nil:
		s.err = err
		return false
	case !ok:
		return false
	}
	if it.ld != nil && it.ld.tab == nil {
		s.l.spooledLD(&it)
	}
	if it.ld == nil || it.ld.tab != s.tab || s.add(&it) != added {
		s.w.q.unread(it)
		return false
	}
	return true
}

// continues reports whether a queued item may continue the run: an
// INSERT of the table for the fast path (add decides the rest).
func (s *segment) continues(it *item) bool {
	return it.ld != nil && it.table == s.table && (it.ld.tab == nil || it.ld.tab == s.tab) &&
		it.ld.charset == s.ld.charset && it.ld.ansi == s.ld.ansi
}

// addResult is what add did with an item.
type addResult int

const (
	added       addResult = iota
	addNoRoom             // segments hold half the read-ahead memory
	addNotPlain           // not plain literals into the run's columns, or larger than a statement may be
)

// add converts it onto the run's text; nothing is added unless it returns
// added.
func (s *segment) add(it *item) addResult {
	l := s.l
	if l.maxPacket > 0 && int64(len(it.text)) >= l.maxPacket {
		return addNotPlain // the INSERT fails as it would without the fast path
	}
	size := itemSize(it)
	if !l.budget.hold(size) {
		return addNoRoom
	}
	mark := s.buf.Len()
	s.buf.Grow(len(it.text)) // about as long as the INSERT: converted without growing
	cv, ok := s.tab.convert(it.text, s.d, &s.buf)
	cols := strings.Join(cv.cols, ",")
	if !ok || len(s.items) > 0 && cols != s.cols {
		s.buf.Truncate(mark)
		l.budget.release(size)
		return addNotPlain
	}
	s.cols = cols
	s.held += size
	s.items = append(s.items, *it)
	s.rows = append(s.rows, cv.rows)
	s.total += cv.rows
	l.doneRaw.Add(it.raw) // progress as the server reads it
	return added
}

// release gives back the memory the run's items were counted in.
func (s *segment) release() {
	if s.held > 0 {
		s.l.budget.release(s.held)
		s.held = 0
	}
}

// seal ends the segments waiting for more input: the reader is about to
// wait for the workers.
func (l *loader) seal() {
	for _, w := range l.workers {
		w.q.seal()
	}
}

// checkSegments decides whether the workers load in segments and whether
// a table's first one is preceded by an ANALYZE (segmentTime).
func (l *loader) checkSegments() {
	conn := l.ctrl
	var wsrep sql.NullString
	galera := conn.QueryRowContext(l.ctx, "SELECT @@GLOBAL.wsrep_on").Scan(&wsrep) == nil && (wsrep.String == "1" || strings.EqualFold(wsrep.String, "ON"))
	l.segments = !l.noLocal.Load() && !galera && l.cfg.spreadMin < 0
	if !l.segments || !l.mariadb || l.version < 100600 {
		return
	}
	// ANALYZE TABLE collects the engine-independent statistics too unless
	// use_stat_tables is NEVER or one of the _FOR_QUERIES values.
	var use string
	if err := conn.QueryRowContext(l.ctx, "SELECT @@use_stat_tables").Scan(&use); err == nil {
		l.analyzeFirst = use == "NEVER" || strings.HasSuffix(use, "_FOR_QUERIES")
	}
}
