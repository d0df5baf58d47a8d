package dump

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stealDump is one table loaded in many small INSERTs, with a session
// change in the middle that decides whether its rows load: the first
// half's strings are too long for the column, which sql_mode ” cuts with
// a warning and the strict mode set afterwards refuses. A connection that
// took over a first-half INSERT in the second half's session would fail
// the restore. ENABLE KEYS, a DELETE of every other row and a count come
// after the rows and must see all of them.
func stealDump(statements, rows int) (string, int) {
	var b strings.Builder
	b.WriteString(ldHeader(""))
	b.WriteString("CREATE TABLE `t` (`id` int NOT NULL, `s` varchar(5) NOT NULL, `n` int NOT NULL, PRIMARY KEY (`id`), KEY `k_n` (`n`)) ENGINE=InnoDB;\n")
	b.WriteString("/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n")
	id := 0
	for i := range statements {
		if i == statements/2 {
			b.WriteString("/*!40101 SET SQL_MODE='STRICT_ALL_TABLES' */;\n")
		}
		b.WriteString("INSERT INTO `t` VALUES ")
		for r := range rows {
			if r > 0 {
				b.WriteByte(',')
			}
			id++
			s := "ok"
			if i < statements/2 {
				s = "too long for five"
			}
			fmt.Fprintf(&b, "(%d,'%s',%d)", id, s, id%7)
		}
		b.WriteString(";\n")
	}
	b.WriteString("/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n")
	b.WriteString("DELETE FROM `t` WHERE `id` % 2 = 0;\n")
	b.WriteString("CREATE TABLE `u` (`id` int NOT NULL PRIMARY KEY) ENGINE=InnoDB;\nINSERT INTO `u` SELECT COUNT(*) FROM `t`;\n")
	b.WriteString(ldTrailer)
	return b.String(), id
}

var takenOver = regexp.MustCompile(`taken_over=(\d+)`)

// TestStealKeepsTheDumpsSession: with idle connections taking INSERTs
// over whenever they can, every row loads, each in the session the dump
// set before it, and what follows the rows sees all of them. INSERTs the
// LOAD DATA fast path takes load in segments instead (segment.go), and
// are never taken over: a second connection would wait for the table
// lock of the segment's bulk insert.
func TestStealKeepsTheDumpsSession(t *testing.T) {
	t.Parallel()
	text, n := stealDump(60, 40)
	for _, tc := range []struct {
		name  string
		opts  []RestoreOption
		taken bool
	}{
		{"LOAD DATA", nil, false},
		{"INSERT", []RestoreOption{WithLoadData(false)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			tg := newTarget(t)
			opts := append([]RestoreOption{withSteal(1000), WithParallel(2), WithRestoreLogger(logger)}, tc.opts...)
			if _, err := restoreText(t, tg, text, opts...); err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			var rows, cut, counted int
			if err := tg.db.QueryRow("SELECT COUNT(*), SUM(s = 'too l'), (SELECT id FROM u) FROM t").Scan(&rows, &cut, &counted); err != nil {
				t.Fatal(err)
			}
			if rows != n/2 || cut != n/4 || counted != n/2 {
				t.Errorf("%d rows, %d cut, u counted %d; want %d, %d, %d", rows, cut, counted, n/2, n/4, n/2)
			}
			m := takenOver.FindStringSubmatch(log.String())
			if m == nil {
				t.Fatalf("no taken_over in the log:\n%s", log.String())
			}
			switch k, _ := strconv.Atoi(m[1]); {
			case tc.taken && k == 0:
				t.Errorf("no INSERT was taken over: the test did not test stealing")
			case !tc.taken && k > 0:
				t.Errorf("%d INSERTs were taken over, want none", k)
			case !tc.taken && !strings.Contains(log.String(), "its LOAD DATA was not clean"):
				// the first half's strings are cut with a warning
				t.Errorf("no LOAD DATA fell back to the INSERTs: the test did not test the fast path")
			}
		})
	}
}

// TestStealOff: with stealing off nothing is taken over.
func TestStealOff(t *testing.T) {
	t.Parallel()
	text, _ := stealDump(20, 10)
	var log bytes.Buffer
	tg := newTarget(t)
	if _, err := restoreText(t, tg, text, withSteal(0), WithRestoreLogger(slog.New(slog.NewTextHandler(&log, nil)))); err != nil {
		t.Fatal(err)
	}
	if m := takenOver.FindStringSubmatch(log.String()); m == nil || m[1] != "0" {
		t.Errorf("taken over with stealing off: %v", m)
	}
}

