package runbook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/migtest/migtest/migtest/dump"
)

// BackupOptions configure Backup.
type BackupOptions struct {
	// Out is the backup file to write (.sql.gz). Required.
	Out string
	// WithFiles, when set, is a site's files directory archived beside the dump.
	WithFiles string
	// History also writes the history of system-versioned tables (loading
	// it needs MariaDB 10.11+, like mariadb-dump --dump-history).
	History bool
}

// Validate reports what is wrong with o, or nil.
func (o BackupOptions) Validate() error {
	if o.Out == "" {
		return inputErrorf("backup needs --out FILE.sql.gz (or --verify FILE)")
	}
	if err := CheckWritableDir(filepath.Dir(o.Out)); err != nil {
		return inputErrorf("--out %s: %v", o.Out, err)
	}
	if o.WithFiles != "" {
		if st, err := os.Stat(o.WithFiles); err != nil || !st.IsDir() {
			return inputErrorf("--with-files %s is not a directory; give the site's files directory", o.WithFiles)
		}
	}
	return nil
}

// Backup writes one consistent .sql.gz dump of the database that the
// stock mariadb client restores as is, with a manifest beside it, mode
// 0600, under a temporary name until it is complete.
func (r *Runbook) Backup(ctx context.Context, o BackupOptions) (*dump.Manifest, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	t := r.target
	opts := []dump.BackupOption{dump.WithToolVersion(r.opts.version()), dump.WithBackupLogger(r.log), dump.WithHistory(o.History)}
	if o.WithFiles != "" {
		opts = append(opts, dump.WithFiles(o.WithFiles))
	}
	if p := r.opts.Bytes; p != nil {
		opts = append(opts, dump.WithBackupProgress(func(pr dump.Progress) { p("backup", pr.Bytes, pr.TotalBytes) }))
	}
	// The backup gets a pool of its own: its connections carry session
	// settings and snapshots that must not leak into the run's pool.
	own, err := sql.Open("mysql", t.Config.FormatDSN())
	if err != nil {
		return nil, err
	}
	defer own.Close()
	r.log.Info("backup started", "database", t.Database(), "file", o.Out)
	m, err := dump.Backup(ctx, own, t.Database(), o.Out, opts...)
	if err != nil {
		return nil, fmt.Errorf("backup of %s: %w", t.Database(), err)
	}
	if p := r.opts.Bytes; p != nil {
		p("backup", m.Bytes, m.Bytes)
	}
	r.log.Info("backup done", "file", o.Out, "bytes", m.Bytes, "tables", len(m.Tables), "took", time.Duration(m.Duration).Round(time.Millisecond))
	return m, nil
}

// backupInto takes a backup of the database into dir, named after site and
// the time, and returns its absolute path and sha256.
func (r *Runbook) backupInto(ctx context.Context, dir, site string) (string, string, error) {
	if err := CheckWritableDir(dir); err != nil {
		return "", "", inputErrorf("--backup-dir %s: %v", dir, err)
	}
	stem := fmt.Sprintf("%s-%s", SafeFileName(site), time.Now().UTC().Format("20060102T150405Z"))
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
	m, err := r.Backup(ctx, BackupOptions{Out: path})
	if err != nil {
		return "", "", err
	}
	return path, m.SHA256, nil
}

// SafeFileName makes s usable as (part of) a file name: path separators,
// spaces and colons become underscores.
func SafeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, s)
}

// CheckWritableDir creates dir if needed (mode 0700) and says why it
// cannot take new files, or returns nil.
func CheckWritableDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".migtest-probe-*")
	if err != nil {
		return fmt.Errorf("the directory is not writable: %w; choose another or fix its permissions", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
