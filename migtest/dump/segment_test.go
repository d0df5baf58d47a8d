package dump

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// withSegmentTime bounds a segment's time (segment.go).
func withSegmentTime(d time.Duration) RestoreOption {
	return func(c *restoreConfig) { c.segmentTime = d }
}

// segmentDump is table t in n INSERTs of rows rows each; dup, if above 0,
// repeats in INSERT dup a key of the first INSERT. after follows the rows.
func segmentDump(n, rows, dup int, after string) string {
	var b strings.Builder
	b.WriteString(ldHeader("NO_AUTO_VALUE_ON_ZERO"))
	b.WriteString("CREATE TABLE `t` (`id` int NOT NULL, `d` date NOT NULL, `s` varchar(20) NOT NULL, PRIMARY KEY (`id`,`d`)) ENGINE=InnoDB;\n")
	b.WriteString("/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n")
	id := 0
	for i := 1; i <= n; i++ {
		b.WriteString("INSERT INTO `t` VALUES ")
		for r := range rows {
			if r > 0 {
				b.WriteByte(',')
			}
			id++
			key := id
			if i == dup && r == 0 {
				key = 1
			}
			fmt.Fprintf(&b, "(%d,'2024-01-%02d','row %d')", key, 1+key%28, key)
		}
		b.WriteString(";\n")
	}
	b.WriteString("/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n")
	b.WriteString(after)
	b.WriteString(ldTrailer)
	return b.String()
}

var segmentLine = regexp.MustCompile(`msg="loaded a run of INSERTs in one LOAD DATA" table=(\S+) statements=(\d+)`)

// segments returns the number of statements of each segment in a debug log.
func segments(log string) []int {
	var n []int
	for _, m := range segmentLine.FindAllStringSubmatch(log, -1) {
		k, _ := strconv.Atoi(m[2])
		n = append(n, k)
	}
	return n
}

