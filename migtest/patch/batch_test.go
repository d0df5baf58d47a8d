package patch_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

// tableStore keeps checkpoints in a table of the test database, committed
// with the chunk that saves them, as the runner's patch log does.
type tableStore struct{ db *sql.DB }

func newTableStore(t *testing.T, db *sql.DB) tableStore {
	t.Helper()
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS ckpt (id varchar(140) PRIMARY KEY, data longblob)"); err != nil {
		t.Fatal(err)
	}
	return tableStore{db}
}

func (s tableStore) LoadCheckpoint(ctx context.Context, id string) ([]byte, error) {
	if _, err := s.db.ExecContext(ctx, "INSERT IGNORE INTO ckpt (id) VALUES (?)", id); err != nil {
		return nil, err
	}
	var b []byte
	err := s.db.QueryRowContext(ctx, "SELECT data FROM ckpt WHERE id = ?", id).Scan(&b)
	return b, err
}

func (s tableStore) SaveCheckpoint(ctx context.Context, db *patch.DB, id string, data []byte) error {
	_, err := db.Exec(ctx, "UPDATE ckpt SET data = ? WHERE id = ?", data, id)
	return err
}

func (tableStore) SaveSteps(context.Context, *patch.DB, string, []patch.StepResult) error { return nil }

// keyShapes are tables of 2000 rows with the primary keys Batch must walk;
// each has an int column v, 0 in every row, and s, 0 in a third of them.
var keyShapes = []struct {
	name   string
	create string
	fill   string
	key    string // the key's columns = ? condition
}{
	{"varchar", "CREATE TABLE t (name varchar(140) NOT NULL PRIMARY KEY, v int NOT NULL DEFAULT 0, s int)",
		"INSERT INTO t (name, s) SELECT CONCAT('K-', seq MOD 7, '-', seq), seq MOD 3 FROM seq_1_to_2000", "name = ?"},
	{"signed int", "CREATE TABLE t (id int NOT NULL PRIMARY KEY, v int NOT NULL DEFAULT 0, s int)",
		"INSERT INTO t (id, s) SELECT CAST(seq AS SIGNED) * 3 - 3000, seq MOD 3 FROM seq_1_to_2000", "id = ?"},
	{"unsigned bigint", "CREATE TABLE t (id bigint unsigned NOT NULL PRIMARY KEY, v int NOT NULL DEFAULT 0, s int)",
		"INSERT INTO t (id, s) SELECT 18446744073709549615 + seq, seq MOD 3 FROM seq_1_to_2000", "id = ?"},
	{"composite", "CREATE TABLE t (a varchar(10) NOT NULL, b int NOT NULL, c date NOT NULL, v int NOT NULL DEFAULT 0, s int, PRIMARY KEY (a, b, c))",
		"INSERT INTO t (a, b, c, s) SELECT CONCAT('k', seq MOD 3), CAST(seq MOD 11 AS SIGNED) - 5, '2024-01-01' + INTERVAL seq DAY, seq MOD 3 FROM seq_1_to_2000", "a = ? AND b = ? AND c = ?"},
}