// TestQueueSteal: what stealLast may take from a queue, and that the
// queue's consumer gets no in-order item while a taken one runs.
func TestQueueSteal(t *testing.T) {
	t.Parallel()
	ins := func(table string, epoch int64, num int) item {
		return item{text: "INSERT", table: table, anyOrder: true, epoch: epoch, num: num}
	}
	newQ := func(items ...item) *queue {
		q := newQueue(newBudget(1<<20, 1<<20, t.TempDir()))
		for _, it := range items {
			if err := q.push(it); err != nil {
				t.Fatal(err)
			}
		}
		return q
	}
	take := func(q *queue) item {
		t.Helper()
		it, ok, _, err := q.take()
		if !ok || err != nil {
			t.Fatalf("take: %v %v", ok, err)
		}
		return it
	}

	// Nothing is taken before the consumer has run an item of the run.
	q := newQ(ins("a", 1, 1), ins("a", 1, 2), ins("a", 1, 3), item{text: "ALTER", table: "a", num: 4})
	if _, ok := q.stealLast(1); ok {
		t.Fatal("stole before the consumer took anything")
	}
	take(q)
	if _, ok := q.stealLast(1); ok {
		t.Fatal("stole before the consumer's first item of the run had run")
	}
	q.ran()
	if _, ok := q.stealLast(2); ok {
		t.Fatal("stole an item of another epoch")
	}
	it, ok := q.stealLast(1)
	if !ok || it.num != 3 {
		t.Fatalf("stole %d, %v; want the run's last, 3", it.num, ok)
	}
	if _, ok := q.stealLast(1); ok {
		t.Fatal("stole a second item while the first runs")
	}
	if got := take(q); got.num != 2 {
		t.Fatalf("the consumer got %d, want 2", got.num)
	}
	// The ALTER waits for the taken item.
	got := make(chan item)
	go func() { it, _, _, _ := q.take(); got <- it }()
	select {
	case it := <-got:
		t.Fatalf("the consumer got %d while the taken item ran", it.num)
	case <-time.After(50 * time.Millisecond):
	}
	q.stolenDone()
	if it := <-got; it.num != 4 {
		t.Fatalf("after the taken item, the consumer got %d, want 4", it.num)
	}

	// A run ends at another table or an in-order item; a run of one is
	// the consumer's.
	q = newQ(ins("a", 1, 1), ins("a", 1, 2), ins("b", 1, 3), ins("b", 1, 4))
	take(q)
	q.ran()
	if n, _ := q.freeRun(); n != 1 {
		t.Fatalf("free run %d, want 1 (b's items are another run)", n)
	}
	if _, ok := q.stealLast(1); ok {
		t.Fatal("stole the only queued item of the run")
	}
}

// sakilaSmallInserts loads the public Sakila sample with the stock client
// and dumps it with mariadb-dump in small INSERTs (--net-buffer-length=4096,
// so the larger tables come in dozens of statements).
func sakilaSmallInserts(t *testing.T) (target, []byte) {
	t.Helper()
	if _, _, ok := sakilaPaths(); !ok && !servertest_required() {
		t.Skip("the Sakila sample is not beside the repository (../shared/data/sakila)")
	}
	src := newTarget(t)
	loadSakilaStock(t, src)
	return src, tool(t, nil, "mariadb-dump", "--routines", "--triggers", "--events", "--single-transaction", "--net-buffer-length=4096", src.Name)
}

// TestStealSakila: the public Sakila sample, loaded by the stock client,
// dumped by mariadb-dump in small INSERTs (--net-buffer-length=4096, so
// film_actor and film_category, whose keys are not AUTO_INCREMENT, come
// in dozens of statements) and restored with idle connections taking
// INSERTs over whenever they can, equals the source object by object and
// row by row. The INSERTs run as they are (WithLoadData(false)): with the
// fast path they load in segments, which are never taken over.
func TestStealSakila(t *testing.T) {
	t.Parallel()
	src, out := sakilaSmallInserts(t)
	var log bytes.Buffer
	// Whether an idle connection finds two order-free INSERTs queued
	// (film_actor's and film_category's) depends on timing: about one
	// restore in three takes nothing over. Every restore must equal the
	// source; one of up to eight must have taken something over.
	taken := false
	for try := 1; try <= 8 && !taken; try++ {
		log.Reset()
		got := newTarget(t)
		restoreFile(t, got, writeFile(t, "sakila.sql", out), withSteal(1000), WithLoadData(false), WithRestoreLogger(slog.New(slog.NewTextHandler(&log, nil))))
		sameDatabase(t, src.db, src.Name, got.Name)
		m := takenOver.FindStringSubmatch(log.String())
		taken = m != nil && m[1] != "0"
	}
	if !taken {
		t.Error("no INSERT of Sakila was taken over in eight restores: the test did not test stealing")
	}

	// A pool too small for the helper connection (one is the control
	// connection, the rest load): the restore is the same, nothing is
	// taken over, and it does not wait on a connection it cannot get.
	for _, pool := range []int{2, 3} {
		log.Reset()
		small := newTarget(t)
		small.db.SetMaxOpenConns(pool)
		restoreFile(t, small, writeFile(t, "sakila.sql", out), withSteal(1000), WithLoadData(false), WithRestoreLogger(slog.New(slog.NewTextHandler(&log, nil))))
		sameDatabase(t, src.db, src.Name, small.Name)
		if m := takenOver.FindStringSubmatch(log.String()); m == nil || m[1] != "0" {
			t.Errorf("a pool of %d connections: taken over %v, want 0 (no room for the helper)", pool, m)
		}
	}
}
