// Command fixturegen writes a Frappe-style demo site database as SQL that
// the stock mariadb client restores (gzip'd when -out ends in .gz):
//
//	go run ./cmd/fixturegen -out fixtures/demo-site.sql.gz
//	go run ./cmd/fixturegen -scale 1300 -out .cache/big-site-s1300.sql.gz
//	go run ./cmd/fixturegen -rows 2000000 | mariadb db
//
// One unit of -scale is about 3,640 rows and 740 KB of SQL (200 customers,
// 400 sales invoices, 1,600 GL entries, ...; see fixtures.Options). The
// output is a function of -seed and -scale only, byte for byte, and of
// -level for .gz output: scale 1 is compressed with compress/gzip at -level 9
// (the committed fixture); bigger scales use parallel gzip
// (klauspost/pgzip, fixed 1 MB blocks, so the bytes do not depend on the
// number of cores) at -level 6 unless told otherwise.
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/pgzip"
	"github.com/migtest/migtest/fixtures"
)

func main() {
	out := flag.String("out", "", "output file (.sql or .sql.gz); stdout when empty")
	seed := flag.Uint64("seed", 1, "seed of the generated values")
	scale := flag.Int("scale", 1, fmt.Sprintf("row multiplier: 1 gives the demo site (~%d rows), 1300 about 4.7 M rows with 2.08 M GL entries", fixtures.RowsPerScale))
	rows := flag.Int("rows", 0, "approximate total rows; sets -scale to the smallest scale giving at least this many")
	level := flag.Int("level", 0, "gzip level 1-9 for .gz output (default 9 at scale 1, else 6)")
	verbose := flag.Bool("v", false, "print the scale, bytes and time to stderr")
	flag.Parse()
	if flag.NArg() > 0 {
		usage("unexpected arguments %q", flag.Args())
	}
	if *rows > 0 {
		*scale = (*rows + fixtures.RowsPerScale - 1) / fixtures.RowsPerScale
	}
	if *scale < 1 {
		usage("-scale must be at least 1")
	}
	if *level == 0 {
		*level = 6
		if *scale == 1 {
			*level = gzip.BestCompression
		}
	}
	if *level < gzip.BestSpeed || *level > gzip.BestCompression {
		usage("-level must be 1 to 9")
	}
	start := time.Now()
	n, err := run(*out, *level, fixtures.Options{Seed: *seed, Scale: *scale})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
	if *verbose {
		fmt.Fprintf(os.Stderr, "fixturegen: seed %d scale %d: ~%d rows, %d bytes of SQL in %.1f s\n",
			*seed, *scale, *scale*fixtures.RowsPerScale, n, time.Since(start).Seconds())
	}
}

func usage(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "fixturegen: "+format+"\n", args...)
	flag.Usage()
	os.Exit(2)
}

// pgzipBlock is the block size of parallel gzip; the compressed bytes depend
// on it, so it is fixed.
const pgzipBlock = 1 << 20

// run generates into out (stdout when empty) and returns the SQL's size.
func run(out string, level int, o fixtures.Options) (int64, error) {
	var w io.Writer = os.Stdout
	var f *os.File
	if out != "" {
		// Written beside out and renamed at the end, so that an interrupted
		// run never leaves a partial file under a cached fixture's name.
		var err error
		if f, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp"); err != nil {
			return 0, fmt.Errorf("create %s: %w", out, err)
		}
		defer os.Remove(f.Name())
		defer f.Close()
		w = f
	}
	var zw io.WriteCloser
	if strings.HasSuffix(out, ".gz") {
		if o.Scale == 1 {
			z, err := gzip.NewWriterLevel(w, level) // ModTime zero: deterministic bytes
			if err != nil {
				return 0, err
			}
			zw = z
		} else {
			z, err := pgzip.NewWriterLevel(w, level)
			if err != nil {
				return 0, err
			}
			if err := z.SetConcurrency(pgzipBlock, 2*runtime.GOMAXPROCS(0)); err != nil {
				return 0, err
			}
			zw = z
		}
		w = zw
	}
	cw := &counter{w: w}
	if err := fixtures.Generate(cw, o); err != nil {
		return cw.n, fmt.Errorf("write %s: %w", name(out), err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return cw.n, fmt.Errorf("write %s: %w", name(out), err)
		}
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return cw.n, fmt.Errorf("write %s: %w", name(out), err)
		}
		if err := os.Chmod(f.Name(), 0o644); err != nil {
			return cw.n, fmt.Errorf("write %s: %w", out, err)
		}
		if err := os.Rename(f.Name(), out); err != nil {
			return cw.n, fmt.Errorf("write %s: %w", out, err)
		}
	}
	return cw.n, nil
}

func name(out string) string {
	if out == "" {
		return "stdout"
	}
	return out
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
