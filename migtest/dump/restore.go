// Package dump writes and reads SQL dumps of one MariaDB (or MySQL)
// database: Backup writes a consistent, stock-client-compatible .sql.gz
// with a manifest, Restore loads any dump the stock tools write (and
// hand-written scripts) on several connections at once, and Verify checks
// a backup file against its manifest.
package dump

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/dump/sqlsplit"
)

// Stats describes a finished restore.
type Stats struct {
	// Statements is the number of the input's statements run on the
	// server (not counting what Restore adds, such as index builds).
	Statements int64
	// Rows is the number of rows the data statements inserted.
	Rows int64
	// Bytes is the number of input bytes read, as given (compressed when
	// the input is).
	Bytes int64
	// Tables is the number of tables and sequences created.
	Tables int
	// LoadData is the number of the data statements whose rows were sent
	// through LOAD DATA LOCAL INFILE (WithLoadData).
	LoadData int64
	// Duration is the wall time of the restore.
	Duration time.Duration
}

// Progress is a snapshot of a running restore or backup, for a progress bar.
type Progress struct {
	// Bytes of input done (restore: estimated in compressed bytes for a
	// compressed input) or of output written (backup).
	Bytes int64
	// TotalBytes is the size of the input (restore) or the estimated size
	// of the data (backup); 0 if unknown.
	TotalBytes int64
	// Statements run (restore) or tables finished (backup).
	Statements int64
	// Rows inserted (restore) or read (backup).
	Rows int64
	// Rate is Bytes per second so far.
	Rate float64
	// ETA is the estimated time left; 0 if unknown.
	ETA time.Duration
}

// RestoreOption configures Restore.
type RestoreOption func(*restoreConfig)

type restoreConfig struct {
	parallel   int
	progress   func(Progress)
	deferIdx   bool
	logger     *slog.Logger
	tempDir    string
	memBudget  int64
	diskBudget int64
	totalBytes int64
	keep       bool
	only       map[string]bool // restore just these tables (nil: everything)
	charset    string
	collation  string
	spreadMin  int // smallest INSERT spread over the workers; < 0: none (see spreadable)
	// stealBelow: idle workers take over order-free INSERTs from a busy
	// one while fewer workers than this are running (steal.go); 0: never.
	stealBelow int
	loadData   bool
	// segmentTime bounds a segment (segment.go).
	segmentTime time.Duration
}

// WithLoadData lets the loading connections send the rows of plain
// INSERTs of literals through LOAD DATA LOCAL INFILE (on by default; see
// loaddata.go and BENCHMARKS.md): the server parses them faster. A load
// that does not insert every row without a warning is rolled back and
// the INSERT runs instead, so the result, and every error, is the
// INSERT's. A server with local_infile=OFF gets the INSERTs.
func WithLoadData(on bool) RestoreOption {
	return func(c *restoreConfig) { c.loadData = on }
}

// WithCharset sets the target database's default character set and
// collation (either may be empty) before anything is loaded; the dump's
// own CREATE/ALTER DATABASE options are then not applied. Without it they
// are: a routine's or table's columns that take the database default get
// the source's, as with the stock client.
func WithCharset(charset, collation string) RestoreOption {
	return func(c *restoreConfig) { c.charset, c.collation = charset, collation }
}

// WithTables restores only the named tables (their definitions, rows and
// triggers) and nothing else of the dump: no views, routines or events, and
// no DROP/CREATE DATABASE. The target may hold other tables; the named ones
// must not exist in it. Rollback of the tables a migration touched uses it.
func WithTables(names ...string) RestoreOption {
	return func(c *restoreConfig) {
		c.only = make(map[string]bool, len(names))
		for _, n := range names {
			c.only[n] = true
		}
	}
}

// WithParallel sets the number of connections that load data, default
// min(4, NumCPU+1). With 1, Restore runs every statement in input order on
// one connection, like the stock client, transactions and LOCK TABLES
// included.
func WithParallel(n int) RestoreOption {
	return func(c *restoreConfig) { c.parallel = max(n, 1) }
}

// defaultParallel is the number of loading connections on a client with
// ncpu cores: one more than the cores, at most four. On two cores a
// fourth connection only adds contention: three loads and the client's
// reading keep both cores busy, and the disposable server shares them
// (docs/benchmarks-dump.md, "Session 9").
func defaultParallel(ncpu int) int { return min(4, ncpu+1) }

// WithRestoreProgress calls fn about four times a second with the
// progress, and once at the end.
func WithRestoreProgress(fn func(Progress)) RestoreOption {
	return func(c *restoreConfig) { c.progress = fn }
}

// WithDeferredIndexes creates tables with their primary, unique, full-text
// and spatial keys only, and adds the plain secondary indexes in one ALTER
// TABLE per table once its data is in (on by default: see BENCHMARKS.md).
func WithDeferredIndexes(on bool) RestoreOption {
	return func(c *restoreConfig) { c.deferIdx = on }
}

