// Command benchreport turns the output of `go test -bench` (read from
// stdin, several -count runs) into BENCHMARKS.md: the median of each
// benchmark, the side-by-side comparisons migtest is measured by, each
// with its goal and whether it is met.
//
//	go test -run '^$' -bench . -count 3 ./... | tee bench.out
//	go run ./cmd/benchreport -machine "2-core AMD EPYC, 24 GiB" < bench.out > BENCHMARKS.md
package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// line matches "BenchmarkName/sub-2   	       3	 123456 ns/op ..." and
// metric the "value unit" pairs after the iteration count.
var (
	line   = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	metric = regexp.MustCompile(`([0-9.e+-]+) (\S+)`)
)

// comparison is one row of the report: a ratio of two benchmarks (or one
// benchmark against a limit) and its goal.
type comparison struct {
	section, what string
	fast, slow    string        // benchmark names: ratio = slow / fast
	minRatio      float64       // goal: ratio at least this (0: no ratio goal)
	maxRatio      float64       // goal: ratio at most this (a cost: slow is the one measured)
	limit         time.Duration // goal: fast at most this (0: none)
	unit          string        // the metric compared: "" for ns/op, a rate such as "rows/s" (higher is faster), or a duration "…-ns" (lower is better)
	slowUnit      string        // slow's metric when it differs from unit (two loaders timed in one benchmark)
	roundRatio    string        // the ratio is the median of this metric of fast: ratios the benchmark took within each of its rounds
}

// durationUnit reports a metric that is a duration in ns: lower is better.
func durationUnit(u string) bool { return strings.HasSuffix(u, "-ns") }

