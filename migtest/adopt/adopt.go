// Package adopt brings a database migrated by goose, golang-migrate or
// Flyway under migtest without rewriting its history: it reads the tool's
// applied-version table and records each SQL file the tool applied (as a
// patch of package sqlpatch) as done in migtest's patch log, with who and
// why. A dirty (golang-migrate) or failed (Flyway) version, and a Flyway
// file whose checksum differs from the one Flyway recorded, are reported
// and not adopted; up then runs what the tool had not applied.
//
//	rep, err := adopt.Read(ctx, db, set, adopt.Options{From: sqlpatch.Goose})
//	// print rep.Entries; then
//	_, err = adopt.Record(ctx, db, m, rep, "moving from goose to migtest, ticket OPS-12")
package adopt

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/sqlpatch"
)

// Options says what to adopt from.
type Options struct {
	// From is the tool.
	From sqlpatch.Format
	// Table is the tool's history table, when not its default
	// (goose_db_version, schema_migrations, flyway_schema_history).
	Table string
}

// DefaultTable is the history table of a tool.
func DefaultTable(f sqlpatch.Format) string {
	switch f {
	case sqlpatch.Goose:
		return "goose_db_version"
	case sqlpatch.GolangMigrate:
		return "schema_migrations"
	case sqlpatch.Flyway:
		return "flyway_schema_history"
	}
	return ""
}

// Action is what adopting does with one migration file.
type Action string

// Actions.
const (
	// Adopt: the tool applied the file; it is recorded as done.
	Adopt Action = "adopt"
	// Done: migtest's log has the patch as done already.
	Done Action = "done already"
	// Pending: the tool has not applied the file; up will run it.
	Pending Action = "pending"
	// Dirty: golang-migrate stopped half-way in the file (dirty flag).
	Dirty Action = "dirty"
	// Failed: Flyway recorded the file as failed (success = 0).
	Failed Action = "failed"
	// ChecksumMismatch: Flyway ran another version of the file.
	ChecksumMismatch Action = "checksum mismatch"
)

// Entry is one migration file of the set and what adopting does with it.
type Entry struct {
	PatchID string `json:"patch"`
	Version string `json:"version"`
	Action  Action `json:"action"`
	// Detail says what the tool recorded (when it applied the file, the
	// checksums) and, for a problem, what to do.
	Detail string `json:"detail,omitempty"`
}

// Report is what Read found.
type Report struct {
	From    sqlpatch.Format `json:"from"`
	Table   string          `json:"table"`
	Entries []Entry         `json:"entries"`
	// Unknown are versions in the tool's table with no file in the set.
	Unknown []string `json:"unknown,omitempty"`
}

// Problems returns the entries that are not adopted because something is
// wrong (dirty, failed, checksum mismatch), and the unknown versions, one
// line each.
func (r *Report) Problems() []string {
	var out []string
	for _, e := range r.Entries {
		switch e.Action {
		case Dirty, Failed, ChecksumMismatch:
			out = append(out, fmt.Sprintf("%s (version %s): %s: %s", e.PatchID, e.Version, e.Action, e.Detail))
		}
	}
	for _, v := range r.Unknown {
		out = append(out, fmt.Sprintf("version %s is in %s but no %s file of the patch set has it: add the file to the set", v, r.Table, r.From))
	}
	return out
}

// applied is what a tool's history says of one version.
type applied struct {
	ok       bool   // applied cleanly
	problem  Action // Dirty or Failed, when not ok
	when     string
	checksum sql.NullInt64
	baseline bool // below or at a Flyway baseline
}