// WithRestoreLogger logs what Restore skips or rewrites (USE, CREATE
// DATABASE, LOCK TABLES ...) at debug level and its phases at info level.
func WithRestoreLogger(l *slog.Logger) RestoreOption {
	return func(c *restoreConfig) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithTempDir sets where statements read ahead of the loading connections
// are spooled when they exceed the memory budget (os.TempDir by default).
func WithTempDir(dir string) RestoreOption {
	return func(c *restoreConfig) { c.tempDir = dir }
}

// WithReadAhead sets how many bytes of statements Restore may hold in
// memory (default 256 MiB) and on disk (default 4 GiB) while the
// connections loading earlier tables catch up. Reading ahead is what lets
// tables that follow each other in a dump load at the same time.
func WithReadAhead(memory, disk int64) RestoreOption {
	return func(c *restoreConfig) { c.memBudget, c.diskBudget = max(memory, 1<<20), max(disk, 0) }
}

// WithTotalBytes gives the input's size, for the progress ETA, when the
// reader is not a regular file.
func WithTotalBytes(n int64) RestoreOption {
	return func(c *restoreConfig) { c.totalBytes = n }
}

// WithKeepOnError leaves what a failed restore created in place, for
// debugging, instead of dropping it.
func WithKeepOnError(keep bool) RestoreOption {
	return func(c *restoreConfig) { c.keep = keep }
}

// StatementError is a statement the server (or the input) rejected.
type StatementError struct {
	Number  int   // statement number in the input, from 1
	Line    int   // line in the input, from 1
	Offset  int64 // byte offset in the (uncompressed) input
	Excerpt string
	Err     error
}

func (e *StatementError) Error() string {
	return fmt.Sprintf("statement %d at line %d (byte %d) %q: %v", e.Number, e.Line, e.Offset, e.Excerpt, e.Err)
}

func (e *StatementError) Unwrap() error { return e.Err }

func stmtErr(it *item, err error) error {
	return &StatementError{Number: it.num, Line: it.line, Offset: it.offset, Excerpt: sqlsplit.Excerpt([]byte(it.text[:min(len(it.text), 200)]), 80), Err: explain(err, len(it.text))}
}

// explain adds what to do to errors that have a known remedy.
func explain(err error, size int) error {
	var me *mysql.MySQLError
	switch {
	case errors.Is(err, mysql.ErrPktTooLarge):
		return fmt.Errorf("%w: the statement is %d bytes; raise max_allowed_packet on the server (SET GLOBAL max_allowed_packet=1073741824) and use maxAllowedPacket=0 in the DSN", err, size)
	case errors.As(err, &me) && me.Number == 1153:
		return fmt.Errorf("%w: the statement is %d bytes; raise max_allowed_packet on the server (SET GLOBAL max_allowed_packet=1073741824)", err, size)
	case errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the connection to the server was lost", err)
	}
	return err
}

// Restore reads a dump (.sql, or .sql.gz/.zst/.bz2, recognised by content)
// from r and loads it into database on the server reached through db. db
// may name any default database: Restore pins its own connections and
// uses database on them.
//
// CREATE DATABASE, USE and ALTER DATABASE of the dump's own database are
// rewritten to database; a dump that names a second database is refused.
// Tables load in parallel, each table's statements in input order, except
// that a connection left idle while a large table loads takes over that
// table's plain INSERTs from the far end, in the session the dump set for
// them (see steal.go); views and triggers are created after the data (in
// input order, with the session settings they were written under), and
// plain secondary indexes are built after each table's data
// (WithDeferredIndexes).
//
// On failure Restore stops at the first error, which names the statement
// number, line, byte offset and an excerpt, and drops every table, view,
// trigger, routine and event it created, so that database never looks
// complete (unless WithKeepOnError). The caller should make sure the
// target is empty first.
func Restore(ctx context.Context, db *sql.DB, database string, r io.Reader, opts ...RestoreOption) (Stats, error) {
	cfg := restoreConfig{
		parallel:   defaultParallel(runtime.NumCPU()),
		deferIdx:   true,
		logger:     slog.New(slog.DiscardHandler),
		memBudget:  256 << 20,
		diskBudget: 4 << 30,
		spreadMin:  -1, // off: not yet shown faster (see docs/benchmarks-dump.md)
		stealBelow: runtime.NumCPU(),
		loadData:   true,

		segmentTime: segmentTime,
	}
	for _, o := range opts {
		o(&cfg)
	}
	start := time.Now()
	var st Stats
	if database == "" {
		return st, errors.New("restore: no target database given")
	}
	if n := db.Stats().MaxOpenConnections; n > 0 {
		cfg.parallel = min(cfg.parallel, max(1, n-1)) // one left for the control connection
		if cfg.parallel+2 > n {
			cfg.stealBelow = 0 // no room for the helper connection
		}
	}
	in, err := openInput(r)
	if err != nil {
		return st, fmt.Errorf("restore into %s: %w", database, err)
	}
	defer in.close()
	if cfg.totalBytes == 0 {
		cfg.totalBytes = in.total
	}
	l := &loader{cfg: cfg, db: db, target: database, in: in, start: start}
	err = l.run(ctx)
	st = Stats{Statements: l.statements.Load(), Rows: l.rows.Load(), Bytes: in.read.n.Load(), Tables: l.tables, LoadData: l.loads.Load(), Duration: time.Since(start)}
	if err != nil {
		return st, fmt.Errorf("restore into %s: %w%s", database, err, l.cleanup())
	}
	l.report()
	cfg.logger.Info("restore finished", "database", database, "statements", st.Statements, "rows", st.Rows, "tables", st.Tables, "bytes", st.Bytes, "load_data", st.LoadData, "taken_over", l.helped.Load(), "duration", st.Duration.Round(time.Millisecond))
	return st, nil
}

// tableState is what the loader knows about one table of the dump.
type tableState struct {
	worker int // the worker its queued statements are on
	queued int // its statements queued or running (guarded by loader.mu)
	adds   []string
	fks    bool // has foreign keys
	// autoInc: it has an AUTO_INCREMENT column; spread: its INSERTs are
	// queued on several workers (see spreadable).
	autoInc, spread bool
	from            item // its CREATE TABLE, for errors about deferred indexes
	ld              *ldTable
}

// deferredDDL is a view or trigger statement created after the data.
type deferredDDL struct {
	it   item
	sess session
	name string // the view, or the trigger's table
}

// session is what a view, trigger or routine records of the session that
// creates it.
type session struct {
	sqlMode, charsetClient, collationConn, timeZone string
}

type worker struct {
	id    int
	conn  *sql.Conn
	q     *queue
	done  chan struct{}
	bytes int64 // queued bytes (guarded by loader.mu)
	n     int   // queued items (guarded by loader.mu)
}

type loader struct {
	cfg    restoreConfig
	db     *sql.DB
	target string
	in     *input
	start  time.Time

	ctx     context.Context
	cancel  context.CancelFunc
	ctrl    *sql.Conn
	workers []*worker
	budget  *budget
	sc      *sqlsplit.Scanner
	before  map[string]string // objects in the target before the restore

	version int
	mariadb bool
	source  string // the dump's own database, once named
	// sourceHeader: source was read from the dump's header comment.
	sourceHeader bool
	others       map[string]bool // the server's other databases, for the guard
	ansi         bool
	fkChecks     bool
	// ldCharset is the connection character set the LOAD DATA fast path
	// loads text in, "" when the session's settings rule it out.
	ldCharset string
	// noLocal: the server refuses LOAD DATA LOCAL (or WithLoadData(false)).
	noLocal atomic.Bool
	// segments: the workers load runs of a table's INSERTs in one LOAD
	// DATA; analyzeFirst: ANALYZE a table before its first (segment.go).
	segments, analyzeFirst bool
	// maxPacket is the server's max_allowed_packet: a statement larger
	// than it is sent as the INSERT, which the server refuses, never as a
	// LOAD DATA, which it would take in smaller packets (0: unknown).
	maxPacket int64
	sess      session
	sessOK    bool

	tableMap  map[string]*tableState
	pending   []deferredDDL
	triggered map[string]bool // tables with triggers: their DML runs alone
	views     map[string]bool
	noData    map[string]string // tables the dump created with an engine without storage
	// ours: the input is a migtest backup, whose rows for noData tables
	// (written before issue 11) are skipped; any other input's run.
	ours    bool
	tables  int
	header  bool // the input starts like a mariadb-dump/mysqldump file
	trailer bool // and ends with its "-- Dump completed" line

	mu   sync.Mutex
	cond *sync.Cond
	err  error
	// running counts the workers executing a statement; sets holds the
	// session broadcasts sent so far, the statements of each (guarded by
	// mu; an item's epoch is len(sets) when it was queued).
	running int
	sets    [][]string
	help    helper // steal.go

	statements, rows, doneRaw, readRaw atomic.Int64
	loads                              atomic.Int64 // statements loaded through LOAD DATA
	helped                             atomic.Int64 // INSERTs an idle worker took over (steal.go)
	logged                             map[string]bool
}

func (l *loader) sequential() bool { return l.cfg.parallel <= 1 }

// fail records the first error and stops the workers.
func (l *loader) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
		l.cancel()
	}
	l.cond.Broadcast()
	l.mu.Unlock()
	if b := l.budget; b != nil {
		b.mu.Lock()
		b.closed = true
		b.cond.Broadcast()
		b.mu.Unlock()
	}
}

