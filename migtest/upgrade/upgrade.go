// Package upgrade rehearses a server version change, which is a migration
// too: Compare restores one dump on the old server and on the new one and
// reports what the version change itself changed (column types, defaults,
// collations, sql_mode) before any patch runs, and Check reads a dump for
// what a server cannot hold (a collation or a type newer than it), so that
// restoring a backup on an older server fails with one line that names the
// problem instead of at the first CREATE TABLE that uses it.
package upgrade

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/migtest/migtest/migtest/ddllint"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
)

// feature is something a dump may use that only some servers hold.
type feature struct {
	name    string         // what the dump uses, for the message
	pattern *regexp.Regexp // on one schema line of a dump
	mariadb [3]int         // first MariaDB version that holds it; zero: none does
	mysql   [3]int         // first MySQL version that holds it; zero: none does
	fix     string         // what to do instead
}

// features are what Check looks for, from the servers' release notes.
var features = []feature{
	{name: "a utf8mb4_uca1400 collation", pattern: regexp.MustCompile(`(?i)\b(utf8mb[34]|ucs2|utf16|utf32)_uca1400_\w+`), mariadb: [3]int{10, 10, 0},
		fix: "convert those tables first (ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci) or restore on MariaDB 10.10 or later"},
	{name: "a utf8mb4_0900 collation", pattern: regexp.MustCompile(`(?i)\butf8mb4_0900_\w+`), mysql: [3]int{8, 0, 1}, mariadb: [3]int{11, 4, 5},
		fix: "convert those tables first (ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)"},
	{name: "the UUID type", pattern: regexp.MustCompile("(?i)^\\s*`[^`]+` uuid\\b"), mariadb: [3]int{10, 7, 0},
		fix: "change those columns to char(36) first, or restore on MariaDB 10.7 or later"},
	{name: "the INET4 type", pattern: regexp.MustCompile("(?i)^\\s*`[^`]+` inet4\\b"), mariadb: [3]int{10, 10, 0},
		fix: "change those columns to varchar(15) first, or restore on MariaDB 10.10 or later"},
	{name: "the INET6 type", pattern: regexp.MustCompile("(?i)^\\s*`[^`]+` inet6\\b"), mariadb: [3]int{10, 5, 0},
		fix: "change those columns to varchar(39) first, or restore on MariaDB 10.5 or later"},
	{name: "the VECTOR type", pattern: regexp.MustCompile("(?i)^\\s*`[^`]+` vector\\s*\\("), mariadb: [3]int{11, 7, 0}, mysql: [3]int{9, 0, 0},
		fix: "drop or convert those columns first (to blob), or restore on MariaDB 11.7 or later"},
	{name: "a SEQUENCE", pattern: regexp.MustCompile(`(?i)^\s*CREATE\s+(OR\s+REPLACE\s+)?SEQUENCE\b|ENGINE=InnoDB\s+SEQUENCE=1`), mariadb: [3]int{10, 3, 0},
		fix: "replace the sequence by an AUTO_INCREMENT table first, or restore on MariaDB"},
}

// holds reports whether v holds f.
func (f feature) holds(v ddllint.Version) bool {
	since := f.mysql
	if v.MariaDB {
		since = f.mariadb
	}
	return since != [3]int{} && v.AtLeast(since[0], since[1], since[2])
}

// ErrUnsupported is wrapped by Check's error: the dump uses something the
// server cannot hold.
var ErrUnsupported = errors.New("the dump uses what the server cannot hold")

