package runbook

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/migrate"
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	// File is the dump to load: .sql, .sql.gz or .zst (recognised by
	// content), or "-" for standard input. Required.
	File string
	// Force replaces the contents of a database that holds tables, views
	// or routines; without it such a database is refused.
	Force bool
	// SafetyBackupDir, with Force, is where the current contents are backed
	// up before they are replaced (empty: no safety backup).
	SafetyBackupDir string
	// Logger receives log lines (default: discarded).
	Logger *slog.Logger
	// Bytes reports the progress in bytes read (optional).
	Bytes migrate.ProgressFunc
	// ToolVersion is recorded in the safety backup's manifest.
	ToolVersion string
	// Charset and Collation are the defaults of a database the restore
	// creates; empty: the dump's (its manifest, or its CREATE/ALTER
	// DATABASE), else the server's, as a stock CREATE DATABASE.
	Charset, Collation string
	// safety is the backup a failed forced load puts back (set by Restore
	// and Rollback from the safety backup they took).
	safety string
}

// Validate reports what is wrong with o, or nil.
func (o RestoreOptions) Validate() error {
	if o.File == "" {
		return inputErrorf("restore needs --file FILE (.sql, .sql.gz, or - for stdin)")
	}
	return nil
}

// RestoreResult is what Restore did.
type RestoreResult struct {
	// SafetyBackup is the backup of the contents Force replaced, or "".
	SafetyBackup string
	// Stats are the loader's counts.
	Stats dump.Stats
}

// Restore loads o.File into the target's database, creating the database
// when it does not exist (and dropping it again when the restore fails).
// A database that is not empty is refused unless o.Force; then the file is
// read through once first (a file that is not a dump changes nothing), the
// safety backup is taken, and the database emptied. The result is returned
// also with an error, so a caller can name the safety backup.
func Restore(ctx context.Context, t Target, o RestoreOptions) (*RestoreResult, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	res := &RestoreResult{}
	if o.Force && o.SafetyBackupDir != "" {
		safety, err := safetyBackup(ctx, t, o)
		if err != nil {
			return res, fmt.Errorf("safety backup before restore --force failed, nothing was changed: %w", err)
		}
		res.SafetyBackup = safety
		o.safety = safety
	}
	st, err := restoreFile(ctx, t, o)
	res.Stats = st
	return res, err
}

// safetyBackup backs up the target into o.SafetyBackupDir when it holds anything.
func safetyBackup(ctx context.Context, t Target, o RestoreOptions) (string, error) {
	db, err := t.Open(ctx)
	if err != nil {
		return "", err
	}
	defer db.Close()
	n, err := objectCount(ctx, db, t.Database())
	if err != nil || n == 0 {
		return "", err
	}
	rb := &Runbook{db: db, target: t, opts: Options{Logger: o.Logger, Bytes: o.Bytes, ToolVersion: o.ToolVersion}}
	rb.log = rb.opts.logger()
	safety, _, err := rb.backupInto(ctx, o.SafetyBackupDir, t.SiteName()+"-before-restore")
	return safety, err
}