func (l *loader) failed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *loader) run(ctx context.Context) (err error) {
	l.ctx, l.cancel = context.WithCancel(ctx)
	defer l.cancel()
	l.cond = sync.NewCond(&l.mu)
	// The caller's cancel ends every wait at once, not only those behind
	// a statement the cancel interrupts (stop runs before l.cancel).
	stop := context.AfterFunc(l.ctx, func() { l.fail(context.Cause(l.ctx)) })
	defer stop()
	l.tableMap = map[string]*tableState{}
	l.triggered = map[string]bool{}
	l.views = map[string]bool{}
	l.noData = map[string]string{}
	l.logged = map[string]bool{}

	if l.ctrl, err = l.db.Conn(l.ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer discard(l.ctrl)
	var ver string
	if err := l.ctrl.QueryRowContext(l.ctx, "SELECT VERSION()").Scan(&ver); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	l.version, l.mariadb = parseVersion(ver)
	if _, err := l.ctrl.ExecContext(l.ctx, "USE "+quoteIdent(l.target)); err != nil {
		return fmt.Errorf("use the target database: %w (create it first)", err)
	}
	if err := l.loadDatabases(l.ctx, l.ctrl); err != nil {
		return err
	}
	if l.before, err = listObjects(l.ctx, l.ctrl, l.target); err != nil {
		return fmt.Errorf("list the objects in the target: %w", err)
	}
	if err := l.existingTriggers(); err != nil {
		return err
	}
	if l.cfg.charset != "" || l.cfg.collation != "" {
		q := "ALTER DATABASE " + quoteIdent(l.target)
		if l.cfg.charset != "" {
			q += " CHARACTER SET " + quoteString(l.cfg.charset)
		}
		if l.cfg.collation != "" {
			q += " COLLATE " + quoteString(l.cfg.collation)
		}
		if _, err := l.ctrl.ExecContext(l.ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := l.refreshSession(); err != nil {
		return err
	}
	l.checkLocalInfile()
	l.checkSegments()

	if !l.sequential() {
		dir := l.cfg.tempDir
		if dir == "" {
			dir = os.TempDir()
		}
		l.budget = newBudget(l.cfg.memBudget, l.cfg.diskBudget, dir)
		for i := range l.cfg.parallel {
			c, err := l.db.Conn(l.ctx)
			if err != nil {
				l.stopWorkers()
				return fmt.Errorf("connect: %w", err)
			}
			if _, err := c.ExecContext(l.ctx, "USE "+quoteIdent(l.target)); err != nil {
				discard(c)
				l.stopWorkers()
				return fmt.Errorf("use the target database: %w", err)
			}
			w := &worker{id: i, conn: c, q: newQueue(l.budget), done: make(chan struct{})}
			l.workers = append(l.workers, w)
			go l.runWorker(w)
		}
	}
	defer l.stopWorkers()

	stopProgress := l.startProgress()
	defer stopProgress()

	l.sc = sqlsplit.NewScanner(l.in.sql)
	first := true
	for l.sc.Scan() {
		p := l.sc.Piece()
		l.readRaw.Add(int64(len(p.Raw)))
		if first && (p.Kind == sqlsplit.Statement || p.Kind == sqlsplit.Empty) {
			first = false
			l.header = looksLikeDumpHeader(p.Raw)
			l.ours = bytes.Contains(p.Raw[:min(len(p.Raw), 512)], []byte("-- migtest dump"))
			if l.header && l.source == "" {
				l.source = headerDatabase(p.Raw)
				l.sourceHeader = l.source != ""
			}
		}
		if err := l.piece(p); err != nil {
			l.fail(err)
			break
		}
		if err := l.failed(); err != nil {
			break
		}
	}
	if err := l.failed(); err != nil {
		return err
	}
	if err := l.sc.Err(); err != nil {
		if l.lastLine() == 0 {
			return fmt.Errorf("read the input before its first statement: %w%s", err, corruptHint(err))
		}
		return fmt.Errorf("read the input after line %d: %w%s", l.lastLine(), err, corruptHint(err))
	}
	if err := l.finish(); err != nil {
		return err
	}
	if l.statements.Load() == 0 {
		return fmt.Errorf("%w: it holds no SQL statements", ErrEmpty)
	}
	if l.header && !l.trailer {
		return fmt.Errorf("the dump ends at line %d without the \"-- Dump completed\" line its tool writes last: it is truncated", l.lastLine())
	}
	return nil
}

func (l *loader) lastLine() int {
	if p := l.sc.Piece(); p != nil {
		return p.Line
	}
	return 0
}

// looksLikeDumpHeader reports whether the first piece carries the header
// comment of a tool that ends its dumps with "-- Dump completed".
func looksLikeDumpHeader(raw []byte) bool {
	raw = raw[:min(len(raw), 512)]
	for _, h := range []string{"-- MariaDB dump", "-- MySQL dump", "-- migtest dump"} {
		if bytes.Contains(raw, []byte(h)) {
			return true
		}
	}
	return false
}

// tableEngine returns the ENGINE of a CREATE TABLE statement, upper-cased
// ("MERGE" as "MRG_MYISAM"), or "".
func tableEngine(text string, version int, mariadb, ansi bool) string {
	toks := newLexer(text, version, mariadb, ansi).all()
	for i := len(toks) - 2; i >= 0; i-- {
		if !toks[i].is("ENGINE") && !toks[i].is("TYPE") {
			continue
		}
		j := i + 1
		if toks[j].kind == tPunct && toks[j].text == "=" && j+1 < len(toks) {
			j++
		}
		if n, ok := toks[j].name(); ok {
			if n = strings.ToUpper(n); n == "MERGE" {
				return "MRG_MYISAM"
			}
			return strings.ToUpper(n)
		}
	}
	return ""
}

// endsCompleted reports whether raw's last non-blank line is a dump tool's
// "-- Dump completed" line.
func endsCompleted(raw []byte) bool {
	raw = bytes.TrimRight(raw, " \t\r\n")
	if i := bytes.LastIndexByte(raw, '\n'); i >= 0 {
		raw = raw[i+1:]
	}
	return bytes.HasPrefix(raw, []byte("-- Dump completed"))
}

// headerDatabase returns the database a dump's header comment names:
// "-- Database: NAME" (migtest, its escapes undone) or "-- Host: H
// Database: NAME" (mariadb-dump, mysqldump); "" when it names none.
func headerDatabase(raw []byte) string {
	raw = raw[:min(len(raw), 4096)]
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "-- Database: "):
			return commentUnescape(strings.TrimPrefix(line, "-- Database: "))
		case strings.HasPrefix(line, "-- Host: "):
			if _, db, ok := strings.Cut(line, "Database: "); ok {
				return strings.TrimSpace(db)
			}
		}
	}
	return ""
}

