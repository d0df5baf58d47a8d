package runbook

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/internal/fsutil"
	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// touchedFile is where up records, beside its backup, the tables its
// patches wrote to or created, for rollback --touched.
func touchedFile(backup string) string { return backup + ".touched.json" }

// touchedRecord is the content of a touched file.
type touchedRecord struct {
	RunID  string   `json:"run_id"`
	Tables []string `json:"tables"`
}

// touchedTables collects the tables the patches of a run write to.
type touchedTables struct {
	mu     sync.Mutex
	tables map[string]bool
}

func (tt *touchedTables) hook(_ context.Context, q string) error {
	names := sqltext.TableNames(q)
	if len(names) == 0 {
		return nil
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.tables == nil {
		tt.tables = map[string]bool{}
	}
	for _, n := range names {
		tt.tables[n] = true
	}
	return nil
}

// save writes the touched tables beside backup (mode 0600).
func (tt *touchedTables) save(backup, runID string) error {
	tt.mu.Lock()
	rec := touchedRecord{RunID: runID, Tables: []string{}}
	for n := range tt.tables {
		rec.Tables = append(rec.Tables, n)
	}
	tt.mu.Unlock()
	sort.Strings(rec.Tables)
	return fsutil.WriteJSONAtomic(touchedFile(backup), rec, "  ", 0o600)
}

// rollbackTouched restores only the tables the run that took backup
// touched: each is dropped and restored from the backup, tables the run
// created are dropped, and the patch log is restored with them so the
// patches are pending again. Everything else is left as it is.
func (r *Runbook) rollbackTouched(ctx context.Context, backup string) ([]string, error) {
	db, t := r.db, r.target
	b, err := os.ReadFile(touchedFile(backup))
	if err != nil {
		return nil, inputErrorf("no record of the tables the run touched beside %s (%v); roll back the whole database (without --touched)", backup, err)
	}
	var rec touchedRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("%s is corrupt: %w; roll back the whole database (without --touched)", touchedFile(backup), err)
	}
	man, err := dump.ReadManifest(backup)
	if err != nil {
		return nil, fmt.Errorf("read the backup's manifest: %w; roll back the whole database (without --touched)", err)
	}
	inBackup := map[string]bool{}
	for _, ti := range man.Tables {
		inBackup[ti.Name] = true
	}
	tables := append([]string{"migtest_patch_log"}, rec.Tables...)
	var restore []string
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, name := range tables {
		if seen[name] {
			continue
		}
		seen[name] = true
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+sqltext.QuoteIdent(t.Database())+"."+sqltext.QuoteIdent(name)); err != nil {
			return nil, fmt.Errorf("drop %s: %w", name, err)
		}
		if inBackup[name] {
			restore = append(restore, name)
		} else {
			r.log.Info("dropped a table the run created", "table", name)
		}
	}
	f, err := os.Open(backup)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	start := time.Now()
	st, err := dump.Restore(ctx, db, t.Database(), f, dump.WithTables(restore...), dump.WithRestoreLogger(r.log))
	if err != nil {
		return nil, fmt.Errorf("restore the touched tables (%s) from %s: %w", strings.Join(restore, ", "), backup, err)
	}
	r.log.Info("restored the touched tables", "tables", len(restore), "rows", st.Rows, "took", time.Since(start).Round(time.Millisecond))
	return restore, nil
}
