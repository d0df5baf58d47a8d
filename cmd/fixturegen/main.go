// Command fixturegen writes a Frappe-style demo site database as SQL that
// the stock mariadb client restores (gzip'd when -out ends in .gz):
//
//	go run ./cmd/fixturegen -out fixtures/demo-site.sql.gz
//	go run ./cmd/fixturegen -scale 1000 | mariadb db
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/migtest/migtest/fixtures"
)

func main() {
	out := flag.String("out", "", "output file (.sql or .sql.gz); stdout when empty")
	seed := flag.Uint64("seed", 1, "seed of the generated values")
	scale := flag.Int("scale", 1, "row multiplier: 1 gives a few thousand rows, 1000 about 1.6 M GL entries")
	flag.Parse()
	if *scale < 1 {
		fmt.Fprintln(os.Stderr, "fixturegen: -scale must be at least 1")
		os.Exit(2)
	}
	if err := run(*out, fixtures.Options{Seed: *seed, Scale: *scale}); err != nil {
		fmt.Fprintln(os.Stderr, "fixturegen:", err)
		os.Exit(1)
	}
}

func run(out string, o fixtures.Options) error {
	var w io.Writer = os.Stdout
	var f *os.File
	if out != "" {
		var err error
		if f, err = os.Create(out); err != nil {
			return err
		}
		w = f
	}
	var zw *gzip.Writer
	if strings.HasSuffix(out, ".gz") {
		zw, _ = gzip.NewWriterLevel(w, gzip.BestCompression)
		zw.ModTime = zeroTime // deterministic bytes
		w = zw
	}
	if err := fixtures.Generate(w, o); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	if f != nil {
		return f.Close()
	}
	return nil
}