// piece handles one piece of input.
func (l *loader) piece(p *sqlsplit.Piece) error {
	raw := int64(len(p.Raw))
	if p.Unterminated != "" {
		what := map[string]string{"'": "a '...' string", "\"": "a \"...\" string", "`": "a `...` identifier", "/*": "a /* comment"}[p.Unterminated]
		why := "it is truncated"
		if endsCompleted(p.Raw) {
			why = "yet it ends with its \"-- Dump completed\" line, so it is not truncated but its quotes do not pair up: " +
				"an object name holding a newline, written into a comment by an unsafe dump tool (migtest before issue 11, mysqldump before Bug#25717383), " +
				"makes a file like this, and the stock client would run whatever that name put on its own line; do not load it, take a new backup"
		}
		return &StatementError{Number: p.Number, Line: p.Line, Offset: p.Offset, Excerpt: p.Excerpt(80),
			Err: fmt.Errorf("the input ends inside %s opened at line %d (byte %d): %s", what, p.OpenLine, p.OpenOffset, why)}
	}
	switch p.Kind {
	case sqlsplit.Statement:
	case sqlsplit.Empty:
		if p.Delim == "" && bytes.Contains(p.Raw, []byte("-- Dump completed")) {
			l.trailer = true
		}
		l.doneRaw.Add(raw)
		return nil
	default:
		l.doneRaw.Add(raw)
		return nil
	}
	it := item{text: string(p.Text), num: p.Number, line: p.Line, offset: p.Offset, raw: raw}
	return l.statement(it)
}

// statement decides where and when one statement runs.
func (l *loader) statement(it item) error {
	c := classify(it.text, l.version, l.mariadb, l.ansi)
	switch c.op {
	case opEmpty:
		l.doneRaw.Add(it.raw)
		return nil
	case opUse:
		return l.skipDB(&it, c.name, "USE")
	case opCreateDB:
		if err := l.skipDB(&it, c.name, "CREATE DATABASE"); err != nil {
			return err
		}
		if c.dbOptions == "" {
			return nil
		}
		return l.alterDB(it, "CREATE DATABASE", c.dbOptions)
	case opDropDB:
		if c.name == l.target || c.name == l.source || l.source == "" && !l.others[c.name] {
			l.debug("skipped DROP DATABASE of the dump's database", "statement", it.num, "line", it.line)
		} else {
			l.warnOnce("dropdb "+c.name, "skipped a DROP DATABASE of another database: Restore never drops a database", "database", c.name, "statement", it.num, "line", it.line, "text", sqlsplit.Excerpt([]byte(it.text), 80))
		}
		l.doneRaw.Add(it.raw)
		return nil
	case opAlterDB:
		if c.name != "" {
			if err := l.checkDB(&it, c.name); err != nil {
				return err
			}
		}
		return l.alterDB(it, "ALTER DATABASE", c.dbOptions)
	}
	if l.cfg.only != nil && !l.wanted(c) {
		l.doneRaw.Add(it.raw)
		return nil
	}
	if e := l.noData[c.table]; c.op == opData && e != "" && l.ours {
		l.warnOnce("nodata "+c.table, "skipped rows for a table that keeps none of its own: they are its underlying tables' (a backup taken by migtest before issue 11 wrote them twice)",
			"table", c.table, "engine", e, "statement", it.num, "line", it.line)
		l.doneRaw.Add(it.raw)
		return nil
	}
	if c.op != opData {
		switch err := l.guard(&it, c); {
		case errors.Is(err, errSkip):
			l.debug("skipped a statement for replicas", "statement", it.num, "line", it.line)
			l.doneRaw.Add(it.raw)
			return nil
		case err != nil:
			return err
		}
	}
	if len(c.quals) > 0 {
		if err := l.unqualify(&it, c.quals); err != nil {
			return err
		}
	}
	if c.op != opData && c.op != opEmpty && l.source != "" && l.source != l.target {
		it.text = renameSchema(it.text, l.source, l.target, l.version, l.mariadb, l.ansi)
	}
	if c.op == opData {
		it.data = true // its rows count, on whichever connection it runs
	}
	if l.sequential() {
		return l.sequentialStatement(it, c)
	}
	switch c.op {
	case opSet:
		if c.hasSelect {
			if err := l.waitIdle(); err != nil {
				return err
			}
			l.noReplay() // its value depends on when it runs (steal.go)
		}
		return l.broadcast(it, c.autocommit)
	case opTxn:
		l.debugOnce("txn", "transaction statements run as autocommit on parallel connections", "statement", it.num, "text", it.text)
		l.doneRaw.Add(it.raw)
		return nil
	case opRollback:
		return stmtErr(&it, errors.New("ROLLBACK: the parallel loader commits every statement; restore this input with one connection (WithParallel(1))"))
	case opLock, opUnlock:
		l.debugOnce("lock", "skipped LOCK/UNLOCK TABLES", "statement", it.num)
		l.doneRaw.Add(it.raw)
		return nil
	case opData:
		if err := l.flushFor(c.table, false); err != nil {
			return err
		}
		ts := l.tableMap[c.table]
		if l.triggered[c.table] || l.views[c.table] || l.fkChecks && (ts == nil || ts.fks) {
			return l.global(it)
		}
		it.table = c.table
		it.ld = l.ldFor(ts)
		if l.spreadable(it.text, ts) {
			// A plain INSERT of explicit rows: its order among the table's
			// other INSERTs does not matter, so a large table loads on
			// every connection, not on one.
			l.mu.Lock()
			first := !ts.spread
			ts.spread = true
			l.mu.Unlock()
			if first { // the CREATE TABLE (and whatever came before) first
				if err := l.waitTable(c.table); err != nil {
					return err
				}
			}
			it.anyOrder = true
			return l.send(l.leastLoaded(), it)
		}
		// An idle worker may take it over at the tail (steal.go).
		// Not an INSERT a segment may load: a second connection would wait
		// for the table lock of its bulk insert (segment.go).
		it.anyOrder = l.cfg.stealBelow > 0 && orderFree(it.text, ts) && (it.ld == nil || !l.segments)
		return l.send(l.route(c.table), it)
	case opTable:
		if err := l.flushFor(c.table, true); err != nil {
			return err
		}
		if len(c.tables) > 0 || !c.create { // DROP TABLE, TRUNCATE, DROP/CREATE SEQUENCE, CREATE INDEX
			if ts := l.tableMap[c.table]; ts != nil {
				if c.tables != nil {
					ts.adds = nil // dropped with the table
				} else if err := l.addIndexes(c.table); err != nil {
					return err
				}
			}
			delete(l.triggered, c.table)
		} else {
			if err := l.parentIndexes(it.text, c.table); err != nil {
				return err
			}
			for _, seq := range sequenceRefs(it.text, l.version, l.mariadb, l.ansi) {
				if err := l.waitTable(seq); err != nil { // its DEFAULT nextval(seq) needs the sequence
					return err
				}
			}
			if err := l.createTable(&it, c); err != nil {
				return err
			}
			if l.fkChecks && l.tableMap[c.table].fks {
				return l.global(it)
			}
		}
		if c.sequence && c.verb == "CREATE" {
			l.tables++
		}
		it.table = c.table
		return l.send(l.route(c.table), it)
	case opKeys:
		it.table = c.table
		w := l.route(c.table)
		if err := l.send(w, it); err != nil {
			return err
		}
		if ts := l.tableMap[c.table]; c.enable && ts != nil && len(ts.adds) > 0 {
			return l.addIndexes(c.table)
		}
		return nil
	case opAlterTable:
		if err := l.flushFor(c.table, true); err != nil {
			return err
		}
		if err := l.addIndexes(c.table); err != nil {
			return err
		}
		it.table = c.table
		return l.send(l.route(c.table), it)
	case opView:
		l.views[c.name] = true
		return l.deferDDL(it, c.name)
	case opTrigger:
		l.triggered[c.table] = true
		return l.deferDDL(it, c.table)
	case opDropTrigger, opRoutine:
		if c.verb != "CREATE" {
			if err := l.flushPending(); err != nil {
				return err
			}
		}
		return l.global(it)
	}
	// opOther: may read or change anything.
	if err := l.flushPending(); err != nil {
		return err
	}
	if err := l.parentIndexes(it.text, ""); err != nil {
		return err
	}
	return l.global(it)
}

