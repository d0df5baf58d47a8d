// Package patch defines a patch (one change of schema and/or data, run once
// per database), the ordered Set of patches, and the Context a patch runs
// with: a database handle, a logger, a checkpoint store, named steps, progress,
// and helpers for idempotent schema changes, batched data migrations and
// copies of tables set aside before destructive steps.
//
// The runner that records patches in a log and runs the pending ones is
// package migrate; this package does not depend on it.
package patch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A Patch changes schema and/or data and runs once per database.
// Patches must be re-runnable: a failed patch is run again by the next up,
// and the helpers of Context make that the easy case.
type Patch struct {
	// ID is stable forever, e.g. "v1_0.add_custom_region"; it is the key in
	// the patch log.
	ID string
	// Description says in one line what the patch does (shown by plan).
	Description string
	// Run does the work.
	Run func(ctx context.Context, pc *Context) error
	// InTx runs Run inside one transaction (for data-only patches: DDL in
	// MariaDB commits implicitly).
	InTx bool
	// Verify, if set, checks the patch's own result after Run; an error
	// fails the patch.
	Verify func(ctx context.Context, pc *Context) error

	// MaxDuration, if set, is the longest the patch may run in a rehearsal
	// (on a production-sized fixture: MIGTEST_FIXTURE); longer fails it.
	MaxDuration time.Duration
	// MaxLock, if set, is the longest one statement that locks rows or a
	// table (DDL, UPDATE, DELETE, INSERT ... SELECT, or a transaction from
	// BEGIN to COMMIT) may take in a rehearsal; longer fails it.
	MaxLock time.Duration
	// Rows, if set, says how the patch changes row counts, so that a
	// rehearsal on a dump with other counts than the golden's can still
	// check them; tables not listed must keep their counts.
	Rows []RowChange
	// Allow acknowledges DDL lint errors (table, rule, why) that would
	// otherwise fail the patch's rehearsal.
	Allow []Allowance
}

// RowChange says how a patch changes the row count of Table:
// after = before + Delta + PerRow × (rows of PerRowOf before the patch),
// counting only PerRowOf's rows that match Where when it is set (a SQL
// condition, e.g. "`email_id` <> ”": one row per customer with an email).
// The zero RowChange{Table: t} means t keeps its count.
type RowChange struct {
	Table    string
	PerRowOf string
	PerRow   int64
	Delta    int64
	Where    string
}

// Hook runs before or after the patches of an up that has something to do.
type Hook func(ctx context.Context, pc *Context) error

// Set is the explicit, ordered list of patches (the patches.txt of a
// project), with optional hooks.
type Set struct {
	// Patches run in this order.
	Patches []Patch
	// BeforeMigrate runs before the first pending patch of an up.
	BeforeMigrate Hook
	// AfterMigrate runs after the last patch of an up that ran patches
	// and was not stopped by a failure.
	AfterMigrate Hook
}

// Validate reports an empty or duplicate ID and a patch without Run.
func (s Set) Validate() error {
	seen := make(map[string]int, len(s.Patches))
	var errs []error
	for i, p := range s.Patches {
		switch {
		case strings.TrimSpace(p.ID) == "":
			errs = append(errs, fmt.Errorf("patch #%d has no ID: give it a stable ID like \"v1_0.add_field\"", i+1))
			continue
		case len(p.ID) > 255:
			errs = append(errs, fmt.Errorf("patch ID %q is longer than 255 characters: shorten it", p.ID))
		case p.Run == nil:
			errs = append(errs, fmt.Errorf("patch %s has no Run function: set Patch.Run", p.ID))
		}
		if err := validateAllow(p); err != nil {
			errs = append(errs, err)
		}
		if j, ok := seen[p.ID]; ok {
			errs = append(errs, fmt.Errorf("patch ID %s appears twice (#%d and #%d): IDs must be unique", p.ID, j+1, i+1))
			continue
		}
		seen[p.ID] = i
	}
	return errors.Join(errs...)
}

// Lookup returns the patch with id.
func (s Set) Lookup(id string) (Patch, bool) {
	for _, p := range s.Patches {
		if p.ID == id {
			return p, true
		}
	}
	return Patch{}, false
}