// Check reads the dump at path (.sql or .sql.gz) and returns an error
// wrapping ErrUnsupported, on one line, naming the first thing in it the
// server of VERSION() version cannot hold, the line, and what to do.
func Check(path, version string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer f.Close()
	r, err := textOf(f)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	v := ddllint.ParseVersion(version)
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		line, err := readSchemaLine(br)
		if line != "" {
			for _, ft := range features {
				if !ft.holds(v) {
					if m := ft.pattern.FindString(line); m != "" {
						return fmt.Errorf("%w: %s line %d uses %s (%s), which %s does not have: %s", ErrUnsupported, path, n, ft.name, strings.TrimSpace(m), v, ft.fix)
					}
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("check %s line %d: %w", path, n, err)
		}
	}
}

// readSchemaLine reads one line and returns it unless it is data (INSERT
// lines may be megabytes: they are skipped without being kept).
func readSchemaLine(br *bufio.Reader) (string, error) {
	head, err := br.Peek(7)
	if len(head) == 7 && (bytes.EqualFold(head, []byte("INSERT ")) || bytes.EqualFold(head, []byte("REPLACE"))) {
		for {
			_, err := br.ReadSlice('\n')
			if !errors.Is(err, bufio.ErrBufferFull) {
				return "", err
			}
		}
	}
	if err != nil && len(head) == 0 {
		return "", err
	}
	line, err := br.ReadString('\n')
	return line, err
}

// textOf undoes gzip, which the dumps of this project and of bench use.
func textOf(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// Report is what a server version change itself changed in a restored dump.
type Report struct {
	From, To string        // the servers' VERSION()
	Schema   snapshot.Diff // the dump restored on From → restored on To
	Notes    []string      // server settings that differ (sql_mode, default collation...)
}

// Empty reports whether the version change changed nothing.
func (r *Report) Empty() bool { return r.Schema.Empty() && len(r.Notes) == 0 }

// String gives the report as text, one change a line.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server upgrade %s → %s, before any patch:\n", r.From, r.To)
	if r.Empty() {
		b.WriteString("  no change\n")
		return b.String()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  %s\n", n)
	}
	if !r.Schema.Empty() {
		for _, l := range strings.Split(strings.TrimRight(r.Schema.String(), "\n"), "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return b.String()
}

// Compare restores the dump at path on from and on to (each in a fresh
// database, dropped after) and reports how the restored databases differ.
// The dump is checked against to's version first (Check); a restore that
// fails on to (a reserved word, a removed syntax) is returned as an error
// naming to's version.
func Compare(ctx context.Context, path string, from, to server.Server) (*Report, error) {
	if err := Check(path, to.Version()); err != nil {
		return nil, err
	}
	before, err := restoreAndTake(ctx, path, from)
	if err != nil {
		return nil, err
	}
	after, err := restoreAndTake(ctx, path, to)
	if err != nil {
		return nil, err
	}
	rep := &Report{From: from.Version(), To: to.Version(), Schema: snapshot.Compare(before.snap, after.snap)}
	for _, s := range settings {
		if a, b := before.settings[s], after.settings[s]; a != b {
			rep.Notes = append(rep.Notes, fmt.Sprintf("~ %s: %s → %s", s, a, b))
		}
	}
	return rep, nil
}

// settings are the server variables whose change changes what the same
// statements do.
var settings = []string{"sql_mode", "character_set_server", "collation_server", "explicit_defaults_for_timestamp", "default_storage_engine"}

type restored struct {
	snap     *snapshot.Snapshot
	settings map[string]string
}

// restoreAndTake restores path into a fresh database on srv and takes its
// snapshot and the server's settings.
func restoreAndTake(ctx context.Context, path string, srv server.Server) (*restored, error) {
	d, err := srv.NewDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Drop(context.WithoutCancel(ctx)) //nolint:errcheck // best effort; the disposable server goes too
	db, err := d.Open()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	if _, err := dump.Restore(ctx, db, d.Name, f); err != nil {
		return nil, fmt.Errorf("restore %s on %s: %w", path, ddllint.ParseVersion(srv.Version()), err)
	}
	snap, err := snapshot.Take(ctx, db, d.Name)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s restored on %s: %w", path, srv.Version(), err)
	}
	return &restored{snap: snap, settings: variables(ctx, db)}, nil
}

// variables reads the settings of the server db is on.
func variables(ctx context.Context, db *sql.DB) map[string]string {
	m := map[string]string{}
	for _, name := range settings {
		var v sql.NullString
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&v); err != nil {
			m[name] = "(none)" // not a variable on this server
			continue
		}
		m[name] = v.String
	}
	return m
}