// TestBatchWalksEveryRowOnce runs set-based, chunk and per-row batches over
// every key shape with sizes that change from chunk to chunk (some chunks
// are slow, so sizes shrink and bounds looked up ahead are dropped) and
// checks that every row was changed exactly once, and only the rows Where
// selects.
func TestBatchWalksEveryRowOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, shape := range keyShapes {
		for _, mode := range []string{"set", "chunk", "set where", "row"} {
			t.Run(shape.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				_, db := patchtest.NewDatabase(t)
				for _, q := range []string{shape.create, shape.fill} {
					if _, err := db.Exec(q); err != nil {
						t.Fatal(err)
					}
				}
				b := patch.Batch{Table: "t", Size: 7, MinSize: 5, MaxSize: 300, TargetTime: 20 * time.Millisecond}
				want := int64(2000)
				switch mode {
				case "set":
					b.Set = "v = v + ?"
					b.SetArgs = []any{1}
				case "set where":
					b.Set = "v = v + 1"
					b.Where = "s = ? OR s = ?"
					b.WhereArgs = []any{0, 42}
					want = -1 // counted below
				case "row":
					b.Row = func(ctx context.Context, tx *patch.DB, r patch.Record) error {
						_, err := tx.Exec(ctx, "UPDATE t SET v = v + 1 WHERE "+shape.key, r.Key...)
						return err
					}
				case "chunk":
					calls := 0
					b.Chunk = func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
						calls++
						if calls%4 == 0 {
							time.Sleep(30 * time.Millisecond) // a slow chunk: the size shrinks
						}
						r, err := tx.Exec(ctx, "UPDATE t SET v = v + 1 WHERE "+c.Where, c.Args...)
						if err != nil {
							return 0, err
						}
						return r.RowsAffected()
					}
				}
				pc := patch.NewContext("t", patch.NewDB(db, nil), patch.Config{Store: newTableStore(t, db)})
				res, err := pc.Batch(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				if want < 0 {
					if err := db.QueryRow("SELECT COUNT(*) FROM t WHERE v = 1").Scan(&want); err != nil {
						t.Fatal(err)
					}
					if want == 0 || want == 2000 {
						t.Fatalf("Where selected %d of 2000 rows; the test wants some", want)
					}
				}
				var twice, once int64
				if err := db.QueryRow("SELECT COUNT(CASE WHEN v > 1 THEN 1 END), COUNT(CASE WHEN v = 1 THEN 1 END) FROM t").Scan(&twice, &once); err != nil {
					t.Fatal(err)
				}
				if twice != 0 || once != want || res.Changed != want || res.Rows != 2000 || res.Chunks < 10 {
					t.Errorf("rows changed twice %d, once %d (want %d); result %+v", twice, once, want, res)
				}
			})
		}
	}
}

