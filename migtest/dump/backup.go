package dump

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/klauspost/pgzip"
	"golang.org/x/sync/errgroup"

	"github.com/migtest/migtest/migtest/internal/fsutil"
	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// ManifestFormat is the format name written in every manifest.
const ManifestFormat = "migtest-dump/1"

// Manifest describes a backup. It is written as JSON beside the dump, at
// the dump's path + ".manifest.json". It never holds a password or a DSN.
type Manifest struct {
	Format        string      `json:"format"`
	ToolVersion   string      `json:"tool_version,omitempty"`
	ServerVersion string      `json:"server_version"`
	Database      string      `json:"database"`
	Charset       string      `json:"charset,omitempty"`
	Collation     string      `json:"collation,omitempty"`
	File          string      `json:"file"` // base name of the dump
	Bytes         int64       `json:"bytes"`
	SHA256        string      `json:"sha256"`
	Started       time.Time   `json:"started"`
	Duration      Duration    `json:"duration"`
	Consistency   string      `json:"consistency"`
	Tables        []TableInfo `json:"tables"`
	Views         []string    `json:"views,omitempty"`
	Triggers      []string    `json:"triggers,omitempty"`
	Routines      []string    `json:"routines,omitempty"`
	Events        []string    `json:"events,omitempty"`
	Files         *FilesInfo  `json:"files,omitempty"`
}

// TableInfo is one table (or sequence) of a backup.
type TableInfo struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
	Type string `json:"type,omitempty"` // "SEQUENCE"; empty for a table
	// NoData names the engine of a table whose rows are not in the backup
	// because it keeps none of its own (MRG_MyISAM, FEDERATED, ...); Rows
	// is 0 then.
	NoData string `json:"no_data,omitempty"`
	// History: Rows counts the table's history rows too (WithHistory).
	History bool `json:"history,omitempty"`
}

// FilesInfo describes the files archive of a backup (WithFiles).
type FilesInfo struct {
	File    string `json:"file"` // base name of the archive
	Dir     string `json:"dir"`  // the directory archived
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
	Entries int    `json:"entries"`
}

// Duration is a time.Duration that reads and writes as a string in JSON
// ("1m2.5s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// UnmarshalJSON reads a duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	if s, err := strconv.Unquote(string(b)); err == nil {
		v, err := time.ParseDuration(s)
		*d = Duration(v)
		return err
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	*d = Duration(n)
	return err
}

// BackupOption configures Backup.
type BackupOption func(*backupConfig)

type backupConfig struct {
	parallel int
	progress func(Progress)
	tool     string
	files    string
	level    int
	logger   *slog.Logger
	chunk    int
	lockWait time.Duration
	history  bool
}

// WithHistory also writes the history rows of system-versioned tables
// (FOR SYSTEM_TIME ALL, with their ROW START/ROW END values), loaded back
// under system_versioning_insert_history=1 (MariaDB 10.11+, like
// mariadb-dump --dump-history). Without it a backup holds their current
// rows only, as mariadb-dump by default, and says so in its log. Tables
// versioned by transaction id keep no history either way.
func WithHistory(on bool) BackupOption { return func(c *backupConfig) { c.history = on } }

// WithFiles also archives dir (a site's files) as a .tar.gz beside the
// dump: the dump's path without ".sql.gz", plus "-files.tar.gz". The
// manifest records it.
func WithFiles(dir string) BackupOption { return func(c *backupConfig) { c.files = dir } }

// WithBackupProgress calls fn about four times a second with the progress
// (bytes of SQL written against the tables' estimated size), and once at
// the end.
func WithBackupProgress(fn func(Progress)) BackupOption {
	return func(c *backupConfig) { c.progress = fn }
}

// WithToolVersion records the version of the program taking the backup in
// the dump's header and the manifest.
func WithToolVersion(v string) BackupOption { return func(c *backupConfig) { c.tool = v } }

// WithBackupParallel sets the number of connections reading tables,
// default min(4, 2×NumCPU). With 1, Backup reads in one transaction on
// one connection and needs no lock.
func WithBackupParallel(n int) BackupOption {
	return func(c *backupConfig) { c.parallel = max(n, 1) }
}

// WithCompressionLevel sets the gzip level (1 fastest ... 9 smallest),
// default 6 like gzip.
func WithCompressionLevel(level int) BackupOption {
	return func(c *backupConfig) { c.level = level }
}