var comparisons = []comparison{
	{section: "Disposable servers", what: "local provider, template datadir, to a usable database", fast: "BenchmarkStart/local-template", limit: time.Second},
	{section: "Disposable servers", what: "local provider, cold (mariadb-install-db each time)", fast: "BenchmarkStart/local-cold", limit: time.Second},
	{section: "Disposable servers", what: "docker provider (testcontainers-go, local image)", fast: "BenchmarkStart/docker"},
	{section: "Disposable servers", what: "dockertest provider (local image)", fast: "BenchmarkStart/dockertest"},
	{section: "Disposable servers", what: "a fresh database on a running server", fast: "BenchmarkStart/dsn-newdatabase", limit: 50 * time.Millisecond},
	{section: "Restore", what: "ours vs `zcat | mariadb` (Frappe-shaped, 1.65 M rows)", fast: "BenchmarkRestore/ours", slow: "BenchmarkRestore/stock", minRatio: 1.8},
	{section: "Restore", what: "ours vs myloader (Frappe-shaped)", fast: "BenchmarkRestore/ours", slow: "BenchmarkRestore/myloader", minRatio: 1.2},
	{section: "Restore", what: "ours vs `zcat | mariadb` (employees-shaped: 3.9 M narrow rows, composite keys)", fast: "BenchmarkRestoreNarrow/ours", slow: "BenchmarkRestoreNarrow/stock", minRatio: 1.8},
	{section: "Restore", what: "ours vs myloader (employees-shaped)", fast: "BenchmarkRestoreNarrow/ours", slow: "BenchmarkRestoreNarrow/myloader", minRatio: 1.2},
	{section: "Restore", what: "ours vs `zcat | mariadb`, back to back in each round (Frappe-shaped; ratio: median of the rounds' ratios)", fast: "BenchmarkRestore/rounds", unit: "ours-ns", slow: "BenchmarkRestore/rounds", slowUnit: "stock-ns", roundRatio: "x-stock", minRatio: 1.8},
	{section: "Restore", what: "ours vs myloader, back to back in each round (Frappe-shaped)", fast: "BenchmarkRestore/rounds", unit: "ours-ns", slow: "BenchmarkRestore/rounds", slowUnit: "myloader-ns", roundRatio: "x-myloader", minRatio: 1.2},
	{section: "Restore", what: "ours vs `zcat | mariadb`, back to back in each round (employees-shaped)", fast: "BenchmarkRestoreNarrow/rounds", unit: "ours-ns", slow: "BenchmarkRestoreNarrow/rounds", slowUnit: "stock-ns", roundRatio: "x-stock", minRatio: 1.8},
	{section: "Restore", what: "ours vs myloader, back to back in each round (employees-shaped)", fast: "BenchmarkRestoreNarrow/rounds", unit: "ours-ns", slow: "BenchmarkRestoreNarrow/rounds", slowUnit: "myloader-ns", roundRatio: "x-myloader", minRatio: 1.2},
	{section: "Backup", what: "ours vs `mariadb-dump --single-transaction | gzip`", fast: "BenchmarkBackup/ours", slow: "BenchmarkBackup/stock", minRatio: 1.5},
	{section: "Backup", what: "ours vs mydumper", fast: "BenchmarkBackup/ours", slow: "BenchmarkBackup/mydumper"},
	{section: "Rehearsal database", what: "warm (tablespace import from the cache) vs cold (restore)", fast: "BenchmarkFixtureDatabase/warm-tablespace-import", slow: "BenchmarkFixtureDatabase/cold-restore", minRatio: 10},
	{section: "Rehearsal database", what: "warm (SQL clone of a template database: dsn/docker providers) vs cold", fast: "BenchmarkFixtureDatabase/warm-sql-clone", slow: "BenchmarkFixtureDatabase/cold-restore"},
	{section: "CI rehearsal on a production-sized dump", what: "`make rehearse-big` as CI runs it (the one pass, then go test of every patch package with its Check assertions on the databases the pass kept), cold cache, vs one restore + one plain up of the same file (ratio = the rehearsal's cost)", fast: "BenchmarkCIRehearsal/baseline-restore-up", slow: "BenchmarkCIRehearsal/make-rehearse-big-cold", maxRatio: 1.5},
	{section: "CI rehearsal on a production-sized dump", what: "the same, the fixture warm in the cache (no pass cached)", fast: "BenchmarkCIRehearsal/baseline-restore-up", slow: "BenchmarkCIRehearsal/make-rehearse-big-warm", maxRatio: 1.2},
	{section: "CI rehearsal on a production-sized dump", what: "the one pass alone (in process), cold cache, vs one restore + one plain up", fast: "BenchmarkRehearsal/baseline-restore-up", slow: "BenchmarkRehearsal/pass-cold"},
	{section: "CI rehearsal on a production-sized dump", what: "the one pass alone, fixture warm in the cache, vs one restore + one plain up", fast: "BenchmarkRehearsal/baseline-restore-up", slow: "BenchmarkRehearsal/pass-warm"},
	{section: "CI rehearsal on a production-sized dump", what: "the same, warm, vs one import from the cache + one plain up", fast: "BenchmarkRehearsal/baseline-import-up", slow: "BenchmarkRehearsal/pass-warm"},
	{section: "Snapshot", what: "1,000 tables with row counts", fast: "BenchmarkTake1000/parallel=4", limit: time.Second},
	{section: "Snapshot", what: "1,000 tables, schema only", fast: "BenchmarkTake1000/schema-only", limit: time.Second},
	{section: "Batched data migration", what: "helper (Batch) vs one set-based UPDATE (ratio = helper's slowdown; goal: at most 1.2x)", fast: "BenchmarkBatch/set-based", slow: "BenchmarkBatch/helper", unit: "rows/s"},
	{section: "Batched data migration", what: "the same, an in-place UPDATE (row length unchanged; goal: at most 1.2x)", fast: "BenchmarkBatch/set-based-inplace", slow: "BenchmarkBatch/helper-inplace", unit: "rows/s"},
	{section: "Batched data migration", what: "helper (Batch) vs per-row commits of 100", fast: "BenchmarkBatch/helper", slow: "BenchmarkBatch/per-row-commit100", unit: "rows/s"},
	{section: "Application waits during a schema change (2 M rows, rehearse --load workload)", what: "add a column: longest wait, INSTANT vs ALGORITHM=COPY", fast: "BenchmarkAppWait/add-column-instant", slow: "BenchmarkAppWait/add-column-copy", unit: "longest-wait-ns", limit: time.Second},
	{section: "Application waits during a schema change (2 M rows, rehearse --load workload)", what: "add a column: p99 wait, INSTANT vs ALGORITHM=COPY", fast: "BenchmarkAppWait/add-column-instant", slow: "BenchmarkAppWait/add-column-copy", unit: "p99-wait-ns"},
	{section: "Application waits during a schema change (2 M rows, rehearse --load workload)", what: "add an index: longest wait, INPLACE LOCK=NONE vs ALGORITHM=COPY", fast: "BenchmarkAppWait/add-index-online", slow: "BenchmarkAppWait/add-index-copy", unit: "longest-wait-ns", limit: time.Second},
	{section: "Application waits during a schema change (2 M rows, rehearse --load workload)", what: "add an index: p99 wait, INPLACE LOCK=NONE vs ALGORITHM=COPY", fast: "BenchmarkAppWait/add-index-online", slow: "BenchmarkAppWait/add-index-copy", unit: "p99-wait-ns"},
	{section: "Application waits during a schema change (2 M rows, rehearse --load workload)", what: "add an index: the ALTER's own time, INPLACE LOCK=NONE vs ALGORITHM=COPY", fast: "BenchmarkAppWait/add-index-online", slow: "BenchmarkAppWait/add-index-copy"},
}