// openDump opens the dump of o.File (stdin for "-") and returns its size, or -1.
func openDump(file string) (io.Reader, int64, func(), error) {
	if file == "-" {
		return os.Stdin, -1, func() {}, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, nil, inputErrorf("cannot read the dump %s: %v; give an existing .sql or .sql.gz file", file, err)
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	return f, size, func() { f.Close() }, nil
}

// restoreFile restores o.File into the target's database, refusing a
// non-empty database unless o.Force.
func restoreFile(ctx context.Context, t Target, o RestoreOptions) (st dump.Stats, err error) {
	log := o.logger()
	database := t.Database()
	r, size, closeDump, err := openDump(o.File)
	if err != nil {
		return st, err
	}
	defer closeDump()
	// Work without a default database, so a database that does not exist
	// yet can be created (and dropped again if the restore fails).
	cfg := t.Config.Clone()
	cfg.DBName = ""
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return st, err
	}
	defer db.Close()
	created, err := createIfMissing(ctx, db, database, createDatabaseSQL(database, o), log)
	if err != nil {
		return st, err
	}
	if created {
		defer func() {
			if err != nil {
				if _, derr := db.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+sqltext.QuoteIdent(database)); derr == nil {
					err = fmt.Errorf("%w; the database %s this restore had created was dropped again", err, database)
				}
			}
		}()
	}
	emptied, err := emptyForRestore(ctx, db, database, r, o)
	if err != nil {
		return st, err
	}
	if emptied {
		defer func() {
			if err != nil {
				err = putBack(context.WithoutCancel(ctx), db, database, o.safety, log, err)
			}
		}()
	}
	opts := []dump.RestoreOption{dump.WithRestoreLogger(log)}
	if o.Charset != "" || o.Collation != "" {
		opts = append(opts, dump.WithCharset(o.Charset, o.Collation))
	}
	if p := o.Bytes; p != nil {
		opts = append(opts, dump.WithRestoreProgress(func(pr dump.Progress) { p("restore", pr.Bytes, size) }))
	}
	log.Info("restore started", "database", database, "file", o.File)
	st, err = dump.Restore(ctx, db, database, r, opts...)
	if err != nil {
		return st, fmt.Errorf("restore %s into %s: %w", o.File, database, err)
	}
	if p := o.Bytes; p != nil {
		p("restore", size, size)
	}
	log.Info("restore done", "database", database, "tables", st.Tables, "statements", st.Statements, "rows", st.Rows, "took", st.Duration.Round(time.Millisecond))
	return st, nil
}

func (o RestoreOptions) logger() *slog.Logger { return Options{Logger: o.Logger}.logger() }

// createDatabaseSQL is the CREATE DATABASE for a restore into a database
// that does not exist: with o's character set and collation, else those the
// dump's manifest records, else the server's defaults (as a stock CREATE
// DATABASE).
func createDatabaseSQL(database string, o RestoreOptions) string {
	cs, co := o.Charset, o.Collation
	if cs == "" && co == "" && o.File != "-" {
		if m, err := dump.ReadManifest(dump.ManifestPath(o.File)); err == nil {
			cs, co = m.Charset, m.Collation
		}
	}
	q := "CREATE DATABASE " + sqltext.QuoteIdent(database)
	if cs != "" {
		q += " CHARACTER SET " + sqltext.QuoteIdent(cs)
	}
	if co != "" {
		q += " COLLATE " + sqltext.QuoteIdent(co)
	}
	return q
}

// putBack reloads the safety backup after a forced restore failed with
// failure, and says in the error which state the database is left in.
func putBack(ctx context.Context, db *sql.DB, database, safety string, log *slog.Logger, failure error) error {
	if safety == "" {
		return fmt.Errorf("%w; --force had emptied %s first, so it holds nothing now: restore a good backup into it", failure, database)
	}
	log.Warn("the forced restore failed: putting the previous contents back from the safety backup", "database", database, "backup", safety)
	err := emptyDatabase(ctx, db, database)
	if err == nil {
		var f *os.File
		if f, err = os.Open(safety); err == nil {
			_, err = dump.Restore(ctx, db, database, f, dump.WithRestoreLogger(log))
			f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("%w; --force had emptied %s and putting its previous contents back failed too (%w): restore them with migrate restore --force --file %s", failure, database, err, safety)
	}
	return fmt.Errorf("%w; %s holds its previous contents again (put back from the safety backup %s)", failure, database, safety)
}

// createIfMissing creates database with create when it does not exist and
// reports whether it did.
func createIfMissing(ctx context.Context, db *sql.DB, database, create string, log *slog.Logger) (bool, error) {
	var exists int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database).Scan(&exists); err != nil {
		return false, fmt.Errorf("restore into %s: %w", database, err)
	}
	if exists > 0 {
		return false, nil
	}
	if _, err := db.ExecContext(ctx, create); err != nil {
		return false, fmt.Errorf("database %s does not exist and cannot be created: %w; create it or grant CREATE", database, err)
	}
	log.Info("created the database for the restore", "database", database)
	return true, nil
}

