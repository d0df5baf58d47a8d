package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkStart/local-template-2         	       5	 281000000 ns/op
BenchmarkStart/local-template-2         	       5	 290000000 ns/op
BenchmarkStart/local-template-2         	       5	 270000000 ns/op
BenchmarkRestore/ours-2   	       1	10000000000 ns/op	  150 MB/s
BenchmarkRestore/stock-2  	       1	20000000000 ns/op
BenchmarkRestoreNarrow/rounds-2	1	42000000000 ns/op	10000000000 ours-ns	12000000000 myloader-ns	20000000000 stock-ns	1.2 x-myloader	2.0 x-stock
BenchmarkRestoreNarrow/rounds-2	1	45000000000 ns/op	12000000000 ours-ns	12500000000 myloader-ns	21000000000 stock-ns	1.0417 x-myloader	1.75 x-stock
BenchmarkRestoreNarrow/rounds-2	1	40000000000 ns/op	9000000000 ours-ns	9900000000 myloader-ns	19800000000 stock-ns	1.1 x-myloader	2.2 x-stock
BenchmarkBackup/ours-2    	       1	10000000000 ns/op
BenchmarkBackup/stock-2   	       1	12000000000 ns/op
BenchmarkBatch/helper-2   	       1	5000000000 ns/op	    300000 rows/s
BenchmarkBatch/set-based-2	       1	1500000000 ns/op	   1000000 rows/s
BenchmarkBatch/per-row-commit100-2	       1	20000000000 ns/op	      5000 rows/s
PASS
`

func TestReport(t *testing.T) {
	runs, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := median(runs["BenchmarkStart/local-template"]); got != 281000000 {
		t.Errorf("median = %v, want the middle of three", got)
	}
	var b bytes.Buffer
	write(&b, runs, "test machine", "test")
	out := b.String()
	for _, want := range []string{
		"| local provider, template datadir, to a usable database | 281ms",
		"| ours vs `zcat \\| mariadb` (Frappe-shaped, 1.65 M rows) | 10s (`BenchmarkRestore/ours`) | 20s (`BenchmarkRestore/stock`) | 2.00x | ≥ 1.8x | yes |",
		"| 1.20x | ≥ 1.5x | **no** |",
		"not run (`BenchmarkRestore/myloader`)",
		// The median of the rounds' own ratios (1.2, 1.04, 1.1), not the
		// ratio of the medians (12 s / 10 s).
		"| ours vs myloader, back to back in each round (employees-shaped) | 10s (`BenchmarkRestoreNarrow/rounds ours-ns`) | 12s (`BenchmarkRestoreNarrow/rounds myloader-ns`) | 1.10x | ≥ 1.2x | **no** |",
		"| 10s (`BenchmarkRestoreNarrow/rounds ours-ns`) | 20s (`BenchmarkRestoreNarrow/rounds stock-ns`) | 2.00x | ≥ 1.8x | yes |",
		"| 1000000 rows/s (`BenchmarkBatch/set-based`) | 300000 rows/s (`BenchmarkBatch/helper`) | 3.33x | ≤ 1.2x | **no** |",
		"| 300000 rows/s (`BenchmarkBatch/helper`) | 5000 rows/s (`BenchmarkBatch/per-row-commit100`) | 60.00x |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