// parentIndexes builds, and waits for, the deferred indexes of tables that
// a foreign key in text refers to by their columns: InnoDB refuses a
// foreign key whose parent has no index on them, even with
// foreign_key_checks=0.
func (l *loader) parentIndexes(text, self string) error {
	for _, r := range references(text, l.version, l.mariadb, l.ansi) {
		ts := l.tableMap[r.table]
		if r.table == self || ts == nil || len(ts.adds) == 0 {
			continue
		}
		need := false
		for _, a := range ts.adds {
			if prefixOf(r.cols, keyColumns(a)) {
				need = true
			}
		}
		if !need {
			continue
		}
		if err := l.addIndexes(r.table); err != nil {
			return err
		}
		if err := l.waitTable(r.table); err != nil {
			return err
		}
	}
	return nil
}

// waitTable waits until the statements queued for table have run.
func (l *loader) waitTable(table string) error {
	l.seal()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.err == nil {
		if ts := l.tableMap[table]; ts == nil || ts.queued == 0 {
			return nil
		}
		l.cond.Wait()
	}
	return l.err
}

// discard closes a pinned connection for good instead of returning it to
// the pool: its session settings (and, after an error, maybe an open
// transaction) are the loader's, not the caller's.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	c.Close()
}

// existingTriggers marks the tables that have triggers before the
// restore: their DML runs alone, since a trigger may write anywhere.
func (l *loader) existingTriggers() error {
	rows, err := l.ctrl.QueryContext(l.ctx, "SELECT DISTINCT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", l.target)
	if err != nil {
		return fmt.Errorf("list the triggers in the target: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		l.triggered[t] = true
	}
	return rows.Err()
}

// createTable records a CREATE TABLE and splits off its secondary indexes.
func (l *loader) createTable(it *item, c class) error {
	ts := &tableState{worker: -1, from: *it}
	ts.fks = strings.Contains(strings.ToUpper(it.text), "FOREIGN")
	ts.autoInc = strings.Contains(strings.ToUpper(it.text), "AUTO_INCREMENT")
	ts.ld = &ldTable{}
	if l.cfg.deferIdx && !c.ifNotExists {
		if text, adds, ok := deferIndexes(it.text, c.table, l.version, l.mariadb, l.ansi); ok {
			it.text, ts.adds = text, adds
		}
	}
	l.mu.Lock()
	if old := l.tableMap[c.table]; old != nil {
		ts.worker, ts.queued = old.worker, old.queued
	}
	l.tableMap[c.table] = ts
	l.mu.Unlock()
	l.tables++
	if e := tableEngine(it.text, l.version, l.mariadb, l.ansi); noStorageEngines[e] {
		l.noData[c.table] = e
	} else {
		delete(l.noData, c.table)
	}
	return nil
}

// addIndexes queues the deferred indexes of table, if any.
func (l *loader) addIndexes(table string) error {
	ts := l.tableMap[table]
	if ts == nil || len(ts.adds) == 0 {
		return nil
	}
	it := ts.from
	it.text = "ALTER TABLE " + quoteIdent(table) + " " + strings.Join(ts.adds, ", ")
	it.raw = 0
	it.table = table
	ts.adds = nil
	if l.sequential() {
		return l.exec(l.ctrl, &it)
	}
	return l.send(l.route(table), it)
}

// sequentialStatement runs a statement on the one connection, in order.
func (l *loader) sequentialStatement(it item, c class) error {
	if c.op == opTable && c.create || c.op == opOther {
		if err := l.parentIndexes(it.text, c.table); err != nil {
			return err
		}
	}
	switch c.op {
	case opTable:
		if c.create {
			if err := l.createTable(&it, c); err != nil {
				return err
			}
		} else if ts := l.tableMap[c.table]; ts != nil {
			if c.tables != nil {
				ts.adds = nil
			} else if err := l.addIndexes(c.table); err != nil {
				return err
			}
		}
	case opKeys:
		if err := l.exec(l.ctrl, &it); err != nil {
			return err
		}
		if c.enable {
			return l.addIndexes(c.table)
		}
		return nil
	case opData:
	case opSet, opTxn, opRollback, opLock, opUnlock:
	default:
		if c.table != "" {
			if err := l.addIndexes(c.table); err != nil {
				return err
			}
		}
	}
	if err := l.exec(l.ctrl, &it); err != nil {
		return err
	}
	if c.op == opSet {
		return l.refreshSession()
	}
	return nil
}

// alterDB applies the database options of the dump's CREATE or ALTER
// DATABASE to the target, unless WithCharset chose them.
func (l *loader) alterDB(it item, what, options string) error {
	if l.cfg.charset != "" || l.cfg.collation != "" {
		l.debug("kept the chosen character set: skipped the database options of "+what, "statement", it.num, "line", it.line, "options", options)
		l.doneRaw.Add(it.raw)
		return nil
	}
	it.text = "ALTER DATABASE " + quoteIdent(l.target) + " " + options
	l.debug("applied the database options of "+what, "statement", it.num, "as", it.text)
	return l.global(it)
}

// skipDB handles USE and CREATE DATABASE of the dump's own database.
func (l *loader) skipDB(it *item, name, what string) error {
	if err := l.checkDB(it, name); err != nil {
		return err
	}
	l.debug("skipped "+what+" of the dump's database", "statement", it.num, "line", it.line, "database", name)
	l.doneRaw.Add(it.raw)
	return nil
}

// checkDB maps the dump's database to the target; a second one is an error.
func (l *loader) checkDB(it *item, name string) error {
	switch {
	case name == l.target, name == l.source:
		return nil
	case l.source == "":
		l.source = name
		return nil
	}
	if l.sourceHeader {
		return stmtErr(it, fmt.Errorf("it names the database %s, but the dump's header says it is a dump of %s; Restore loads one database: split the dump, or dump one database at a time", quoteIdent(name), quoteIdent(l.source)))
	}
	return stmtErr(it, fmt.Errorf("the dump names a second database %s after %s; Restore loads one database: split the dump, or dump one database at a time", quoteIdent(name), quoteIdent(l.source)))
}

// unqualify rewrites "`db`.name" of the dump's database to the target.
func (l *loader) unqualify(it *item, quals []qual) error {
	text := it.text
	for i := len(quals) - 1; i >= 0; i-- {
		q := quals[i]
		if q.schema != l.target && q.schema != l.source {
			if l.source == "" {
				l.source = q.schema
			} else {
				return stmtErr(it, fmt.Errorf("it names the database %s, not the dump's own (%s): Restore does not write to other databases", quoteIdent(q.schema), quoteIdent(l.source)))
			}
		}
		text = text[:q.start] + quoteIdent(l.target) + "." + text[q.end:]
	}
	it.text = text
	return nil
}

// spreadable reports whether an INSERT may run on any connection, in any
// order with the table's other INSERTs: a plain INSERT INTO ... VALUES (no
// IGNORE, REPLACE, SELECT or ON DUPLICATE KEY, whose outcome depends on
// order) into a table this restore created without an AUTO_INCREMENT
// column (whose NULLs would be numbered in another order). Off by default:
// on the loaded 2-core machine of issue 11 it was not measured faster than
// a table per connection (BenchmarkRestore*/ours-spread-inserts).
func (l *loader) spreadable(text string, ts *tableState) bool {
	return l.cfg.spreadMin >= 0 && len(text) >= l.cfg.spreadMin && orderFree(text, ts)
}

// orderFree reports whether an INSERT may run in any order with the
// table's other INSERTs, on any connection (see spreadable).
func orderFree(text string, ts *tableState) bool {
	if ts == nil || ts.autoInc || len(text) < 12 {
		return false
	}
	head := strings.ToUpper(text[:12])
	if !strings.HasPrefix(head, "INSERT INTO ") {
		return false
	}
	tail := strings.ToUpper(text[len(text)-min(len(text), 256):])
	return !strings.Contains(tail, "ON DUPLICATE KEY")
}

// leastLoaded picks the worker with the fewest queued bytes.
func (l *loader) leastLoaded() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	best := 0
	for i, w := range l.workers {
		if w.bytes < l.workers[best].bytes || w.bytes == l.workers[best].bytes && w.n < l.workers[best].n {
			best = i
		}
	}
	return best
}

