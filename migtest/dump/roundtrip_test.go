package dump

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// writeFile writes b to a file in a temp dir, gzipped if the name ends in .gz.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if filepath.Ext(name) == ".gz" {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		b = z.Bytes()
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sources are the databases the round trips start from.
func roundTripSources(t *testing.T) map[string]target {
	t.Helper()
	edge := newTarget(t)
	createEdgeDB(t, edge)
	srcs := map[string]target{"edge": edge}
	if !testing.Short() {
		if _, _, ok := sakilaPaths(); ok || servertest_required() {
			sak := newTarget(t)
			loadSakila(t, sak)
			srcs["sakila"] = sak
		}
	}
	return srcs
}

// TestStockDumpToRestore is round trip (a): mariadb-dump output, in its
// variants, restored by Restore equals the same dump loaded by the stock
// client.
func TestStockDumpToRestore(t *testing.T) {
	t.Parallel()
	for name, src := range roundTripSources(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			common := []string{"--routines", "--triggers", "--events", "--single-transaction"}
			plain := tool(t, nil, "mariadb-dump", append(common, src.Name)...)
			want := newTarget(t)
			tool(t, bytes.NewReader(plain), "mariadb", "--comments", want.Name)
			variants := []struct {
				name string
				args []string
				file string
				opts []RestoreOption
			}{
				{"extended", nil, "d.sql", nil},
				{"extended gz", nil, "d.sql.gz", nil},
				{"one connection", nil, "d.sql", []RestoreOption{WithParallel(1)}},
				{"single-row inserts", []string{"--skip-extended-insert"}, "d.sql.gz", nil},
				{"hex-blob", []string{"--hex-blob"}, "d.sql.gz", nil},
				{"databases", []string{"--databases"}, "d.sql.gz", nil},
				{"no deferred indexes", nil, "d.sql.gz", []RestoreOption{WithDeferredIndexes(false)}},
				{"tiny read-ahead", nil, "d.sql.gz", []RestoreOption{WithReadAhead(1<<20, 1<<30)}},
			}
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
					t.Parallel()
					out := plain
					if v.args != nil {
						args := append(append(append([]string{}, common...), v.args...), src.Name)
						out = tool(t, nil, "mariadb-dump", args...)
					}
					got := newTarget(t)
					restoreFile(t, got, writeFile(t, v.file, out), v.opts...)
					sameDatabase(t, want.db, want.Name, got.Name)
				})
			}
		})
	}
}

// TestBackupToStockClient is round trip (b): a Backup loaded by the stock
// mariadb client equals the source.
func TestBackupToStockClient(t *testing.T) {
	t.Parallel()
	for name, src := range roundTripSources(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "b.sql.gz")
			if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
				t.Fatal(err)
			}
			got := newTarget(t)
			tool(t, bytes.NewReader(gunzip(t, p)), "mariadb", "--comments", got.Name)
			sameDatabase(t, src.db, src.Name, got.Name)
		})
	}
}

// TestBackupToRestore is round trip (c): a Backup restored by Restore
// equals the source, with one or several connections on either side.
func TestBackupToRestore(t *testing.T) {
	t.Parallel()
	for name, src := range roundTripSources(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, v := range []struct {
				name string
				bopt []BackupOption
				ropt []RestoreOption
			}{
				{"parallel", nil, nil},
				{"one connection", []BackupOption{WithBackupParallel(1)}, []RestoreOption{WithParallel(1)}},
				{"small chunks", []BackupOption{withChunk(4096), WithCompressionLevel(1)}, []RestoreOption{WithParallel(3)}},
				{"every INSERT spread", []BackupOption{withChunk(512)}, []RestoreOption{withSpread(1)}},
			} {
				t.Run(v.name, func(t *testing.T) {
					t.Parallel()
					p := filepath.Join(t.TempDir(), "b.sql.gz")
					m, err := Backup(context.Background(), src.db, src.Name, p, v.bopt...)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := Verify(context.Background(), p); err != nil {
						t.Fatal(err)
					}
					got := newTarget(t)
					restoreFile(t, got, p, v.ropt...)
					sameDatabase(t, src.db, src.Name, got.Name)
					d := describe(t, got.db, got.Name)
					for _, ti := range m.Tables {
						if ti.Type == "" && ti.NoData == "" && d.Counts[ti.Name] != ti.Rows {
							t.Errorf("manifest: table %s has %d rows, the restore %d", ti.Name, ti.Rows, d.Counts[ti.Name])
						}
					}
				})
			}
		})
	}
}

// withChunk sets the size of INSERT statements (tests only).
func withChunk(n int) BackupOption { return func(c *backupConfig) { c.chunk = n } }

// withSpread sets the smallest INSERT spread over the workers (tests
// only; < 0: none).
func withSpread(n int) RestoreOption { return func(c *restoreConfig) { c.spreadMin = n } }

// withSteal sets how few busy workers let an idle one take an INSERT over
// (steal.go): 0 never, a large number whenever one is idle.
func withSteal(n int) RestoreOption { return func(c *restoreConfig) { c.stealBelow = n } }
