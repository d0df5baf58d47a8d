// Package sqlpatch turns a directory of SQL migrations written for goose,
// golang-migrate or Flyway into migtest patches, so that a team can bring
// its migration history along and go on with Go patches after it:
//
//	//go:embed migrations/*.sql
//	var migrations embed.FS
//
//	var Set = patch.Set{Patches: append(
//		sqlpatch.MustPatches(migrations, "migrations", sqlpatch.Goose),
//		addterritory.Patch, // Go patches from here on
//	)}
//
// Each file becomes one patch with a stable ID made of the tool and the file
// name ("goose:00001_create_users", "golang-migrate:000001_create_users",
// "flyway:V1_1__add_email"), in the tool's version order. Its statements run
// through the patch's Context, so they get the same lock, patch log, lint,
// rehearsal (golden snapshot, idempotency, crash-resume) and backup as Go
// patches. Only the up direction is read: rollback is migtest's backup.
//
// Statements are split as the mariadb client splits a script (quotes,
// comments, DELIMITER blocks; package dump/sqlsplit). A patch remembers in
// the table migtest_sql_progress which of its statements have run: a data
// statement commits together with that record, so a failed or killed run
// resumes after the last statement that completed and a finished file is
// never run twice. package adopt records in migtest's patch log the files a
// database already got from its old tool.
package sqlpatch

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/migtest/migtest/migtest/patch"
)

// Format is the tool a migration directory was written for.
type Format string

// The formats Load reads.
const (
	// Goose: NNNNN_name.sql (or a timestamp), with "-- +goose Up" and
	// "-- +goose Down" sections, "-- +goose StatementBegin"/"StatementEnd"
	// and "-- +goose NO TRANSACTION".
	Goose Format = "goose"
	// GolangMigrate: NNNN_name.up.sql (and .down.sql, ignored).
	GolangMigrate Format = "golang-migrate"
	// Flyway: V<version>__<description>.sql, the version's parts separated
	// by "." or "_" (V1__init.sql, V1.1__add.sql, V2_1__x.sql).
	Flyway Format = "flyway"
)

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Goose, GolangMigrate, Flyway:
		return f, nil
	case "migrate":
		return GolangMigrate, nil
	}
	return "", fmt.Errorf("unknown migration tool %q: use goose, golang-migrate or flyway", s)
}

// Migration is one SQL migration file.
type Migration struct {
	Format Format
	// Version is the tool's version of the file as the tool writes it in
	// its history table: "3" for goose and golang-migrate, "1.1" for Flyway.
	Version string
	// Description is the name part of the file ("create_users"; Flyway's
	// with spaces, as Flyway records it).
	Description string
	// File is the path of the file in the fs.FS.
	File string
	// Statements are the up statements, in order.
	Statements []string
	// NoTransaction is goose's "-- +goose NO TRANSACTION": data statements
	// then run outside a transaction too.
	NoTransaction bool
	// Checksum is Flyway's checksum of the file (CRC-32 of its lines), as in
	// flyway_schema_history.checksum; 0 for the other tools.
	Checksum int32

	order []int64 // the version's numbers, for sorting
}

// ID is the patch ID of m: the tool and the file name without extension.
func (m Migration) ID() string {
	base := path.Base(m.File)
	switch m.Format {
	case GolangMigrate:
		base = strings.TrimSuffix(base, ".up.sql")
	default:
		base = strings.TrimSuffix(base, ".sql")
	}
	return string(m.Format) + ":" + base
}

// registry keeps the migrations Load made patches of, by patch ID, for Lookup.
var registry sync.Map

// Lookup returns the migration a patch made by Patches came from.
func Lookup(id string) (Migration, bool) {
	v, ok := registry.Load(id)
	if !ok {
		return Migration{}, false
	}
	return v.(Migration), true
}

// Load reads the migrations of format in directory dir of fsys (use "." for
// its root), in the tool's order. Files of the other direction, and files
// not named as the tool names migrations, are left out; a file it cannot
// parse, or two files of one version, is an error naming the file.
func Load(fsys fs.FS, dir string, format Format) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s migrations: %w", format, err)
	}
	var out []Migration
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		file := path.Join(dir, e.Name())
		m, ok, err := parseName(format, e.Name())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if !ok {
			continue
		}
		m.File = file
		key := fmt.Sprint(m.order)
		if other, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s and %s have the same version %s: give one another version", other, file, m.Version)
		}
		seen[key] = file
		if err := m.read(fsys); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].order, out[j].order) })
	return out, nil
}

func (m *Migration) read(fsys fs.FS) error {
	b, err := fs.ReadFile(fsys, m.File)
	if err != nil {
		return err
	}
	switch m.Format {
	case Goose:
		m.Statements, m.NoTransaction, err = parseGoose(b)
	default:
		m.Statements, err = split(b, 1)
	}
	if m.Format == Flyway {
		m.Checksum = FlywayChecksum(b)
	}
	return err
}

