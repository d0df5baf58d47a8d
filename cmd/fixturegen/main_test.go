package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/migtest/migtest/fixtures"
)

func TestRunCommittedFixture(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "demo-site.sql.gz")
	if _, err := run(out, gzip.BestCompression, fixtures.Options{Seed: 1, Scale: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, fixtures.DemoSite) {
		t.Error("fixturegen -out demo-site.sql.gz differs from the committed fixtures/demo-site.sql.gz")
	}
}

func TestRunParallelGzip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := fixtures.Options{Seed: 3, Scale: 5}
	var want bytes.Buffer
	if err := fixtures.Generate(&want, o); err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for _, name := range []string{"a.sql.gz", "b.sql.gz"} {
		out := filepath.Join(dir, name)
		n, err := run(out, 6, o)
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(want.Len()) {
			t.Errorf("run reports %d bytes of SQL, want %d", n, want.Len())
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		sql, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sql, want.Bytes()) {
			t.Errorf("%s does not hold Generate's output", name)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs gave different compressed bytes")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestRunPlainAndError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "site.sql")
	n, err := run(out, 6, fixtures.Options{Seed: 1, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.Size() != n {
		t.Errorf("%s: size %v, want %d (%v)", out, st, n, err)
	}
	if _, err := run(filepath.Join(dir, "missing", "x.sql.gz"), 6, fixtures.Options{Seed: 1, Scale: 1}); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