// route picks the worker for a statement on table: the one holding the
// table's queued statements, else the least loaded.
func (l *loader) route(table string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ts := l.tableMap[table]; ts != nil && ts.queued > 0 {
		return ts.worker
	}
	best := 0
	for i, w := range l.workers {
		if w.bytes < l.workers[best].bytes || w.bytes == l.workers[best].bytes && w.n < l.workers[best].n {
			best = i
		}
	}
	return best
}

// send queues it on worker w. A statement on a table whose INSERTs were
// spread over the workers first waits for all of them.
func (l *loader) send(w int, it item) error {
	if it.table != "" && !it.anyOrder {
		l.mu.Lock()
		ts := l.tableMap[it.table]
		spread := ts != nil && ts.spread
		l.mu.Unlock()
		if spread {
			if err := l.waitTable(it.table); err != nil {
				return err
			}
			l.mu.Lock()
			ts.spread = false
			l.mu.Unlock()
		}
	}
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return l.err
	}
	wk := l.workers[w]
	it.epoch = int64(len(l.sets))
	wk.bytes += int64(len(it.text))
	wk.n++
	if it.table != "" {
		ts := l.tableMap[it.table]
		if ts == nil {
			ts = &tableState{worker: w}
			// A clone: the name may be a slice of a large statement.
			l.tableMap[strings.Clone(it.table)] = ts
		}
		ts.worker = w
		ts.queued++
	}
	l.mu.Unlock()
	if err := wk.q.push(it); err != nil {
		if errors.Is(err, errClosed) {
			if e := l.failed(); e != nil {
				return e
			}
		}
		return err
	}
	return nil
}

func (l *loader) runWorker(w *worker) {
	defer close(w.done)
	for {
		it, ok, kicked, err := w.q.take()
		if err != nil {
			if !errors.Is(err, errClosed) {
				l.fail(err)
			}
			return
		}
		if kicked {
			if l.helpOut(w) {
				w.q.kick() // look for the next one
			}
			continue
		}
		if !ok {
			return
		}
		if ran, err := l.runSegment(w, &it); ran {
			if err != nil {
				l.fail(err)
				return
			}
			l.kickIdle()
			continue
		}
		if !l.runItem(w, w, w.conn, &it) {
			return
		}
	}
}