// WithBackupLogger logs the phases of the backup.
func WithBackupLogger(l *slog.Logger) BackupOption {
	return func(c *backupConfig) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithLockWait sets how long Backup waits for the short read lock that
// lines up the snapshots of its parallel connections (default 10s); past
// it, it falls back to one connection in one transaction.
func WithLockWait(d time.Duration) BackupOption {
	return func(c *backupConfig) { c.lockWait = max(d, time.Second) }
}

// Backup writes database to path, a .sql.gz that the stock mariadb client
// restores as it is, and a manifest beside it (path + ".manifest.json").
//
// The dump is consistent: with several connections, each starts a
// transaction WITH CONSISTENT SNAPSHOT while the database's tables are
// briefly read-locked (FLUSH TABLES ... WITH READ LOCK), as mydumper does;
// without the RELOAD privilege, or when the lock does not come within the
// lock wait, one connection reads everything in one transaction. Data is
// written as extended INSERTs with explicit column lists: binary columns
// in hex, FLOAT through DOUBLE so that no digit is lost, an empty BLOB as
// ” and never NULL. Views are written in dependency order after the
// tables, then triggers, routines and events. The file is written under a
// temporary name, fsynced and renamed, with mode 0600, and ends with a
// "-- Dump completed" line that Verify checks.
func Backup(ctx context.Context, db *sql.DB, database, path string, opts ...BackupOption) (*Manifest, error) {
	cfg := backupConfig{
		parallel: min(4, 2*runtime.NumCPU()),
		level:    gzip.DefaultCompression,
		logger:   slog.New(slog.DiscardHandler),
		chunk:    1 << 20,
		lockWait: 10 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	start := time.Now()
	if !strings.HasSuffix(path, ".gz") {
		return nil, fmt.Errorf("backup %s: the file name must end in .sql.gz (the dump is gzip-compressed)", path)
	}
	if n := db.Stats().MaxOpenConnections; n > 0 && cfg.parallel+1 > n {
		cfg.parallel = max(1, n-1)
	}
	if cfg.files != "" {
		st, err := os.Stat(cfg.files)
		if err != nil {
			return nil, fmt.Errorf("backup %s: files directory: %w", database, err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("backup %s: files directory %s is not a directory", database, cfg.files)
		}
	}
	m := &Manifest{Format: ManifestFormat, ToolVersion: cfg.tool, Database: database, File: filepath.Base(path), Started: start.UTC().Truncate(time.Second)}
	out, err := createAtomic(path)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", database, err)
	}
	defer out.abort()
	b := &backup{cfg: cfg, db: db, database: database, m: m, start: start}
	if err := b.run(ctx, out); err != nil {
		return nil, fmt.Errorf("backup %s: %w", database, err)
	}
	// Nothing goes in place before the dump, the files archive and the
	// manifest are all written and fsynced: a backup that fails leaves an
	// earlier one at path as it was.
	if err := out.sync(); err != nil {
		return nil, fmt.Errorf("backup %s: %w", database, err)
	}
	m.Bytes, m.SHA256 = out.n, hex.EncodeToString(out.h.Sum(nil))
	var place []*atomicFile // in the order they go in place: the manifest, which vouches for the others, last
	if cfg.files != "" {
		fi, archive, err := archiveFiles(ctx, cfg.files, filesPath(path))
		if err != nil {
			return nil, fmt.Errorf("backup %s: files archive: %w", database, err)
		}
		defer archive.abort()
		m.Files = fi
		place = append(place, archive)
	}
	m.Duration = Duration(time.Since(start).Round(time.Millisecond))
	manifest, err := manifestFile(path, m)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", database, err)
	}
	defer manifest.abort()
	for _, f := range append(place, out, manifest) {
		if err := f.commit(); err != nil {
			return nil, fmt.Errorf("backup %s: %w", database, err)
		}
	}
	b.report()
	cfg.logger.Info("backup finished", "database", database, "file", path, "bytes", m.Bytes, "tables", len(m.Tables), "duration", time.Duration(m.Duration))
	return m, nil
}

// filesPath is the files archive beside a dump.
func filesPath(path string) string {
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".gz"), ".sql")
	return base + "-files.tar.gz"
}

// atomicFile is a file written under a temporary name in its directory
// (fsutil.AtomicFile), hashed and counted, and renamed into place by
// commit.
type atomicFile struct {
	f *fsutil.AtomicFile
	h hashWriter
	n int64
	w *bufio.Writer
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := fsutil.CreateAtomic(path, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create a file in %s: %w (choose a writable directory)", filepath.Dir(path), err)
	}
	a := &atomicFile{f: f, h: sha256.New()}
	a.w = bufio.NewWriterSize(writerFunc(a.write), 1<<20)
	return a, nil
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

func (a *atomicFile) write(p []byte) (int, error) {
	n, err := a.f.Write(p)
	_, _ = a.h.Write(p[:n]) // a hash never fails
	a.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", a.f.Name(), err)
	}
	return n, nil
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.w.Write(p) }

// sync flushes, then fsyncs and closes the file, still under its
// temporary name (fsutil.AtomicFile.Sync); n and h then cover all of it.
func (a *atomicFile) sync() error {
	if err := a.w.Flush(); err != nil {
		return err
	}
	return a.f.Sync()
}

// commit syncs, then puts the file in place (fsutil.AtomicFile.Commit).
func (a *atomicFile) commit() error {
	if err := a.sync(); err != nil {
		return err
	}
	return a.f.Commit()
}

// abort removes the temporary file unless it was committed.
func (a *atomicFile) abort() { a.f.Abort() }

// column is one column of a table being dumped.
type column struct {
	name string
	kind colKind
}

type colKind int

const (
	colNumber   colKind = iota // written as the server prints it
	colString                  // quoted and escaped
	colBinary                  // hex
	colBit                     // b'...'
	colFloat                   // read through DOUBLE
	colTemporal                // read as text
)