// Patches returns a patch per migration of Load(fsys, dir, format).
func Patches(fsys fs.FS, dir string, format Format) ([]patch.Patch, error) {
	ms, err := Load(fsys, dir, format)
	if err != nil {
		return nil, err
	}
	out := make([]patch.Patch, len(ms))
	for i, m := range ms {
		out[i] = m.Patch()
		registry.Store(m.ID(), m)
	}
	return out, nil
}

// MustPatches is Patches for a package-level patch set over an embedded
// directory; it panics on error (a broken file in the binary).
func MustPatches(fsys fs.FS, dir string, format Format) []patch.Patch {
	ps, err := Patches(fsys, dir, format)
	if err != nil {
		panic("sqlpatch: " + err.Error())
	}
	return ps
}

// parseName reads a file name of format; ok is false for a file the tool
// would not run up.
func parseName(format Format, name string) (m Migration, ok bool, err error) {
	m.Format = format
	switch format {
	case Goose:
		stem, isSQL := strings.CutSuffix(name, ".sql")
		num, desc, found := strings.Cut(stem, "_")
		if !isSQL || !found || !digits(num) {
			return m, false, nil
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v < 1 {
			return m, false, fmt.Errorf("goose version %q: want a number from 1", num)
		}
		m.Version, m.Description, m.order = strconv.FormatInt(v, 10), desc, []int64{v}
	case GolangMigrate:
		stem, isUp := strings.CutSuffix(name, ".up.sql")
		num, desc, found := strings.Cut(stem, "_")
		if !isUp || !found || !digits(num) {
			return m, false, nil
		}
		v, err := strconv.ParseUint(num, 10, 63)
		if err != nil {
			return m, false, fmt.Errorf("golang-migrate version %q: %w", num, err)
		}
		m.Version, m.Description, m.order = strconv.FormatUint(v, 10), desc, []int64{int64(v)}
	case Flyway:
		return parseFlywayName(name)
	default:
		return m, false, fmt.Errorf("unknown format %q", format)
	}
	return m, true, nil
}

func parseFlywayName(name string) (m Migration, ok bool, err error) {
	m.Format = Flyway
	stem, isSQL := strings.CutSuffix(name, ".sql")
	if !isSQL || len(stem) < 2 {
		return m, false, nil
	}
	switch stem[0] {
	case 'V':
	case 'R':
		if strings.HasPrefix(stem, "R__") {
			return m, false, errors.New("a Flyway repeatable migration (R__) is not supported: make it a Go patch, or move it out of the directory")
		}
		return m, false, nil
	default: // U (undo), B (baseline) and other files
		return m, false, nil
	}
	ver, desc, found := strings.Cut(stem[1:], "__")
	if !found || ver == "" {
		return m, false, fmt.Errorf("a Flyway versioned migration is named V<version>__<description>.sql")
	}
	for _, part := range strings.FieldsFunc(ver, func(r rune) bool { return r == '.' || r == '_' }) {
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || !digits(part) {
			return m, false, fmt.Errorf("the Flyway version %q: want numbers separated by . or _", ver)
		}
		m.order = append(m.order, n)
	}
	m.Version = strings.ReplaceAll(ver, "_", ".")
	m.Description = strings.ReplaceAll(desc, "_", " ")
	return m, true, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// VersionLess orders two versions as the tools do: part by part ("." or
// "_" between parts), a missing part counting as 0 (1.0 = 1 < 1.0.1 < 1.1).
func VersionLess(a, b string) bool { return less(versionParts(a), versionParts(b)) }

// versionParts splits a version into its numbers.
func versionParts(v string) []int64 {
	var out []int64
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '_' }) {
		n, _ := strconv.ParseInt(p, 10, 64)
		out = append(out, n)
	}
	return out
}

// less orders Flyway versions as Flyway does: part by part, a missing part
// counting as 0 (1.0 = 1 < 1.0.1 < 1.1).
func less(a, b []int64) bool {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int64
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// FlywayChecksum is Flyway's checksum of a SQL migration: the CRC-32 of the
// file's lines (a UTF-8 byte order mark and the line ends left out), as a
// signed 32-bit number.
func FlywayChecksum(b []byte) int32 {
	h := crc32.NewIEEE()
	s := strings.TrimPrefix(string(b), "\ufeff")
	if s == "" {
		return 0
	}
	s = strings.TrimSuffix(s, "\n")
	for _, line := range strings.Split(s, "\n") {
		h.Write([]byte(strings.TrimSuffix(line, "\r")))
	}
	return int32(h.Sum32())
}