// runItem runs it, an item of owner's queue, on conn for worker w (w's
// own, or the helper connection when w took it over from owner) and
// reports whether the worker goes on.
func (l *loader) runItem(w, owner *worker, conn *sql.Conn, it *item) bool {
	err := l.failed()
	if err == nil {
		if it.ld != nil && it.ld.tab == nil {
			l.spooledLD(it)
		}
		l.mu.Lock()
		l.running++
		l.mu.Unlock()
		err = l.exec(conn, it)
		l.mu.Lock()
		l.running--
		l.mu.Unlock()
		if err == nil {
			l.settle(owner, it)
		}
	}
	switch {
	case owner != w:
		owner.q.stolenDone()
	case err == nil:
		w.q.ran()
	}
	if err != nil {
		l.fail(err)
		return false
	}
	if owner != w {
		l.helped.Add(1)
	}
	l.kickIdle()
	return true
}

// settle records that it, an item of owner's queue, has run.
func (l *loader) settle(owner *worker, it *item) {
	l.mu.Lock()
	owner.bytes -= int64(len(it.text))
	owner.n--
	if ts := l.tableMap[it.table]; it.table != "" && ts != nil {
		ts.queued--
	}
	l.cond.Broadcast()
	l.mu.Unlock()
}

// deadlockRetries bounds the retries of a statement the server chose as
// a deadlock victim (error 1213). MySQL 8+ locks the parent tables of a
// new table's foreign keys, so CREATE TABLEs loading in parallel can
// deadlock; two connections whose first INSERTs meet an empty InnoDB table
// both ask for its table lock (the bulk insert of MDEV-24621). DDL is
// atomic, and InnoDB rolls a victim's transaction back whole, so running
// the statement again is safe where it is its own transaction: on the
// parallel connections, which commit every statement, but not inside a
// dump's own transaction on one connection (mayRetry reports whether it
// may be).
const deadlockRetries = 5

// mayRetry reports whether it may run again after a deadlock.
func (l *loader) mayRetry(it *item) bool { return !it.data || !l.sequential() }

// exec runs one statement on conn. A statement that fails once the
// restore is stopping reports why it stops: the first error, or the
// caller's cancel, not what the cancel did to the connection (the driver
// answers a query it interrupted with "bad connection").
func (l *loader) exec(conn *sql.Conn, it *item) error {
	err := l.execOnce(conn, it)
	if err != nil && l.ctx.Err() != nil {
		if e := l.failed(); e != nil {
			return e
		}
		return context.Cause(l.ctx)
	}
	return err
}

// execOnce runs it on conn: through LOAD DATA when it can, else as it is,
// retrying DDL the server chose as a deadlock victim.
func (l *loader) execOnce(conn *sql.Conn, it *item) error {
	if n, ok, err := l.loadData(conn, it); err != nil || ok {
		if ok {
			l.loads.Add(1)
			l.done(it, n)
		}
		return err
	}
	res, err := conn.ExecContext(l.ctx, it.text)
	for try := 1; err != nil && isDeadlock(err) && l.mayRetry(it) && try <= deadlockRetries && l.ctx.Err() == nil; try++ {
		time.Sleep(time.Duration(try*20) * time.Millisecond)
		res, err = conn.ExecContext(l.ctx, it.text)
	}
	if err != nil {
		return stmtErr(it, err)
	}
	var n int64
	if it.data {
		n, _ = res.RowsAffected()
	}
	l.done(it, n)
	return nil
}

// done counts a statement that ran, its input and the rows it inserted.
func (l *loader) done(it *item, rows int64) {
	l.doneRaw.Add(it.raw)
	l.count(it, rows)
}

// count counts a statement that ran and the rows it inserted.
func (l *loader) count(it *item, rows int64) {
	if it.raw > 0 { // not a copy of a session statement, nor one the loader made
		l.statements.Add(1)
	}
	if it.data {
		l.rows.Add(rows)
	}
}

// isDeadlock reports the server's ER_LOCK_DEADLOCK (1213).
func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}

// waitIdle waits until every worker has run everything queued.
func (l *loader) waitIdle() error {
	l.seal()
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.err == nil {
		busy := false
		for _, w := range l.workers {
			if w.n > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return nil
		}
		l.cond.Wait()
	}
	return l.err
}

// global runs it alone on the control connection, after everything before it.
func (l *loader) global(it item) error {
	if l.sequential() {
		return l.exec(l.ctrl, &it)
	}
	if err := l.waitIdle(); err != nil {
		return err
	}
	return l.exec(l.ctrl, &it)
}

// broadcast runs a session statement on the control connection now and on
// every worker in queue order.
func (l *loader) broadcast(it item, autocommit bool) error {
	if err := l.exec(l.ctrl, &it); err != nil {
		return err
	}
	l.mu.Lock()
	set := []string{it.text}
	if autocommit {
		set = append(set, "SET SESSION autocommit=1")
	}
	l.sets = append(l.sets, set)
	l.mu.Unlock()
	for i := range l.workers {
		w := it
		w.raw = 0
		if err := l.send(i, w); err != nil {
			return err
		}
		if autocommit {
			// Parallel connections always commit each statement.
			if err := l.send(i, item{text: "SET SESSION autocommit=1", num: it.num, line: it.line, offset: it.offset}); err != nil {
				return err
			}
		}
	}
	if autocommit {
		if _, err := l.ctrl.ExecContext(l.ctx, "SET SESSION autocommit=1"); err != nil {
			return stmtErr(&it, err)
		}
	}
	return l.refreshSession()
}

// refreshSession reads the control connection's session settings that
// change how statements are split and recorded.
func (l *loader) refreshSession() error {
	var mode, client, conn string
	var fk int
	if err := l.ctrl.QueryRowContext(l.ctx, "SELECT @@SESSION.sql_mode, @@SESSION.foreign_key_checks, @@SESSION.character_set_client, @@SESSION.character_set_connection").Scan(&mode, &fk, &client, &conn); err != nil {
		return fmt.Errorf("read session settings: %w", err)
	}
	l.ldCharset = ""
	if client == conn && ldCharsets[client] && !strings.Contains(mode, "NO_BACKSLASH_ESCAPES") {
		l.ldCharset = client
	}
	l.ansi = strings.Contains(mode, "ANSI_QUOTES")
	if l.sc != nil {
		l.sc.SetANSIQuotes(l.ansi)
		l.sc.SetNoBackslashEscapes(strings.Contains(mode, "NO_BACKSLASH_ESCAPES"))
	}
	l.fkChecks = fk != 0
	l.sessOK = false
	return nil
}

