// Package faultpatches holds test-only patch sets for the reliability tests
// of cmd/migrate: the example set with a patch that shows a double
// application, and sets with a patch that panics, fails, has an SQL syntax
// error, a duplicate ID, a removed patch, or weird identifiers. They are
// built into the faultmigrate binary by the tests; never into production.
package faultpatches

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/patches"
)

// LedgerRows is the number of rows of fault_ledger; each must end with hits = 1.
const LedgerRows = 400

// LedgerChunk is the chunk size of the ledger's batch: LedgerRows/LedgerChunk
// transactions, each committed with its checkpoint.
const LedgerChunk = 20

// Ledger counts its own applications. Its effects are not idempotent:
// fault_counter.applied is incremented once and every fault_ledger row's
// hits once, each in a transaction that also saves the patch's checkpoint,
// so only the engine's exactly-once bookkeeping keeps them at 1. Any value
// above 1 after a run is a double application.
//
// FAULT_CHUNK_SLEEP (a Go duration) slows every chunk down, so a test can
// kill the server in the middle of the batch.
var Ledger = patch.Patch{
	ID:          "v1_0.fault_ledger",
	Description: "Test patch: non-idempotent increments guarded by checkpoints (shows any double application)",
	Run:         runLedger,
	Verify:      verifyLedger,
}

func runLedger(ctx context.Context, pc *patch.Context) error {
	if err := pc.Step(ctx, "create", patch.Critical, func(ctx context.Context) (string, error) {
		for _, q := range []string{
			"CREATE TABLE IF NOT EXISTS `fault_counter` (`id` int NOT NULL PRIMARY KEY, `applied` int NOT NULL DEFAULT 0) ENGINE=InnoDB",
			"INSERT IGNORE INTO `fault_counter` (`id`) VALUES (1)",
			"CREATE TABLE IF NOT EXISTS `fault_ledger` (`id` int NOT NULL PRIMARY KEY, `hits` int NOT NULL DEFAULT 0) ENGINE=InnoDB",
			"INSERT IGNORE INTO `fault_ledger` (`id`) SELECT seq FROM seq_1_to_" + strconv.Itoa(LedgerRows),
		} {
			if _, err := pc.DB.Exec(ctx, q); err != nil {
				return "", fmt.Errorf("%s: %w", q, err)
			}
		}
		return "tables ready", nil
	}); err != nil {
		return err
	}
	var counted bool
	if _, err := pc.Load(ctx, "counted", &counted); err != nil {
		return err
	}
	if !counted {
		if err := pc.DB.Tx(ctx, func(tx *patch.DB) error {
			if _, err := tx.Exec(ctx, "UPDATE `fault_counter` SET `applied` = `applied` + 1 WHERE `id` = 1"); err != nil {
				return err
			}
			return pc.Save(ctx, tx, "counted", true)
		}); err != nil {
			return fmt.Errorf("count the application: %w", err)
		}
	}
	var pause time.Duration
	if s := os.Getenv("FAULT_CHUNK_SLEEP"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("FAULT_CHUNK_SLEEP=%q: %w", s, err)
		}
		pause = d
	}
	_, err := pc.Batch(ctx, patch.Batch{
		Table: "fault_ledger",
		Size:  LedgerChunk, MinSize: LedgerChunk, MaxSize: LedgerChunk,
		Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
			if pause > 0 {
				if _, err := tx.Exec(ctx, "DO SLEEP(?)", pause.Seconds()); err != nil {
					return 0, err
				}
			}
			r, err := tx.Exec(ctx, "UPDATE `fault_ledger` SET `hits` = `hits` + 1 WHERE "+c.Where, c.Args...)
			if err != nil {
				return 0, err
			}
			return r.RowsAffected()
		},
	})
	return err
}

func verifyLedger(ctx context.Context, pc *patch.Context) error {
	var applied, bad int
	if err := pc.DB.QueryRow(ctx, "SELECT (SELECT `applied` FROM `fault_counter` WHERE `id` = 1), (SELECT COUNT(*) FROM `fault_ledger` WHERE `hits` <> 1)").Scan(&applied, &bad); err != nil {
		return err
	}
	if applied != 1 || bad != 0 {
		return fmt.Errorf("double application: fault_counter.applied = %d, %d ledger rows with hits <> 1", applied, bad)
	}
	return nil
}

// Panics is a patch that panics.
var Panics = patch.Patch{
	ID:          "v1_0.fault_panics",
	Description: "Test patch: panics",
	Run: func(context.Context, *patch.Context) error {
		counts := countsByRegion() // a bug as a patch would have it: the map was never made
		counts["boom"]++
		return nil
	},
}

func countsByRegion() map[string]int { return nil }

// Fails is a patch that returns an error.
var Fails = patch.Patch{
	ID:          "v1_0.fault_fails",
	Description: "Test patch: returns an error",
	Run: func(context.Context, *patch.Context) error {
		return errors.New("the customer table has 3 rows without a name: fix them first")
	},
}

// BadSQL is a patch whose SQL has a syntax error; it changes a table first,
// so a test can see that a failed patch does not hide its partial effect
// from the next run.
var BadSQL = patch.Patch{
	ID:          "v1_0.fault_bad_sql",
	Description: "Test patch: an SQL syntax error",
	Run: func(ctx context.Context, pc *patch.Context) error {
		_, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `customer_group` = 'X' WHERE WHERE 1")
		return err
	},
}

// afterMigrate is the example set's AfterMigrate hook (it bumps
// migration_index), logged, and slowed down by FAULT_HOOK_SLEEP (a Go
// duration) so that a test can kill a run inside it.
func afterMigrate(ctx context.Context, pc *patch.Context) error {
	pc.Log.Info("after_migrate hook start")
	if s := os.Getenv("FAULT_HOOK_SLEEP"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("FAULT_HOOK_SLEEP=%q: %w", s, err)
		}
		time.Sleep(d)
	}
	return patches.Set.AfterMigrate(ctx, pc)
}

// Set returns the patch set named by variant:
//
//	""/"ledger"  the example set with Ledger between its 2nd and 3rd patch
//	"panic"      the example set, then Panics
//	"error"      the example set, then Fails
//	"badsql"     the example set with BadSQL after its first patch
//	"dup"        the example set with its first patch twice
//	"removed"    the example set without its last patch
//	"ident"      Identifiers (weird table and column names through the helpers)
func Set(variant string) (patch.Set, error) {
	ex := patches.Set.Patches
	with := func(ps ...patch.Patch) patch.Set {
		return patch.Set{Patches: ps, BeforeMigrate: patches.Set.BeforeMigrate, AfterMigrate: afterMigrate}
	}
	cat := func(parts ...[]patch.Patch) []patch.Patch {
		var out []patch.Patch
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	switch variant {
	case "", "ledger":
		return with(cat(ex[:2], []patch.Patch{Ledger}, ex[2:])...), nil
	case "panic":
		return with(cat(ex, []patch.Patch{Panics})...), nil
	case "error":
		return with(cat(ex, []patch.Patch{Fails})...), nil
	case "badsql":
		return with(cat(ex[:1], []patch.Patch{BadSQL}, ex[1:])...), nil
	case "dup":
		return with(cat(ex, ex[:1])...), nil
	case "removed":
		return with(ex[:len(ex)-1]...), nil
	case "ident":
		return patch.Set{Patches: []patch.Patch{Identifiers}}, nil
	}
	return patch.Set{}, fmt.Errorf("unknown FAULT_SET %q", variant)
}
