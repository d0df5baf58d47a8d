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
