package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/snapshot"
)

func (a *app) backupCommand() *cobra.Command {
	var out, files, verify string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent .sql.gz backup (and a manifest) of the database",
		Long: `backup writes one consistent .sql.gz dump of the database that the stock
mariadb client restores as is, with a manifest beside it (FILE.manifest.json:
server version, tables and row counts, size, sha256). It writes to a temporary
name and renames when complete, mode 0600. --with-files DIR also archives a
site's files directory. --verify FILE re-reads a backup and checks it.`,
		Example: `  migrate backup --dsn 'user:pass@tcp(db:3306)/site1' --out /var/backups/site1.sql.gz
  migrate backup --site-config sites/site1/site_config.json --out site1.sql.gz --with-files sites/site1
  migrate backup --verify /var/backups/site1.sql.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if verify != "" {
				if out != "" {
					return usageErrorf("--verify and --out contradict each other: --verify checks an existing backup")
				}
				m, err := dump.Verify(ctx, verify)
				if err != nil {
					return withCode(ExitMismatch, err)
				}
				fmt.Fprintf(a.stdout, "ok %s: %d tables, %s, sha256 %s\n", verify, len(m.Tables), human(m.Bytes), m.SHA256)
				return nil
			}
			if out == "" {
				return usageErrorf("backup needs --out FILE.sql.gz (or --verify FILE)")
			}
			db, t, err := a.openTarget(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			m, err := a.backup(ctx, db, t, out, files)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d tables, %s in %s, sha256 %s\n", out, len(m.Tables), human(m.Bytes), time.Duration(m.Duration).Round(time.Millisecond), m.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "backup `FILE` to write (.sql.gz)")
	cmd.Flags().StringVar(&files, "with-files", "", "also archive this site files `DIR` beside the dump")
	cmd.Flags().StringVar(&verify, "verify", "", "check an existing backup `FILE` (gzip, completeness, sha256) instead")
	return cmd
}

// backup writes a backup of t to path with a progress bar.
func (a *app) backup(ctx context.Context, db *sql.DB, t *target, path, files string) (*dump.Manifest, error) {
	if err := checkWritableDir(filepath.Dir(path)); err != nil {
		return nil, usageErrorf("--out %s: %v", path, err)
	}
	opts := []dump.BackupOption{dump.WithToolVersion(Version)}
	if files != "" {
		if st, err := os.Stat(files); err != nil || !st.IsDir() {
			return nil, usageErrorf("--with-files %s is not a directory; give the site's files directory", files)
		}
		opts = append(opts, dump.WithFiles(files))
	}
	if bar := a.byteBar("backup", -1); bar != nil {
		opts = append(opts, dump.WithBackupProgress(func(p dump.Progress) { _ = bar.Set64(p.Bytes) }))
		defer bar.Finish() //nolint:errcheck // display only
	} else if !a.quiet {
		logp := a.progressLog()
		opts = append(opts, dump.WithBackupProgress(func(p dump.Progress) { logp("backup bytes", p.Bytes, p.TotalBytes) }))
	}
	// The backup gets a pool of its own: its connections carry session
	// settings and snapshots that must not leak into the run's pool.
	own, err := dsn.Open(t.cfg)
	if err != nil {
		return nil, err
	}
	defer own.Close()
	a.log.Info("backup started", "database", t.name, "file", path)
	m, err := dump.Backup(ctx, own, t.name, path, opts...)
	if err != nil {
		return nil, fmt.Errorf("backup of %s: %w", t.name, err)
	}
	a.log.Info("backup done", "file", path, "bytes", m.Bytes, "tables", len(m.Tables), "took", time.Duration(m.Duration).Round(time.Millisecond))
	return m, nil
}

// backupBefore takes the backup of an up run into dir and returns its path and sha256.
func (a *app) backupBefore(ctx context.Context, db *sql.DB, t *target, dir string) (string, string, error) {
	stem := fmt.Sprintf("%s-%s", safeName(t.site), time.Now().UTC().Format("20060102T150405Z"))
	path, err := filepath.Abs(filepath.Join(dir, stem+".sql.gz"))
	if err != nil {
		return "", "", err
	}
	// Two backups in one second (an up killed early and the next one) must
	// not share a name: the later would replace the file the earlier run
	// recorded, under the sum the run log holds for it.
	for i := 2; ; i++ {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			break
		}
		path = filepath.Join(filepath.Dir(path), fmt.Sprintf("%s-%d.sql.gz", stem, i))
	}
	m, err := a.backup(ctx, db, t, path, "")
	if err != nil {
		return "", "", err
	}
	return path, m.SHA256, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, s)
}

func (a *app) restoreCommand() *cobra.Command {
	var file, backupDir string
	var force, noSafety bool
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a .sql or .sql.gz backup into the database",
		Long: `restore loads a .sql or .sql.gz dump (ours, mariadb-dump, mysqldump or a
bench backup; recognised by content; "-" reads stdin) into the DSN's database.
It refuses a database that holds tables, views or routines unless --force,
which first takes a safety backup of it (--backup-dir; --no-safety-backup
skips it) and then empties it. CREATE DATABASE and USE in the dump are redirected to
the target database. On failure the target is emptied again and the error says
so; it never looks complete.`,
		Example: `  migrate restore --dsn 'user:pass@tcp(db:3306)/site1_copy' --file site1.sql.gz
  zcat site1.sql.gz | migrate restore --dsn 'user:pass@tcp(db:3306)/scratch' --file - --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return usageErrorf("restore needs --file FILE (.sql, .sql.gz, or - for stdin)")
			}
			t, err := a.resolveTarget()
			if err != nil {
				return err
			}
			if force && !noSafety {
				ctx := cmd.Context()
				db, err := a.open(ctx, t)
				if err == nil {
					var n int
					n, err = objectCount(ctx, db, t.name)
					if err == nil && n > 0 {
						var safety string
						safety, _, err = a.backupBefore(ctx, db, &target{cfg: t.cfg, name: t.name, site: t.site + "-before-restore"}, backupDir)
						if err == nil {
							fmt.Fprintf(a.stdout, "safety backup: %s (undo the restore with: migrate restore --force --file %s)\n", safety, safety)
						}
					}
					db.Close()
				}
				if err != nil {
					return fmt.Errorf("safety backup before restore --force failed, nothing was changed: %w", err)
				}
			}
			return a.restoreFile(cmd.Context(), t.cfg, t.name, file, force)
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "dump `FILE` to restore (.sql or .sql.gz; - for stdin)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the contents of a database that is not empty (after a safety backup)")
	cmd.Flags().StringVar(&backupDir, "backup-dir", "backups", "directory for the safety backup --force takes")
	cmd.Flags().BoolVar(&noSafety, "no-safety-backup", false, "with --force, do not back up the current contents first")
	return cmd
}