type tableDump struct {
	name    string
	typ     string // BASE TABLE, SEQUENCE, SYSTEM VERSIONED
	engine  string
	size    int64
	cols    []column
	create  string
	rows    atomic.Int64
	started bool
	// history: the rows are read FOR SYSTEM_TIME ALL with the period
	// columns period (WithHistory on a timestamp-versioned table).
	history bool
	period  []column
}

type backup struct {
	cfg      backupConfig
	db       *sql.DB
	database string
	m        *Manifest
	start    time.Time
	version  int
	mariadb  bool

	tables []*tableDump
	total  int64 // estimated bytes of data
	sqlOut atomic.Int64
	rows   atomic.Int64
	done   atomic.Int64 // tables finished
}

func (b *backup) run(ctx context.Context, out *atomicFile) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	main, err := b.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer discard(main)
	var ver string
	if err := main.QueryRowContext(ctx, "SELECT VERSION()").Scan(&ver); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	b.m.ServerVersion = ver
	b.version, b.mariadb = parseVersion(ver)
	err = main.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", b.database).Scan(&b.m.Charset, &b.m.Collation)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("database %s does not exist", quoteIdent(b.database))
	}
	if err != nil {
		return fmt.Errorf("read the database: %w", err)
	}
	for _, q := range []string{"USE " + quoteIdent(b.database), "SET SESSION time_zone='+00:00'", "SET NAMES utf8mb4", "SET SESSION sql_quote_show_create=1"} {
		if _, err := main.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := b.listTables(ctx, main); err != nil {
		return err
	}

	// Line up the snapshots of the reading connections.
	readers, err := b.snapshot(ctx, main)
	defer func() {
		for _, c := range readers {
			discard(c)
		}
	}()
	if err != nil {
		return err
	}
	for _, t := range b.tables {
		if err := b.describeTable(ctx, readers[0], t); err != nil {
			return err
		}
	}

	zw, err := pgzip.NewWriterLevel(out, b.cfg.level)
	if err != nil {
		return err
	}
	if err := zw.SetConcurrency(1<<20, max(2, 2*runtime.NumCPU())); err != nil {
		return err
	}
	stopProgress := b.startProgress()
	defer stopProgress()

	w := &sqlWriter{w: zw, n: &b.sqlOut}
	b.header(w)
	for _, t := range b.tables {
		b.writeCreate(w, t)
	}
	if err := w.failed(); err != nil {
		return err
	}
	if err := b.data(ctx, readers, w); err != nil {
		return err
	}
	for _, t := range b.tables {
		ti := TableInfo{Name: t.name, Rows: t.rows.Load(), Type: seqType(t.typ)}
		if t.noData() && ti.Type == "" {
			ti.NoData = t.engine
		}
		ti.History = t.history
		b.m.Tables = append(b.m.Tables, ti)
	}
	if err := b.sequences(ctx, readers[0], w); err != nil {
		return err
	}
	// Objects other than tables, read in the first reader's snapshot
	// (their definitions are not versioned, but the tables are).
	if err := b.routines(ctx, main, w); err != nil {
		return err
	}
	if err := b.views(ctx, main, w); err != nil {
		return err
	}
	if err := b.triggers(ctx, main, w); err != nil {
		return err
	}
	if err := b.events(ctx, main, w); err != nil {
		return err
	}
	b.footer(w)
	if err := w.failed(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	return nil
}

// noStorageEngines are the engines whose tables hold no rows of their
// own: MERGE (MRG_MyISAM) shows its underlying tables' rows, FEDERATED,
// SPIDER and CONNECT show rows kept elsewhere (another server, a file),
// BLACKHOLE keeps nothing. Their rows are not dumped (mariadb-dump skips
// MRG_MyISAM and FEDERATED): restored, they would be written twice into the
// underlying tables, refused (a MERGE table without INSERT_METHOD is read
// only), or sent to the remote server.
var noStorageEngines = map[string]bool{"MRG_MYISAM": true, "MRG_ISAM": true, "FEDERATED": true, "SPIDER": true, "CONNECT": true, "BLACKHOLE": true}

// noData reports whether a table's rows are not written: a sequence (its
// state is written by SETVAL) or a table of an engine without storage.
func (t *tableDump) noData() bool {
	return t.typ == "SEQUENCE" || noStorageEngines[strings.ToUpper(t.engine)]
}

func seqType(t string) string {
	if t == "SEQUENCE" {
		return t
	}
	return ""
}

// listTables reads the tables (and sequences) of the database, largest first.
func (b *backup) listTables(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_NAME, TABLE_TYPE, COALESCE(ENGINE, ''), COALESCE(DATA_LENGTH, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'VIEW' ORDER BY TABLE_NAME", b.database)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t := &tableDump{}
		if err := rows.Scan(&t.name, &t.typ, &t.engine, &t.size); err != nil {
			return err
		}
		b.tables = append(b.tables, t)
		if !t.noData() {
			b.total += t.size
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Sequences first (a DEFAULT nextval(s) needs s), tables without
	// storage (a MERGE table's UNION) after the others.
	rank := func(t *tableDump) int {
		switch {
		case t.typ == "SEQUENCE":
			return 0
		case noStorageEngines[strings.ToUpper(t.engine)]:
			return 2
		}
		return 1
	}
	sort.SliceStable(b.tables, func(i, j int) bool { return rank(b.tables[i]) < rank(b.tables[j]) })
	return nil
}

// snapshot opens the reading connections, each in a transaction WITH
// CONSISTENT SNAPSHOT taken while the tables are read-locked, or one
// connection when the lock cannot be had.
func (b *backup) snapshot(ctx context.Context, main *sql.Conn) ([]*sql.Conn, error) {
	n := b.cfg.parallel
	var base []*sql.Conn
	for range n {
		c, err := b.db.Conn(ctx)
		if err != nil {
			return base, fmt.Errorf("connect: %w", err)
		}
		base = append(base, c)
		for _, q := range []string{
			"USE " + quoteIdent(b.database),
			"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
			"SET SESSION time_zone='+00:00'",
			"SET NAMES utf8mb4",
			"SET SESSION sql_quote_show_create=1",
			"SET SESSION net_write_timeout=3600",
			"SET SESSION net_read_timeout=3600",
		} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return base, fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	begin := func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
		if err != nil {
			return fmt.Errorf("start the snapshot: %w", err)
		}
		return nil
	}
	single := func(why string) ([]*sql.Conn, error) {
		for _, c := range base[1:] {
			discard(c)
		}
		base = base[:1]
		b.m.Consistency = "single transaction on one connection"
		if why != "" {
			b.m.Consistency += " (" + why + ")"
			b.cfg.logger.Warn("backup reads on one connection", "why", why)
		}
		return base, begin(base[0])
	}
	var locked []string
	for _, t := range b.tables {
		if !t.noData() {
			locked = append(locked, quoteIdent(t.name))
		}
	}
	if n == 1 || len(locked) == 0 {
		return single("")
	}
	if _, err := main.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout=%d", int(b.cfg.lockWait.Seconds()))); err != nil {
		return base, err
	}
	if _, err := main.ExecContext(ctx, "FLUSH TABLES "+strings.Join(locked, ",")+" WITH READ LOCK"); err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) {
			return single(fmt.Sprintf("FLUSH TABLES WITH READ LOCK: %s", me.Message))
		}
		return base, fmt.Errorf("lock tables for the snapshot: %w", err)
	}
	var err error
	for _, c := range base {
		if err = begin(c); err != nil {
			break
		}
	}
	if _, uerr := main.ExecContext(ctx, "UNLOCK TABLES"); uerr != nil && err == nil {
		err = fmt.Errorf("unlock tables: %w", uerr)
	}
	b.m.Consistency = fmt.Sprintf("consistent snapshot on %d connections (FLUSH TABLES ... WITH READ LOCK)", n)
	return base, err
}

