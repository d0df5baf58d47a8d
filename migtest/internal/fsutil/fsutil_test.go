package fsutil

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCopyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	data := bytes.Repeat([]byte{0, 1, 2, 0xff}, 100_000)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("longer old content that must be truncated away entirely ............"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CopyFile(src, dst); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("copy differs (%d bytes, %v)", len(got), err)
	}
	if err := CopyFile(filepath.Join(dir, "missing"), dst); err == nil {
		t.Error("copying a missing file succeeded")
	}
}

func TestSameContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := bytes.Repeat([]byte{7, 0, 1}, 1<<20) // over one read buffer
	flipped := bytes.Clone(big)
	flipped[len(flipped)-2] ^= 1
	for _, c := range []struct {
		name string
		a, b []byte
		want bool
	}{
		{"both empty", nil, nil, true},
		{"same big", big, big, true},
		{"one byte apart near the end", big, flipped, false},
		{"prefix", big[:len(big)-1], big, false},
		{"same size, first byte", []byte("ab"), []byte("bb"), false},
	} {
		a, b := filepath.Join(dir, c.name+".a"), filepath.Join(dir, c.name+".b")
		if err := os.WriteFile(a, c.a, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(b, c.b, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := SameContent(a, b); err != nil || got != c.want {
			t.Errorf("%s: SameContent = %t, %v; want %t", c.name, got, err, c.want)
		}
	}
	if _, err := SameContent(filepath.Join(dir, "missing"), filepath.Join(dir, "missing")); err == nil {
		t.Error("comparing a missing file succeeded")
	}
}