// emptyForRestore refuses a database that holds anything unless o.Force;
// with it, it reads the dump through once (when it is a file) and then
// empties the database. It reports whether it emptied it.
func emptyForRestore(ctx context.Context, db *sql.DB, database string, r io.Reader, o RestoreOptions) (bool, error) {
	n, err := objectCount(ctx, db, database)
	if err != nil {
		return false, fmt.Errorf("restore into %s: %w", database, err)
	}
	if n == 0 {
		return false, nil
	}
	if !o.Force {
		return false, inputErrorf("database %s is not empty (%d tables, views or routines); restore into an empty database or pass --force to replace its contents", database, n)
	}
	// Read a file that is to replace the contents through once before
	// anything is dropped, so a file that is not a dump, or is empty
	// or truncated, changes nothing.
	if f, ok := r.(*os.File); ok && o.File != "-" {
		if err := precheckDump(f); err != nil {
			return false, fmt.Errorf("restore %s into %s: %w; nothing was changed", o.File, database, err)
		}
	}
	o.logger().Warn("emptying the database to replace its contents with the dump", "database", database, "objects", n, "file", o.File)
	if err := emptyDatabase(ctx, db, database); err != nil {
		return false, err
	}
	return true, nil
}

// objectCount counts the tables, views and routines in database.
func objectCount(ctx context.Context, db *sql.DB, database string) (int, error) {
	var n, r int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database).Scan(&n); err != nil {
		return 0, err
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?", database).Scan(&r); err != nil {
		return 0, err
	}
	return n + r, nil
}

// emptyDatabase drops every table, view, sequence, routine and event in database.
func emptyDatabase(ctx context.Context, db *sql.DB, database string) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var stmts []string
	for _, query := range []string{
		"SELECT TABLE_NAME, CASE TABLE_TYPE WHEN 'VIEW' THEN 'VIEW' WHEN 'SEQUENCE' THEN 'SEQUENCE' ELSE 'TABLE' END FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_TYPE = 'VIEW' DESC",
		"SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?",
		"SELECT EVENT_NAME, 'EVENT' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?",
	} {
		objs, err := listPairs(ctx, conn, query, database)
		if err != nil {
			return fmt.Errorf("empty %s: %w", database, err)
		}
		for _, o := range objs {
			stmts = append(stmts, "DROP "+o[1]+" IF EXISTS "+sqltext.QuoteIdent(database)+"."+sqltext.QuoteIdent(o[0]))
		}
	}
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("empty %s: %s: %w", database, s, err)
		}
	}
	return nil
}

// precheckDump reads f through to its end and rewinds it: a gzip file must
// decompress without error to something, other input must start like
// text. It catches a file that is not a dump, empty, or truncated.
func precheckDump(f *os.File) error {
	defer func() { _, _ = f.Seek(0, io.SeekStart) }()
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(512)
	var n int64
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("the gzip header is broken (%w): the file is corrupt", err)
		}
		if n, err = io.Copy(io.Discard, zr); err != nil {
			return fmt.Errorf("the gzip data is truncated or corrupt after %d bytes (%w): an interrupted copy or backup?", n, err)
		}
		if n == 0 {
			return fmt.Errorf("the gzip data decompresses to nothing: nothing to restore")
		}
		return nil
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return fmt.Errorf("the file holds nothing to restore")
	}
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return fmt.Errorf("the file is neither gzip nor SQL text (byte 0x%02x near its start)", c)
		}
	}
	return nil
}

// listPairs runs a query of two string columns and returns its rows.
func listPairs(ctx context.Context, conn *sql.Conn, query string, args ...any) ([][2]string, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