func main() {
	machine := flag.String("machine", fmt.Sprintf("%d cores, %s/%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH), "the machine, as printed in the report")
	command := flag.String("command", "make bench", "the command that produced the input")
	flag.Parse()
	runs, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	if len(runs) == 0 {
		fmt.Fprintln(os.Stderr, "benchreport: no benchmark lines on stdin; pipe `go test -bench` output in")
		os.Exit(1)
	}
	write(os.Stdout, runs, *machine, *command)
}

// parse collects every metric of every run of every benchmark, keyed
// "name" for ns/op and "name unit" for the others (e.g. rows/s).
func parse(r io.Reader) (map[string][]float64, error) {
	out := map[string][]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		for _, mm := range metric.FindAllStringSubmatch(m[2], -1) {
			v, err := strconv.ParseFloat(mm[1], 64)
			if err != nil {
				return nil, fmt.Errorf("bad %s in %q", mm[2], sc.Text())
			}
			key := m[1]
			if mm[2] != "ns/op" {
				key += " " + mm[2]
			}
			out[key] = append(out[key], v)
		}
	}
	return out, sc.Err()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

func write(w io.Writer, runs map[string][]float64, machine, command string) {
	fmt.Fprintf(w, "# Benchmarks\n\nMedians of %s runs on %s, written by `go run ./cmd/benchreport` from `%s` on %s.\n",
		countText(runs), machine, command, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(w, "Ratios are the slower one's median divided by the faster one's. Every row names its benchmark, so `go test -bench 'NAME' -count 5` reproduces it.")
	section := ""
	for _, c := range comparisons {
		if c.section != section {
			section = c.section
			fmt.Fprintf(w, "\n## %s\n\n| what | median | compared with | ratio | goal | met |\n| --- | --- | --- | --- | --- | --- |\n", section)
		}
		key := func(n, unit string) string {
			if unit != "" {
				return n + " " + unit
			}
			return n
		}
		fast, okF := runs[key(c.fast, c.unit)]
		slow, okS := runs[key(c.slow, cmp.Or(c.slowUnit, c.unit))]
		rounds, okR := runs[key(c.fast, c.roundRatio)]
		if !okF || (c.slow != "" && !okS) || (c.roundRatio != "" && !okR) {
			fmt.Fprintf(w, "| %s | not run | | | %s | not run (`%s`) |\n", cell(c.what), goalText(c), missing(c, okF, okS))
			continue
		}
		show := func(v float64) string {
			if durationUnit(c.unit) {
				return dur(v)
			}
			if c.unit != "" {
				return fmt.Sprintf("%.0f %s", v, c.unit)
			}
			return dur(v)
		}
		mf := median(fast)
		fastName, slowName := c.fast, c.slow
		if c.slowUnit != "" { // one benchmark, two metrics: name each
			fastName, slowName = c.fast+" "+c.unit, c.slow+" "+c.slowUnit
		}
		row := fmt.Sprintf("| %s | %s (`%s`) ", cell(c.what), show(mf), fastName)
		ratio := 0.0
		if c.slow != "" {
			ms := median(slow)
			switch {
			case c.roundRatio != "":
				ratio = median(rounds)
			case c.unit != "" && !durationUnit(c.unit):
				ratio = mf / ms // a rate: the faster one's is higher
			default:
				ratio = ms / mf
			}
			row += fmt.Sprintf("| %s (`%s`) | %.2fx ", show(ms), slowName, ratio)
		} else {
			row += "| | "
		}
		met := "yes"
		if c.minRatio > 0 && ratio < c.minRatio {
			met = "**no**"
		}
		if c.maxRatio > 0 && ratio > c.maxRatio {
			met = "**no**"
		}
		if c.limit > 0 && (c.unit == "" || durationUnit(c.unit)) && time.Duration(mf) > c.limit {
			met = "**no**"
		}
		if c.minRatio == 0 && c.limit == 0 && c.maxRatio == 0 {
			met = "-"
			if strings.Contains(c.what, "goal: at most 1.2x") {
				if ratio <= 1.2 {
					met = "yes"
				} else {
					met = "**no**"
				}
			}
		}
		fmt.Fprintf(w, "%s| %s | %s |\n", row, goalText(c), met)
	}
	fmt.Fprintln(w, "\n## Every benchmark (median ns/op)\n\n| benchmark | runs | median |\n| --- | --- | --- |")
	var names []string
	for n := range runs {
		if !strings.Contains(n, " ") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "| `%s` | %d | %s |\n", n, len(runs[n]), dur(median(runs[n])))
	}
}

func goalText(c comparison) string {
	switch {
	case c.minRatio > 0:
		return fmt.Sprintf("≥ %.1fx", c.minRatio)
	case c.maxRatio > 0:
		return fmt.Sprintf("≤ %.1fx", c.maxRatio)
	case c.limit > 0:
		return "< " + c.limit.String()
	case strings.Contains(c.what, "goal: at most 1.2x"):
		return "≤ 1.2x"
	default:
		return ""
	}
}

func missing(c comparison, okF, okS bool) string {
	if !okF {
		return c.fast
	}
	return c.slow
}

func countText(runs map[string][]float64) string {
	lo, hi := 1<<30, 0
	for _, v := range runs {
		lo, hi = min(lo, len(v)), max(hi, len(v))
	}
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// cell escapes the pipes of a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