// session returns the settings a view or trigger created now records.
func (l *loader) session() (session, error) {
	if l.sessOK {
		return l.sess, nil
	}
	var s session
	err := l.ctrl.QueryRowContext(l.ctx, "SELECT @@SESSION.sql_mode, @@SESSION.character_set_client, @@SESSION.collation_connection, @@SESSION.time_zone").
		Scan(&s.sqlMode, &s.charsetClient, &s.collationConn, &s.timeZone)
	if err != nil {
		return s, fmt.Errorf("read session settings: %w", err)
	}
	l.sess, l.sessOK = s, true
	return s, nil
}

func (s session) set() string {
	return "SET SESSION sql_mode=" + quoteString(s.sqlMode) + ", character_set_client=" + quoteString(s.charsetClient) +
		", collation_connection=" + quoteString(s.collationConn) + ", time_zone=" + quoteString(s.timeZone)
}

// deferDDL keeps a view or trigger statement for after the data.
func (l *loader) deferDDL(it item, name string) error {
	s, err := l.session()
	if err != nil {
		return err
	}
	l.pending = append(l.pending, deferredDDL{it: it, sess: s, name: name})
	return nil
}

// flushFor runs the deferred DDL before a statement on table if any of it
// concerns the table: a trigger on it or a view of that name; and, for a
// statement that changes the table's definition (ddl), a view whose text
// mentions an existing table of that name.
func (l *loader) flushFor(table string, ddl bool) error {
	known := false
	if ddl {
		_, before := l.before["TABLE "+table]
		known = before || l.tableMap[table] != nil
	}
	for _, d := range l.pending {
		if d.name == table || known && strings.Contains(d.it.text, table) {
			return l.flushPending()
		}
	}
	return nil
}

// flushPending runs the deferred views and triggers, in input order, each
// with the session settings of its place in the input.
func (l *loader) flushPending() error {
	if len(l.pending) == 0 {
		return nil
	}
	if err := l.waitIdle(); err != nil {
		return err
	}
	cur, err := l.session()
	if err != nil {
		return err
	}
	set := cur
	for _, d := range l.pending {
		if d.sess != set {
			if _, err := l.ctrl.ExecContext(l.ctx, d.sess.set()); err != nil {
				return stmtErr(&d.it, fmt.Errorf("restore its session settings: %w", err))
			}
			set = d.sess
		}
		if err := l.exec(l.ctrl, &d.it); err != nil {
			return err
		}
	}
	l.pending = nil
	if set != cur {
		if _, err := l.ctrl.ExecContext(l.ctx, cur.set()); err != nil {
			return fmt.Errorf("restore session settings: %w", err)
		}
	}
	return nil
}

// finish builds the remaining deferred indexes, then creates the deferred
// views and triggers.
func (l *loader) finish() error {
	if err := l.waitIdle(); err != nil {
		return err
	}
	for name, ts := range l.tableMap {
		if len(ts.adds) > 0 {
			l.cfg.logger.Debug("building deferred indexes", "table", name, "indexes", len(ts.adds))
			if err := l.addIndexes(name); err != nil {
				return err
			}
		}
	}
	if err := l.waitIdle(); err != nil {
		return err
	}
	return l.flushPending()
}

func (l *loader) stopWorkers() {
	for _, w := range l.workers {
		if l.failed() != nil {
			w.q.discard()
		} else {
			w.q.close()
		}
	}
	for _, w := range l.workers {
		<-w.done
		w.q.discard()
		discard(w.conn)
	}
	if l.help.conn != nil {
		discard(l.help.conn)
		l.help.conn = nil
	}
	if l.budget != nil {
		l.budget.mu.Lock()
		l.budget.closed = true
		l.budget.cond.Broadcast()
		l.budget.mu.Unlock()
	}
	l.workers = nil
}

func (l *loader) debug(msg string, args ...any) { l.cfg.logger.Debug(msg, args...) }

func (l *loader) warnOnce(key, msg string, args ...any) {
	if !l.logged[key] {
		l.logged[key] = true
		l.cfg.logger.Warn(msg, args...)
	}
}

func (l *loader) debugOnce(key, msg string, args ...any) {
	if !l.logged[key] {
		l.logged[key] = true
		l.cfg.logger.Debug(msg+" (logged once)", args...)
	}
}

// progress returns a snapshot of the progress.
func (l *loader) progress() Progress {
	p := Progress{Statements: l.statements.Load(), Rows: l.rows.Load(), TotalBytes: l.cfg.totalBytes}
	done, read := l.doneRaw.Load(), l.readRaw.Load()
	in := l.in.read.n.Load()
	if read > 0 {
		p.Bytes = int64(float64(done) * float64(in) / float64(read))
	}
	if p.TotalBytes > 0 && p.Bytes > p.TotalBytes {
		p.Bytes = p.TotalBytes
	}
	if el := time.Since(l.start).Seconds(); el > 0 {
		p.Rate = float64(p.Bytes) / el
	}
	if p.Rate > 0 && p.TotalBytes > 0 {
		p.ETA = time.Duration(float64(p.TotalBytes-p.Bytes) / p.Rate * float64(time.Second))
	}
	return p
}

func (l *loader) startProgress() func() {
	return tickProgress(l.cfg.progress, l.progress)
}

// tickProgress calls report with snapshot() every 250 ms until the returned
// function is called; with a nil report it does nothing.
func tickProgress(report func(Progress), snapshot func() Progress) (stop func()) {
	if report == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				report(snapshot())
			}
		}
	}()
	return func() { close(quit); <-done }
}

// report sends the final progress.
func (l *loader) report() {
	if l.cfg.progress != nil {
		p := l.progress()
		if p.TotalBytes > 0 {
			p.Bytes = p.TotalBytes
		} else {
			p.Bytes = l.in.read.n.Load()
		}
		p.ETA = 0
		l.cfg.progress(p)
	}
}

// wanted reports whether a statement belongs to the tables WithTables
// names: their DDL, rows and triggers, and session settings; not views,
// routines, events or anything else.
func (l *loader) wanted(c class) bool {
	switch c.op {
	case opSet, opTxn, opLock, opUnlock, opEmpty:
		return true
	case opData, opTable, opAlterTable, opKeys, opTrigger:
		if len(c.tables) > 0 {
			for _, t := range c.tables {
				if !l.cfg.only[t] {
					return false
				}
			}
			return true
		}
		return l.cfg.only[c.table]
	default:
		return false
	}
}