// Read reads the tool's history table on db and matches it with the
// tool's files in set (patches made by sqlpatch.Patches), and with
// migtest's patch log through m. It changes nothing.
func Read(ctx context.Context, db *sql.DB, m *migrate.Migrator, set patch.Set, o Options) (*Report, error) {
	if o.Table == "" {
		o.Table = DefaultTable(o.From)
	}
	if o.Table == "" {
		return nil, fmt.Errorf("adopt: unknown tool %q: use goose, golang-migrate or flyway", o.From)
	}
	var migs []sqlpatch.Migration
	for _, p := range set.Patches {
		if mig, ok := sqlpatch.Lookup(p.ID); ok && mig.Format == o.From {
			migs = append(migs, mig)
		}
	}
	if len(migs) == 0 {
		return nil, fmt.Errorf("adopt: the patch set has no %s files: add the directory with sqlpatch.Patches(fsys, dir, sqlpatch.%s)", o.From, goName(o.From))
	}
	hist, err := readHistory(ctx, db, o, migs)
	if err != nil {
		return nil, err
	}
	st, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	logged := map[string]migrate.State{}
	for _, e := range st.Patches {
		logged[e.ID] = e.State
	}
	rep := &Report{From: o.From, Table: o.Table}
	known := map[string]bool{}
	for _, mig := range migs {
		known[mig.Version] = true
		rep.Entries = append(rep.Entries, entry(mig, hist[mig.Version], logged[mig.ID()]))
	}
	for v, h := range hist {
		if !known[v] && !h.baseline {
			rep.Unknown = append(rep.Unknown, v)
		}
	}
	sortVersions(rep.Unknown)
	return rep, nil
}

func entry(mig sqlpatch.Migration, h *applied, logged migrate.State) Entry {
	e := Entry{PatchID: mig.ID(), Version: mig.Version, Action: Pending}
	switch {
	case logged == migrate.StateDone || logged == migrate.StateSkipped:
		e.Action = Done
	case h == nil:
		e.Detail = "not applied by " + string(mig.Format)
	case h.baseline:
		e.Action, e.Detail = Adopt, "at or below Flyway's baseline"
	case !h.ok:
		e.Action = h.problem
		e.Detail = "the tool stopped in this file; its changes may be half made: check the schema, finish or undo them by hand, then run up (or mark it done)"
	case mig.Format == sqlpatch.Flyway && h.checksum.Valid && int32(h.checksum.Int64) != mig.Checksum:
		e.Action = ChecksumMismatch
		e.Detail = fmt.Sprintf("Flyway ran a file with checksum %d, this one has %d: restore the file Flyway ran, or check the change and mark it done by hand", h.checksum.Int64, mig.Checksum)
	default:
		e.Action, e.Detail = Adopt, "applied "+h.when
	}
	return e
}

// readHistory reads the tool's table into what it says per version.
func readHistory(ctx context.Context, db *sql.DB, o Options, migs []sqlpatch.Migration) (map[string]*applied, error) {
	var h map[string]*applied
	var err error
	switch o.From {
	case sqlpatch.Goose:
		h, err = readGoose(ctx, db, o.Table)
	case sqlpatch.GolangMigrate:
		h, err = readMigrate(ctx, db, o.Table, migs)
	case sqlpatch.Flyway:
		h, err = readFlyway(ctx, db, o.Table, migs)
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1146 {
		return nil, fmt.Errorf("adopt: no table %s in this database: is it the one %s migrated? (--table names another table)", o.Table, o.From)
	}
	if err != nil {
		return nil, fmt.Errorf("adopt: read %s: %w", o.Table, err)
	}
	return h, nil
}

// Record marks the entries to adopt as done in migtest's patch log, with
// reason, who (the OS user and host) and what the tool recorded, and as
// fully run in sqlpatch's progress table on db. It returns the IDs recorded.
func Record(ctx context.Context, db *sql.DB, m *migrate.Migrator, rep *Report, reason string) ([]string, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, errors.New("adopt: give a reason: it is kept in the patch log with who adopted")
	}
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		who += "@" + h
	}
	var done []string
	for _, e := range rep.Entries {
		if e.Action != Adopt {
			continue
		}
		if mig, ok := sqlpatch.Lookup(e.PatchID); ok {
			if err := sqlpatch.MarkRan(ctx, db, mig); err != nil {
				return done, fmt.Errorf("adopt %s: %w", e.PatchID, err)
			}
		}
		note := fmt.Sprintf("adopted from %s %s version %s (%s) by %s: %s", rep.From, rep.Table, e.Version, e.Detail, who, reason)
		if err := m.Mark(ctx, e.PatchID, migrate.StateDone, note); err != nil {
			return done, fmt.Errorf("adopt %s: %w", e.PatchID, err)
		}
		done = append(done, e.PatchID)
	}
	return done, nil
}

func goName(f sqlpatch.Format) string {
	switch f {
	case sqlpatch.GolangMigrate:
		return "GolangMigrate"
	case sqlpatch.Flyway:
		return "Flyway"
	}
	return "Goose"
}