// TestBatchResumesAfterFailure fails a batch in its k-th statement, for
// several k (so the failure lands in a chunk, in a bound looked up ahead, in
// a checkpoint write or a commit), resumes it in a new Context over the same
// store, and checks that every row was changed exactly once, that no
// statement ran after Batch returned, and that the resumed run found the
// checkpoint.
func TestBatchResumesAfterFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shape := keyShapes[3] // composite
	for _, k := range []int{4, 9, 10, 11, 12, 17, 30} {
		t.Run(fmt.Sprint("statement ", k), func(t *testing.T) {
			t.Parallel()
			_, db := patchtest.NewDatabase(t)
			for _, q := range []string{shape.create, shape.fill} {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			store := newTableStore(t, db)
			var mu sync.Mutex
			n, returned, late := 0, false, ""
			hook := func(ctx context.Context, q string) error {
				mu.Lock()
				defer mu.Unlock()
				if returned {
					late = q
				}
				n++
				if n >= k {
					return fmt.Errorf("injected fault at statement %d: %.40s", n, q)
				}
				return nil
			}
			b := patch.Batch{Table: "t", Set: "v = v + 1", Size: 50, MinSize: 50, MaxSize: 400}
			pc := patch.NewContext("t", patch.NewDB(db, hook), patch.Config{Store: store})
			_, err := pc.Batch(ctx, b)
			mu.Lock()
			returned = true
			mu.Unlock()
			if err == nil || !strings.Contains(err.Error(), "injected fault") {
				t.Fatalf("batch with a fault at statement %d: %v", k, err)
			}
			var twice, once int64
			if err := db.QueryRow("SELECT COUNT(CASE WHEN v > 1 THEN 1 END), COUNT(CASE WHEN v = 1 THEN 1 END) FROM t").Scan(&twice, &once); err != nil {
				t.Fatal(err)
			}
			if twice != 0 || once == 2000 {
				t.Fatalf("after the fault: %d rows changed twice, %d once", twice, once)
			}
			committed := once > 0
			pc = patch.NewContext("t", patch.NewDB(db, nil), patch.Config{Store: store})
			res, err := pc.Batch(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow("SELECT COUNT(CASE WHEN v > 1 THEN 1 END), COUNT(CASE WHEN v = 1 THEN 1 END) FROM t").Scan(&twice, &once); err != nil {
				t.Fatal(err)
			}
			if twice != 0 || once != 2000 || res.Rows != 2000 || res.Changed != 2000 || res.Resumed != committed {
				t.Errorf("after resuming: %d rows changed twice, %d once; result %+v", twice, once, res)
			}
			mu.Lock()
			defer mu.Unlock()
			if late != "" {
				t.Errorf("a statement ran after Batch returned: %s", late)
			}
		})
	}
}

// TestBatchChunkUsesPrimaryKeyRange checks with EXPLAIN that the chunk
// condition a composite key gets (OR-expanded comparisons; MariaDB does not
// use an index for row constructors) is a range on the primary key, for the
// chunk's statement and for the query finding a bound.
func TestBatchChunkUsesPrimaryKeyRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	shape := keyShapes[3]
	for _, q := range []string{shape.create, shape.fill, "ANALYZE TABLE t"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	explain := func(ctx context.Context, tx *patch.DB, q string, args ...any) error {
		rows, err := tx.Query(ctx, "EXPLAIN "+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			dest := make([]any, len(cols))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			got := map[string]string{}
			for i, c := range cols {
				got[c] = vals[i].String
			}
			if got["type"] != "range" || got["key"] != "PRIMARY" {
				return fmt.Errorf("EXPLAIN %s: type %s, key %s; want a range on PRIMARY", q, got["type"], got["key"])
			}
		}
		return rows.Err()
	}
	var bounds []string
	var mu sync.Mutex
	hook := func(_ context.Context, q string) error {
		if strings.Contains(q, " OFFSET ") && strings.Contains(q, " WHERE ") && !strings.HasPrefix(q, "EXPLAIN") {
			mu.Lock()
			bounds = append(bounds, q)
			mu.Unlock()
		}
		return nil
	}
	explained := 0
	pc := patch.NewContext("t", patch.NewDB(db, hook), patch.Config{})
	_, err := pc.Batch(ctx, patch.Batch{Table: "t", Size: 100, MinSize: 100, MaxSize: 100,
		Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
			if len(c.Args) != 12 { // first and last chunks have one bound only
				return 0, nil
			}
			explained++
			if err := explain(ctx, tx, "UPDATE t SET v = v + 1 WHERE "+c.Where, c.Args...); err != nil {
				return 0, err
			}
			// The bound query's condition is the chunk's lower half.
			mu.Lock()
			q := bounds[0]
			mu.Unlock()
			return 0, explain(ctx, tx, q, c.Args[:6]...)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if explained == 0 {
		t.Fatal("no chunk had both bounds")
	}
}

// TestBatchTargetTimeShrinksChunks runs chunks that take 2ms per row with a
// 100ms target: the chunks must shrink from the given Size toward the
// target, leaving most chunks under it.
func TestBatchTargetTimeShrinksChunks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	for _, q := range []string{keyShapes[1].create, "INSERT INTO t (id) SELECT seq FROM seq_1_to_700"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int64
	pc := patch.NewContext("t", patch.NewDB(db, nil), patch.Config{})
	res, err := pc.Batch(ctx, patch.Batch{Table: "t", Size: 200, MinSize: 1, TargetTime: 100 * time.Millisecond,
		Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
			var n int64
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM t WHERE "+c.Where, c.Args...).Scan(&n); err != nil {
				return 0, err
			}
			sizes = append(sizes, n)
			time.Sleep(time.Duration(n) * 2 * time.Millisecond)
			return n, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 700 || len(sizes) < 3 || sizes[0] != 200 || sizes[1] >= 200 {
		t.Errorf("chunk sizes %v, result %+v: want 200 first, then smaller", sizes, res)
	}
	for _, n := range sizes[1 : len(sizes)-1] {
		if n > 50 { // 100ms at 2ms a row; the aim is half of that
			t.Errorf("chunk sizes %v: a chunk after the first has more than the 50 rows the target allows", sizes)
			break
		}
	}
}

// TestBatchRefusesTransaction checks that Batch, which commits per chunk,
// says what to do when the patch runs in a transaction.
func TestBatchRefusesTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	if _, err := db.Exec(keyShapes[1].create); err != nil {
		t.Fatal(err)
	}
	tx, err := patch.NewDB(db, nil).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	pc := patch.NewContext("t", tx, patch.Config{})
	if _, err := pc.Batch(ctx, patch.Batch{Table: "t", Set: "v = 1"}); err == nil || !strings.Contains(err.Error(), "remove InTx") {
		t.Errorf("Batch in a transaction: %v, want an error that says to remove InTx", err)
	}
}