// restoreFile restores file into database through dsn, refusing a non-empty
// database unless force.
func (a *app) restoreFile(ctx context.Context, conn *mysql.Config, database, file string, force bool) (err error) {
	var r io.Reader
	var size int64 = -1
	if file == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(file)
		if err != nil {
			return usageErrorf("cannot read the dump %s: %v; give an existing .sql or .sql.gz file", file, err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
		r = f
	}
	// Work without a default database, so a database that does not exist
	// yet can be created (and dropped again if the restore fails).
	cfg := conn.Clone()
	cfg.DBName = ""
	db, err := dsn.Open(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var exists int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database).Scan(&exists); err != nil {
		return fmt.Errorf("restore into %s: %w", database, err)
	}
	if exists == 0 {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+sqltext.QuoteIdent(database)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			return fmt.Errorf("database %s does not exist and cannot be created: %w; create it or grant CREATE", database, err)
		}
		a.log.Info("created the database for the restore", "database", database)
		defer func() {
			if err != nil {
				if _, derr := db.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+sqltext.QuoteIdent(database)); derr == nil {
					err = fmt.Errorf("%w; the database %s this restore had created was dropped again", err, database)
				}
			}
		}()
	}
	n, err := objectCount(ctx, db, database)
	if err != nil {
		return fmt.Errorf("restore into %s: %w", database, err)
	}
	if n > 0 {
		if !force {
			return usageErrorf("database %s is not empty (%d tables, views or routines); restore into an empty database or pass --force to replace its contents", database, n)
		}
		// Read a file that is to replace the contents through once before
		// anything is dropped, so a file that is not a dump, or is empty
		// or truncated, changes nothing.
		if f, ok := r.(*os.File); ok && file != "-" {
			if err := precheckDump(f); err != nil {
				return fmt.Errorf("restore %s into %s: %w; nothing was changed", file, database, err)
			}
		}
		a.log.Warn("emptying the database before the restore (--force)", "database", database, "objects", n)
		if err := emptyDatabase(ctx, db, database); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				err = fmt.Errorf("%w; --force had emptied %s first, so it holds nothing now: restore a good backup into it", err, database)
			}
		}()
	}
	opts := []dump.RestoreOption{dump.WithRestoreLogger(a.log)}
	if bar := a.byteBar("restore", size); bar != nil {
		opts = append(opts, dump.WithRestoreProgress(func(p dump.Progress) { _ = bar.Set64(p.Bytes) }))
		defer bar.Finish() //nolint:errcheck // display only
	} else if !a.quiet {
		logp := a.progressLog()
		opts = append(opts, dump.WithRestoreProgress(func(p dump.Progress) { logp("restore bytes", p.Bytes, p.TotalBytes) }))
	}
	a.log.Info("restore started", "database", database, "file", file)
	st, err := dump.Restore(ctx, db, database, r, opts...)
	if err != nil {
		return fmt.Errorf("restore %s into %s: %w", file, database, err)
	}
	a.log.Info("restore done", "database", database, "tables", st.Tables, "statements", st.Statements, "rows", st.Rows, "took", st.Duration.Round(time.Millisecond))
	return nil
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
	q := sqltext.QuoteIdent
	var stmts []string
	for _, l := range []struct{ query, drop string }{
		{"SELECT TABLE_NAME, CASE TABLE_TYPE WHEN 'VIEW' THEN 'VIEW' WHEN 'SEQUENCE' THEN 'SEQUENCE' ELSE 'TABLE' END FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_TYPE = 'VIEW' DESC", ""},
		{"SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?", ""},
		{"SELECT EVENT_NAME, 'EVENT' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?", ""},
	} {
		objs, err := listPairs(ctx, conn, l.query, database)
		if err != nil {
			return fmt.Errorf("empty %s: %w", database, err)
		}
		for _, o := range objs {
			stmts = append(stmts, "DROP "+o[1]+" IF EXISTS "+q(database)+"."+q(o[0]))
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

func (a *app) rollbackCommand() *cobra.Command {
	var file, backupDir string
	var yes, noSafety, touchedOnly bool
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Restore the backup the last up took (after a safety backup of the current state)",
		Long: `rollback restores the backup recorded by the last up (or --backup FILE) into
the database, replacing its contents. First it takes a safety backup of the
current state into --backup-dir, so a rollback can itself be undone. It asks
for confirmation on a terminal; elsewhere pass --yes. With --touched it
restores only the tables the up's patches wrote to (recorded beside the
backup) and drops the tables they created: much faster on a big site, and
the tables the run did not touch keep the writes made since.`,
		Example: `  migrate rollback --dsn 'user:pass@tcp(db:3306)/site1' --yes
  migrate rollback --dsn 'user:pass@tcp(db:3306)/site1' --yes --touched
  migrate rollback --site-config sites/site1/site_config.json --backup /var/backups/site1-20261124T020000Z.sql.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, db, t, err := a.migrator(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if file == "" {
				run, err := m.LastBackup(ctx)
				if err != nil {
					return err
				}
				if run == nil {
					return usageErrorf("no backup recorded by a previous up on %s; name one with --backup FILE", t.name)
				}
				file = run.BackupFile
				a.log.Info("rolling back to the backup of run", "run_id", run.RunID, "started", run.Started, "backup", file)
			}
			if _, err := os.Stat(file); err != nil {
				return usageErrorf("backup %s cannot be read: %v; name an existing backup with --backup FILE", file, err)
			}
			if !yes {
				if err := a.confirm(fmt.Sprintf("Replace the contents of %s with %s?", t.name, file)); err != nil {
					return err
				}
			}
			// Never restore under a running up: hold its lock throughout.
			unlock, err := m.Lock(ctx, 0)
			if err != nil {
				return engineExit(err)
			}
			defer unlock()
			history, err := m.Runs(ctx)
			if err != nil {
				return err
			}
			safety := ""
			if !noSafety {
				var err error
				safety, _, err = a.backupBefore(ctx, db, &target{cfg: t.cfg, name: t.name, site: t.site + "-before-rollback"}, backupDir)
				if err != nil {
					return fmt.Errorf("safety backup before rollback failed, nothing was changed: %w", err)
				}
				fmt.Fprintf(a.stdout, "safety backup: %s (undo the rollback with: migrate rollback --backup %s)\n", safety, safety)
			}
			started := time.Now().UTC()
			if touchedOnly {
				restored, err := a.rollbackTouched(ctx, db, t, file)
				if err != nil {
					return fmt.Errorf("rollback --touched: %w; the safety backup holds the state before the rollback", err)
				}
				fmt.Fprintf(a.stdout, "restored %d tables the run touched: %s\n", len(restored), strings.Join(restored, ", "))
			} else if err := a.restoreFile(ctx, t.cfg, t.name, file, true); err != nil {
				return fmt.Errorf("rollback: %w; the safety backup holds the state before the rollback", err)
			}
			// The patch log is the backup's (it matches the data); the run log
			// keeps its history and records the rollback.
			note := "restored " + file
			if safety != "" {
				note += "; safety backup " + safety
			}
			if err := m.AddRuns(ctx, append(history, migrate.Run{Kind: "rollback", State: "done", Started: started,
				Finished: time.Now().UTC(), BackupFile: file, Note: note})...); err != nil {
				a.log.Warn("restored, but could not record the rollback in the run log", "err", err)
			}
			fmt.Fprintf(a.stdout, "rolled back %s to %s\n", t.name, file)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "backup", "", "restore this backup `FILE` instead of the last up's")
	cmd.Flags().StringVar(&backupDir, "backup-dir", "backups", "directory for the safety backup")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&noSafety, "no-safety-backup", false, "skip the safety backup of the current state")
	cmd.Flags().BoolVar(&touchedOnly, "touched", false, "restore only the tables the run wrote to (and drop those it created), not the whole database")
	return cmd
}

// confirm asks on a terminal; elsewhere it needs --yes.
func (a *app) confirm(question string) error {
	in, ok := os.Stdin, term.IsTerminal(int(os.Stdin.Fd()))
	if !ok {
		return usageErrorf("%s Not on a terminal: pass --yes to confirm", question)
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	if s := strings.ToLower(strings.TrimSpace(line)); s != "y" && s != "yes" {
		return fmt.Errorf("not confirmed; nothing was changed")
	}
	return nil
}

// inspect takes a snapshot of the database for reports.
func (a *app) inspect(ctx context.Context, db *sql.DB, database string) (*snapshot.Snapshot, error) {
	s, err := snapshot.Take(ctx, db, database)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", database, err)
	}
	return s, nil
}

// fill records tables and row counts before and after, and the changes.
func (r *upReport) fill(before, after *snapshot.Snapshot) {
	rows := func(s *snapshot.Snapshot) map[string]int64 {
		m := make(map[string]int64, len(s.Tables))
		for _, t := range s.Tables {
			m[t.Name] = t.Rows
		}
		return m
	}
	r.TablesBefore, r.TablesAfter = len(before.Tables), len(after.Tables)
	r.RowsBefore, r.RowsAfter = rows(before), rows(after)
	for _, l := range strings.Split(strings.TrimSpace(snapshot.Compare(before, after).String()), "\n") {
		if l != "" {
			r.Changes = append(r.Changes, l)
		}
	}
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