// describeTable reads a table's columns and CREATE statement.
func (b *backup) describeTable(ctx context.Context, conn *sql.Conn, t *tableDump) error {
	q := "SHOW CREATE TABLE " + quoteIdent(t.name)
	if t.typ == "SEQUENCE" {
		q = "SHOW CREATE SEQUENCE " + quoteIdent(t.name)
	}
	var name string
	if err := conn.QueryRowContext(ctx, q).Scan(&name, &t.create); err != nil {
		return fmt.Errorf("table %s: %s: %w", quoteIdent(t.name), q, err)
	}
	if t.typ == "SEQUENCE" {
		return nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CONCAT(EXTRA, '|', COALESCE(GENERATION_EXPRESSION, '')) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", b.database, t.name)
	if err != nil {
		return fmt.Errorf("table %s: columns: %w", quoteIdent(t.name), err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, dt, ct, extra string
		if err := rows.Scan(&name, &dt, &ct, &extra); err != nil {
			return err
		}
		if strings.HasSuffix(extra, "|ROW START") || strings.HasSuffix(extra, "|ROW END") {
			t.period = append(t.period, column{name: name, kind: colTemporal})
			if !strings.Contains(strings.ToLower(dt), "timestamp") {
				t.period = []column{{name: ""}} // versioned by transaction id: no history
			}
			continue
		}
		if strings.Contains(extra, "GENERATED") {
			continue // computed by the server
		}
		c := column{name: name}
		switch strings.ToLower(dt) {
		case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "double", "real":
			c.kind = colNumber
		case "float":
			c.kind = colFloat
		case "bit":
			c.kind = colBit
		case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
			"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
			c.kind = colBinary
		case "date", "datetime", "timestamp":
			c.kind = colTemporal
		default:
			c.kind = colString
		}
		t.cols = append(t.cols, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	b.historyOf(t)
	return nil
}

// historyOf decides whether t's history is written, and logs what a
// system-versioned table's backup holds.
func (b *backup) historyOf(t *tableDump) {
	if t.typ != "SYSTEM VERSIONED" {
		t.period = nil
		return
	}
	switch {
	case len(t.period) == 0: // implicit period columns
		t.period = []column{{name: "ROW_START", kind: colTemporal}, {name: "ROW_END", kind: colTemporal}}
	case len(t.period) != 2 || t.period[0].name == "" || t.period[1].name == "":
		b.cfg.logger.Warn("a system-versioned table is versioned by transaction id: its history is not in the backup, only its current rows", "table", t.name)
		t.period = nil
		return
	}
	canLoad := b.mariadb && b.version >= 101100
	switch {
	case b.cfg.history && canLoad:
		t.history = true
		b.cfg.logger.Info("writing the history of a system-versioned table", "table", t.name)
	case b.cfg.history:
		b.cfg.logger.Warn("the history of a system-versioned table cannot be written: loading it needs MariaDB 10.11 or later (system_versioning_insert_history); only its current rows are in the backup", "table", t.name, "server", b.m.ServerVersion)
	case canLoad:
		b.cfg.logger.Warn("a system-versioned table's history is not in the backup, only its current rows (as mariadb-dump without --dump-history); back up with history (migrate backup --history) to keep it", "table", t.name)
	default:
		b.cfg.logger.Warn("a system-versioned table's history is not in the backup, only its current rows (this server cannot load history: MariaDB 10.11 or later)", "table", t.name)
	}
}

// sqlWriter writes SQL text and remembers the first error.
type sqlWriter struct {
	mu  sync.Mutex
	w   io.Writer
	n   *atomic.Int64
	err error
}

func (w *sqlWriter) write(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return
	}
	n, err := w.w.Write(p)
	w.n.Add(int64(n))
	if err != nil {
		w.err = fmt.Errorf("write the dump: %w", err)
	}
}

func (w *sqlWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *sqlWriter) printf(format string, args ...any) {
	w.write(fmt.Appendf(nil, format, args...))
}

func (b *backup) header(w *sqlWriter) {
	tool := "migtest dump"
	if b.cfg.tool != "" {
		tool += " " + b.cfg.tool
	}
	w.printf("-- %s\n--\n-- Database: %s\n-- Server version\t%s\n-- Started: %s\n-- Consistency: %s\n-- ------------------------------------------------------\n\n",
		commentSafe(tool), commentSafe(b.database), commentSafe(b.m.ServerVersion), b.start.UTC().Format(time.RFC3339), commentSafe(b.m.Consistency))
	w.write([]byte(`/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

`))
	if b.m.Charset != "" {
		w.printf("ALTER DATABASE CHARACTER SET %s COLLATE %s;\n\n", b.m.Charset, b.m.Collation)
	}
	if b.withHistory() {
		w.write([]byte("/*!101100 SET @OLD_SYSTEM_VERSIONING_INSERT_HISTORY=@@SYSTEM_VERSIONING_INSERT_HISTORY, SYSTEM_VERSIONING_INSERT_HISTORY=1 */;\n\n"))
	}
}

// withHistory reports whether some table's history is written.
func (b *backup) withHistory() bool {
	for _, t := range b.tables {
		if t.history {
			return true
		}
	}
	return false
}

func (b *backup) footer(w *sqlWriter) {
	if b.withHistory() {
		w.write([]byte("/*!101100 SET SYSTEM_VERSIONING_INSERT_HISTORY=@OLD_SYSTEM_VERSIONING_INSERT_HISTORY */;\n"))
	}
	w.write([]byte(`/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

`))
	w.printf("-- Dump completed on %s\n", time.Now().UTC().Format("2006-01-02 15:04:05"))
}

func (b *backup) writeCreate(w *sqlWriter, t *tableDump) {
	if t.typ == "SEQUENCE" {
		w.printf("--\n-- Sequence %s\n--\n\nDROP SEQUENCE IF EXISTS %s;\n%s;\n\n", commentName(t.name), quoteIdent(t.name), t.create)
		return
	}
	w.printf("--\n-- Table %s\n--\n\nDROP TABLE IF EXISTS %s;\n%s;\n\n", commentName(t.name), quoteIdent(t.name), t.create)
}

// sequences writes the current value of each sequence (after the data,
// as read in the snapshot connection).
func (b *backup) sequences(ctx context.Context, conn *sql.Conn, w *sqlWriter) error {
	for _, t := range b.tables {
		if t.typ != "SEQUENCE" {
			continue
		}
		var next string
		if err := conn.QueryRowContext(ctx, "SELECT next_not_cached_value FROM "+quoteIdent(t.name)).Scan(&next); err != nil {
			return fmt.Errorf("sequence %s: %w", quoteIdent(t.name), err)
		}
		w.printf("DO SETVAL(%s, %s, 0);\n", quoteIdent(t.name), next)
	}
	w.write([]byte("\n"))
	return nil
}

// data reads the tables on the reader connections, largest first, and
// writes their rows as INSERTs of about cfg.chunk bytes.
func (b *backup) data(ctx context.Context, readers []*sql.Conn, w *sqlWriter) error {
	var todo []*tableDump
	for _, t := range b.tables {
		if !t.noData() {
			todo = append(todo, t)
		}
	}
	sort.SliceStable(todo, func(i, j int) bool { return todo[i].size > todo[j].size })
	next := make(chan *tableDump)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(next)
		for _, t := range todo {
			select {
			case next <- t:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for _, c := range readers {
		g.Go(func() error {
			for t := range next {
				if err := b.dumpTable(gctx, c, t, w); err != nil {
					return fmt.Errorf("table %s: %w", quoteIdent(t.name), err)
				}
				b.done.Add(1)
			}
			return nil
		})
	}
	return g.Wait()
}

// dumpTable streams one table's rows into INSERT statements.
func (b *backup) dumpTable(ctx context.Context, conn *sql.Conn, t *tableDump, w *sqlWriter) error {
	if len(t.cols) == 0 {
		return nil
	}
	var sel, ins strings.Builder
	kinds := make([]colKind, len(t.cols))
	for i, c := range t.cols {
		kinds[i] = c.kind
	}
	sel.WriteString("SELECT ")
	ins.WriteString("INSERT INTO " + quoteIdent(t.name) + " (")
	for i, c := range t.cols {
		if i > 0 {
			sel.WriteByte(',')
			ins.WriteByte(',')
		}
		q := quoteIdent(c.name)
		ins.WriteString(q)
		switch c.kind {
		case colFloat:
			sel.WriteString("CAST(" + q + " AS DOUBLE)")
		case colTemporal:
			sel.WriteString("CAST(" + q + " AS CHAR)")
		default:
			sel.WriteString(q)
		}
	}
	for _, c := range t.period {
		if !t.history {
			break
		}
		q := quoteIdent(c.name)
		sel.WriteString(",CAST(" + q + " AS CHAR)")
		ins.WriteString("," + q)
		kinds = append(kinds, colTemporal)
	}
	sel.WriteString(" FROM " + quoteIdent(t.name))
	if t.history {
		sel.WriteString(" FOR SYSTEM_TIME ALL")
	}
	ins.WriteString(") VALUES ")
	prefix := ins.String()
	chunk := b.cfg.chunk
	buf := make([]byte, 0, chunk+chunk/4)
	rowsIn := 0
	flush := func() {
		if rowsIn == 0 {
			return
		}
		if !t.started {
			t.started = true
			w.write([]byte("/*!40000 ALTER TABLE " + quoteIdent(t.name) + " DISABLE KEYS */;\n"))
		}
		buf = append(buf, ";\n"...)
		w.write(buf)
		buf, rowsIn = buf[:0], 0
	}
	err := conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the driver cannot query without prepared statements")
		}
		rows, err := q.QueryContext(ctx, sel.String(), nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(kinds))
		for {
			if err := rows.Next(vals); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return err
			}
			if rowsIn == 0 {
				buf = append(buf, prefix...)
			} else {
				buf = append(buf, ',')
			}
			buf = append(buf, '(')
			for i, v := range vals {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendValue(buf, kinds[i], v)
			}
			buf = append(buf, ')')
			rowsIn++
			t.rows.Add(1)
			b.rows.Add(1)
			if len(buf) >= chunk {
				flush()
				if err := w.failed(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	flush()
	if t.started {
		w.write([]byte("/*!40000 ALTER TABLE " + quoteIdent(t.name) + " ENABLE KEYS */;\n"))
	}
	return w.failed()
}

const hexDigits = "0123456789ABCDEF"

// appendValue writes one value as a SQL literal.
func appendValue(buf []byte, kind colKind, v driver.Value) []byte {
	var s []byte
	switch x := v.(type) {
	case nil:
		return append(buf, "NULL"...)
	case []byte:
		s = x
	case string:
		s = []byte(x)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case uint64:
		return strconv.AppendUint(buf, x, 10)
	case float64:
		return strconv.AppendFloat(buf, x, 'g', -1, 64)
	case float32:
		return strconv.AppendFloat(buf, float64(x), 'g', -1, 32)
	case time.Time:
		return append(append(append(buf, '\''), x.Format("2006-01-02 15:04:05.999999")...), '\'')
	case bool:
		if x {
			return append(buf, '1')
		}
		return append(buf, '0')
	default:
		s = fmt.Append(nil, x)
	}
	switch kind {
	case colNumber, colFloat:
		return append(buf, s...)
	case colBinary:
		if len(s) == 0 {
			return append(buf, "''"...)
		}
		buf = append(buf, "0x"...)
		for _, c := range s {
			buf = append(buf, hexDigits[c>>4], hexDigits[c&15])
		}
		return buf
	case colBit:
		var n uint64
		for _, c := range s {
			n = n<<8 | uint64(c)
		}
		buf = append(buf, "b'"...)
		buf = strconv.AppendUint(buf, n, 2)
		return append(buf, '\'')
	}
	return sqltext.AppendString(buf, s)
}

// commentSafe returns s with every control character written as an escape
// (\n, \r, \t, \xNN; a backslash as \\, so that it reads back), so that text placed in a "-- " comment line can
// never end the line. mysqldump had this hole (Bug#25717383): a table named
// "t\nCREATE DATABASE x; -- " put a live statement on the next line, run
// by whoever loads the dump with the stock client.
func commentSafe(s string) string {
	if !strings.ContainsFunc(s, isControl) && !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case isControl(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// commentUnescape undoes commentSafe.
func commentUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'x', 'u':
			n := 2
			if s[i] == 'u' {
				n = 4
			}
			if v, err := strconv.ParseUint(s[i+1:min(len(s), i+1+n)], 16, 32); err == nil && i+n < len(s) {
				b.WriteRune(rune(v))
				i += n
				continue
			}
			b.WriteByte('\\')
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// isControl reports the characters commentSafe escapes: C0 controls, DEL
// and the Unicode line and paragraph separators.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029
}

// commentName is an object name as written in a "-- " comment.
func commentName(name string) string { return commentSafe(quoteIdent(name)) }

// objDef is a view, trigger, routine or event definition with the session
// it was created under.
type objDef struct {
	kind, name, create              string
	sqlMode, charset, collation, tz string
}

// delimiterFor picks a DELIMITER that does not occur in body.
func delimiterFor(body string) string {
	for _, d := range []string{";;", "$$", "//", ";;;", "$$$", "@@;@@"} {
		if !strings.Contains(body, d) {
			return d
		}
	}
	return "\x01;\x01"
}

// writeObject writes a stored program with its session settings, like
// mariadb-dump.
func writeObject(w *sqlWriter, o objDef, drop string) {
	w.printf("--\n-- %s %s\n--\n\n", o.kind, commentName(o.name))
	if drop != "" {
		w.printf("%s;\n", drop)
	}
	w.write([]byte("/*!50003 SET @saved_cs_client      = @@character_set_client */ ;\n" +
		"/*!50003 SET @saved_cs_results     = @@character_set_results */ ;\n" +
		"/*!50003 SET @saved_col_connection = @@collation_connection */ ;\n" +
		"/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;\n"))
	if o.tz != "" {
		w.write([]byte("/*!50106 SET @saved_time_zone      = @@time_zone */ ;\n"))
		w.printf("/*!50106 SET time_zone             = %s */ ;\n", quoteString(o.tz))
	}
	w.printf("/*!50003 SET character_set_client  = %s */ ;\n", o.charset)
	w.printf("/*!50003 SET character_set_results = %s */ ;\n", o.charset)
	w.printf("/*!50003 SET collation_connection  = %s */ ;\n", o.collation)
	w.printf("/*!50003 SET sql_mode              = %s */ ;\n", quoteString(o.sqlMode))
	d := delimiterFor(o.create)
	sep := " "
	if endsInComment(o.create) {
		sep = "\n" // "RETURN 1 # note" would swallow a delimiter on its line
	}
	w.printf("DELIMITER %s\n%s%s%s\nDELIMITER ;\n", d, o.create, sep, d)
	w.write([]byte("/*!50003 SET sql_mode              = @saved_sql_mode */ ;\n" +
		"/*!50003 SET character_set_client  = @saved_cs_client */ ;\n" +
		"/*!50003 SET character_set_results = @saved_cs_results */ ;\n" +
		"/*!50003 SET collation_connection  = @saved_col_connection */ ;\n"))
	if o.tz != "" {
		w.write([]byte("/*!50106 SET time_zone             = @saved_time_zone */ ;\n"))
	}
	w.write([]byte("\n"))
}

// endsInComment reports whether a definition ends in a "#" or "-- "
// comment (mariadb-dump writes its delimiter on that line, and the stock
// client then never sees it).
func endsInComment(create string) bool {
	toks := newLexer(create, 999999, true, false).all()
	rest := create
	if len(toks) > 0 {
		rest = create[toks[len(toks)-1].end:]
	}
	return strings.TrimSpace(rest) != ""
}

// showCreate runs a SHOW CREATE statement and returns its columns by name.
func showCreate(ctx context.Context, conn *sql.Conn, q string) (map[string]string, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: no row (missing privileges?)", q)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for i, c := range cols {
		m[c] = vals[i].String
	}
	return m, rows.Err()
}

func names(ctx context.Context, conn *sql.Conn, q string, args ...any) ([][2]string, error) {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out = append(out, [2]string{a, b})
	}
	return out, rows.Err()
}

func (b *backup) routines(ctx context.Context, conn *sql.Conn, w *sqlWriter) error {
	list, err := names(ctx, conn, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('FUNCTION','PROCEDURE') ORDER BY ROUTINE_TYPE DESC, ROUTINE_NAME", b.database)
	if err != nil {
		return fmt.Errorf("list routines: %w", err)
	}
	for _, r := range list {
		name, typ := r[0], r[1]
		m, err := showCreate(ctx, conn, "SHOW CREATE "+typ+" "+quoteIdent(name))
		if err != nil {
			return fmt.Errorf("%s %s: %w", strings.ToLower(typ), quoteIdent(name), err)
		}
		create := m["Create Procedure"]
		if typ == "FUNCTION" {
			create = m["Create Function"]
		}
		if create == "" {
			return fmt.Errorf("%s %s: SHOW CREATE gives no definition: the backup user needs SELECT on mysql.proc or to be the definer", strings.ToLower(typ), quoteIdent(name))
		}
		writeObject(w, objDef{kind: strings.ToLower(typ), name: name, create: create, sqlMode: m["sql_mode"], charset: m["character_set_client"], collation: m["collation_connection"]},
			"/*!50003 DROP "+typ+" IF EXISTS "+quoteIdent(name)+" */")
		b.m.Routines = append(b.m.Routines, strings.ToLower(typ)+" "+name)
	}
	return nil
}

func (b *backup) triggers(ctx context.Context, conn *sql.Conn, w *sqlWriter) error {
	list, err := names(ctx, conn, "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER", b.database)
	if err != nil {
		return fmt.Errorf("list triggers: %w", err)
	}
	for _, r := range list {
		m, err := showCreate(ctx, conn, "SHOW CREATE TRIGGER "+quoteIdent(r[0]))
		if err != nil {
			return fmt.Errorf("trigger %s: %w", quoteIdent(r[0]), err)
		}
		writeObject(w, objDef{kind: "trigger", name: r[0], create: m["SQL Original Statement"], sqlMode: m["sql_mode"], charset: m["character_set_client"], collation: m["collation_connection"]}, "")
		b.m.Triggers = append(b.m.Triggers, r[0])
	}
	return nil
}

func (b *backup) events(ctx context.Context, conn *sql.Conn, w *sqlWriter) error {
	list, err := names(ctx, conn, "SELECT EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME", b.database)
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	for _, r := range list {
		m, err := showCreate(ctx, conn, "SHOW CREATE EVENT "+quoteIdent(r[0]))
		if err != nil {
			return fmt.Errorf("event %s: %w", quoteIdent(r[0]), err)
		}
		writeObject(w, objDef{kind: "event", name: r[0], create: m["Create Event"], sqlMode: m["sql_mode"], charset: m["character_set_client"], collation: m["collation_connection"], tz: m["time_zone"]},
			"/*!50106 DROP EVENT IF EXISTS "+quoteIdent(r[0])+" */")
		b.m.Events = append(b.m.Events, r[0])
	}
	return nil
}

// views writes the views, each after the views it reads from.
func (b *backup) views(ctx context.Context, conn *sql.Conn, w *sqlWriter) error {
	list, err := names(ctx, conn, "SELECT TABLE_NAME, '' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", b.database)
	if err != nil {
		return fmt.Errorf("list views: %w", err)
	}
	defs := map[string]objDef{}
	var order []string
	for _, r := range list {
		m, err := showCreate(ctx, conn, "SHOW CREATE VIEW "+quoteIdent(r[0]))
		if err != nil {
			return fmt.Errorf("view %s: %w", quoteIdent(r[0]), err)
		}
		defs[r[0]] = objDef{kind: "view", name: r[0], create: m["Create View"], charset: m["character_set_client"], collation: m["collation_connection"]}
		order = append(order, r[0])
	}
	// Depth-first: a view after every view its definition names.
	state := map[string]int{}
	var sorted []string
	var visit func(string)
	visit = func(n string) {
		if state[n] != 0 {
			return
		}
		state[n] = 1
		for _, dep := range viewDeps(defs[n].create, defs, b.version, b.mariadb) {
			if dep != n {
				visit(dep)
			}
		}
		state[n] = 2
		sorted = append(sorted, n)
	}
	for _, n := range order {
		visit(n)
	}
	for _, n := range sorted {
		d := defs[n]
		w.printf("--\n-- View %s\n--\n\n/*!50001 DROP VIEW IF EXISTS %s */;\n", commentName(n), quoteIdent(n))
		w.write([]byte("/*!50001 SET @saved_cs_client          = @@character_set_client */;\n" +
			"/*!50001 SET @saved_cs_results         = @@character_set_results */;\n" +
			"/*!50001 SET @saved_col_connection     = @@collation_connection */;\n"))
		w.printf("/*!50001 SET character_set_client      = %s */;\n/*!50001 SET character_set_results     = %s */;\n/*!50001 SET collation_connection      = %s */;\n", d.charset, d.charset, d.collation)
		w.printf("%s;\n", d.create)
		w.write([]byte("/*!50001 SET character_set_client      = @saved_cs_client */;\n" +
			"/*!50001 SET character_set_results     = @saved_cs_results */;\n" +
			"/*!50001 SET collation_connection      = @saved_col_connection */;\n\n"))
		b.m.Views = append(b.m.Views, n)
	}
	return nil
}

// viewDeps returns the views that a view definition names.
func viewDeps(create string, views map[string]objDef, version int, mariadb bool) []string {
	l := newLexer(create, version, mariadb, false)
	seen := map[string]bool{}
	var deps []string
	for {
		t, ok := l.next()
		if !ok {
			break
		}
		if n, ok := t.name(); ok {
			if _, isView := views[n]; isView && !seen[n] {
				seen[n] = true
				deps = append(deps, n)
			}
		}
	}
	return deps
}

func (b *backup) progress() Progress {
	p := Progress{Bytes: b.sqlOut.Load(), TotalBytes: b.total, Rows: b.rows.Load(), Statements: b.done.Load()}
	if p.TotalBytes > 0 && p.Bytes > p.TotalBytes {
		p.TotalBytes = p.Bytes
	}
	if el := time.Since(b.start).Seconds(); el > 0 {
		p.Rate = float64(p.Bytes) / el
	}
	if p.Rate > 0 && p.TotalBytes > 0 {
		p.ETA = time.Duration(float64(p.TotalBytes-p.Bytes) / p.Rate * float64(time.Second))
	}
	return p
}

func (b *backup) startProgress() func() {
	return tickProgress(b.cfg.progress, b.progress)
}

func (b *backup) report() {
	if b.cfg.progress != nil {
		p := b.progress()
		p.TotalBytes, p.ETA = p.Bytes, 0
		b.cfg.progress(p)
	}
}