// debugLogger logs at DEBUG into buf.
func debugLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestSegments: a table's INSERTs load in runs of one LOAD DATA each, as
// long as the runs allow (the whole table; half the read-ahead memory;
// the time bound), and the rows are the INSERTs'.
func TestSegments(t *testing.T) {
	t.Parallel()
	const n = 300
	text := segmentDump(n, 160, 0, "") // 1.5 MB
	plain := newTarget(t)
	if _, err := restoreText(t, plain, text, WithLoadData(false)); err != nil {
		t.Fatal(err)
	}
	want := tableRows(t, plain, "t")
	for _, c := range []struct {
		name string
		opts []RestoreOption
		// check the statements of each segment
		check func(runs []int) string
	}{
		{"the whole table in one", nil, func(runs []int) string {
			if len(runs) != 1 {
				return "want one segment"
			}
			return ""
		}},
		{"half the read-ahead memory", []RestoreOption{WithReadAhead(1<<20, 1<<30)}, func(runs []int) string {
			// 1.5 MB of INSERTs, each segment holding at most 512 kB
			if len(runs) < 3 {
				return "want three or more segments"
			}
			return ""
		}},
		{"the time bound", []RestoreOption{withSegmentTime(time.Nanosecond)}, func(runs []int) string {
			for _, k := range runs {
				if k != 1 {
					return "want segments of one statement"
				}
			}
			return ""
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			tg := newTarget(t)
			st, err := restoreText(t, tg, text, append([]RestoreOption{WithRestoreLogger(debugLogger(&log)), WithParallel(2)}, c.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			runs := segments(log.String())
			total := 0
			for _, k := range runs {
				total += k
			}
			if total != n || st.LoadData != n {
				t.Errorf("segments %v load %d statements, Stats.LoadData %d; want %d", runs, total, st.LoadData, n)
			}
			if why := c.check(runs); why != "" {
				t.Errorf("segments %v: %s", runs, why)
			}
			if got := tableRows(t, tg, "t"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the rows differ from the INSERTs' (%d rows, want %d)", len(got), len(want))
			}
		})
	}
}

// TestSegmentFailsAtTheINSERT: a duplicate key in the 150th of 300 INSERTs
// that load as one segment fails the restore with the INSERT's error at
// its line, as without the fast path, and leaves no table behind.
func TestSegmentFailsAtTheINSERT(t *testing.T) {
	t.Parallel()
	text := segmentDump(300, 20, 150, "")
	// the first and the 150th INSERT start with key 1
	failsLikeTheINSERT(t, text, "Duplicate entry", "INSERT INTO `t` VALUES (1,")
}

// TestSegmentsEndWhenTheReaderWaits: statements the reader runs only once
// every worker is idle (a routine, a SET that reads the data) follow a
// table's rows, with nothing more queued for the worker loading them (no
// ENABLE KEYS): its segment ends, and the restore goes on instead of
// waiting forever.
func TestSegmentsEndWhenTheReaderWaits(t *testing.T) {
	t.Parallel()
	for _, after := range []string{
		"CREATE PROCEDURE `p`() SELECT 1;\n",
		"SET @n = (SELECT COUNT(*) FROM `t`);\nCREATE TABLE `u` (`n` int NOT NULL) ENGINE=InnoDB;\nINSERT INTO `u` VALUES (@n);\n",
	} {
		tg := newTarget(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		text := strings.Replace(segmentDump(200, 20, 0, after), "/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n", "", 1)
		_, err := Restore(ctx, tg.db, tg.Name, strings.NewReader(text), WithParallel(2))
		cancel()
		if err != nil {
			t.Fatalf("%q after the rows: %v", after, err)
		}
		var rows int
		if err := tg.db.QueryRow("SELECT COUNT(*) FROM `t`").Scan(&rows); err != nil || rows != 4000 {
			t.Errorf("%d rows (%v), want 4000", rows, err)
		}
	}
}

// TestSegmentAnalyze: before a table's first segment MariaDB 10.6+ gets
// an ANALYZE of it (segmentTime), which must not write engine-independent
// statistics the source did not have.
func TestSegmentAnalyze(t *testing.T) {
	t.Parallel()
	tg := newTarget(t)
	var version string
	if err := tg.db.QueryRow("SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	v, mariadb := parseVersion(version)
	var log bytes.Buffer
	if _, err := restoreText(t, tg, segmentDump(100, 400, 0, ""), WithRestoreLogger(debugLogger(&log))); err != nil {
		t.Fatal(err)
	}
	analyzed := strings.Contains(log.String(), "analyzed a table before its first load")
	if want := mariadb && v >= 100600; analyzed != want {
		t.Fatalf("server %s: analyzed %v, want %v", version, analyzed, want)
	}
	if !mariadb {
		return
	}
	for _, table := range []string{"table_stats", "column_stats", "index_stats"} {
		var n int
		if err := tg.db.QueryRow("SELECT COUNT(*) FROM mysql."+table+" WHERE db_name = ?", tg.Name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("mysql.%s holds %d rows for the restored database, want none", table, n)
		}
	}
}

// pause is an io.Reader that reads nothing for d, once.
type pause struct {
	d    time.Duration
	done bool
}

func (p *pause) Read([]byte) (int, error) {
	if !p.done {
		p.done = true
		time.Sleep(p.d)
	}
	return 0, io.EOF
}

// TestSegmentsEndWhenTheInputPauses: when the input stops for longer than
// segmentWait in the middle of a table's INSERTs, the segment loading
// them commits what it has instead of keeping its transaction open, and
// the next one loads the rest.
func TestSegmentsEndWhenTheInputPauses(t *testing.T) {
	t.Parallel()
	text := segmentDump(100, 20, 0, "")
	half := strings.Index(text, "INSERT INTO `t` VALUES (1001,")
	var log bytes.Buffer
	tg := newTarget(t)
	in := io.MultiReader(strings.NewReader(text[:half]), &pause{d: 4 * segmentWait}, strings.NewReader(text[half:]))
	st, err := Restore(context.Background(), tg.db, tg.Name, in, WithRestoreLogger(debugLogger(&log)))
	if err != nil {
		t.Fatal(err)
	}
	if runs := segments(log.String()); len(runs) < 2 || st.LoadData != 100 {
		t.Errorf("segments %v, Stats.LoadData %d; want two or more segments loading 100 statements", runs, st.LoadData)
	}
	var rows int
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM `t`").Scan(&rows); err != nil || rows != 2000 {
		t.Errorf("%d rows (%v), want 2000", rows, err)
	}
}

// TestSegmentsSakila: the public Sakila sample, loaded by the stock client
// and dumped by mariadb-dump in small INSERTs (--net-buffer-length=4096:
// film_actor, film_category, inventory and the other tables without
// triggers come in dozens of statements), restores through segments of
// many statements and equals the source object by object and row by row.
func TestSegmentsSakila(t *testing.T) {
	t.Parallel()
	src, out := sakilaSmallInserts(t)
	var log bytes.Buffer
	got := newTarget(t)
	st := restoreFile(t, got, writeFile(t, "sakila.sql", out), WithRestoreLogger(debugLogger(&log)))
	sameDatabase(t, src.db, src.Name, got.Name)
	long := 0
	for _, m := range segmentLine.FindAllStringSubmatch(log.String(), -1) {
		if k, _ := strconv.Atoi(m[2]); k > 1 {
			long++
		}
	}
	if long < 3 || st.LoadData == 0 {
		t.Errorf("%d segments of more than one statement, Stats.LoadData %d: want three or more such segments", long, st.LoadData)
	}
}
