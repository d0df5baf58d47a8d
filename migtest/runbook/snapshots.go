package runbook

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"github.com/migtest/migtest/migtest/snapshot"
)

// Inspect takes a snapshot (schema and row counts) of database.
func Inspect(ctx context.Context, db *sql.DB, database string) (*snapshot.Snapshot, error) {
	s, err := snapshot.Take(ctx, db, database)
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", database, err)
	}
	return s, nil
}

// ReadSnapshot reads and parses a snapshot file; a missing or corrupt file
// is an *InputError that names it.
func ReadSnapshot(path string) (*snapshot.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, inputErrorf("cannot read snapshot %s: %w", path, err)
	}
	s, err := snapshot.Parse(b)
	if err != nil {
		return nil, inputErrorf("snapshot %s is corrupt: %w; write it again with migrate snapshot --out", path, err)
	}
	return s, nil
}
