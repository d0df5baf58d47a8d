package fsutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONAtomic(p, map[string]int{"a": 1}, "  ", 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "{\n  \"a\": 1\n}\n" {
		t.Errorf("content %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	noTemps(t, dir, "after the write")
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such", "dir", "x"), nil, 0o600); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}

// TestAtomicFile: nothing appears under the final name before Commit, an
// aborted file leaves nothing behind, and Abort after Commit keeps it.
func TestAtomicFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "backup.sql.gz")
	a := written(t, p, 0o600, "part")
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("the final name exists before Commit: %v", err)
	}
	a.Abort()
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Fatalf("Abort left %v", left)
	}
	noTemps(t, dir, "after Abort")

	a = written(t, p, 0o640, "whole")
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	a.Abort()
	if b, err := os.ReadFile(p); err != nil || string(b) != "whole" {
		t.Fatalf("after Commit and Abort: %q, %v", b, err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	noTemps(t, dir, "after the write")
	if _, err := CreateAtomic(filepath.Join(dir, "no", "such", "dir", "x"), 0o600); err == nil {
		t.Error("creating in a missing directory did not fail")
	}
}

// noTemps fails the test if dir holds a temporary file (a dot file).
func noTemps(t *testing.T, dir, when string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Fatalf("temporary files left %s: %v", when, left)
	}
}

// written starts an AtomicFile for p holding content.
func written(t *testing.T, p string, mode os.FileMode, content string) *AtomicFile {
	t.Helper()
	a, err := CreateAtomic(p, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAtomicFileSync: a synced file is not in place until Commit, an
// aborted synced file leaves nothing, and a directory at the final path
// is refused before anything is written.
func TestAtomicFileSync(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "site.sql.gz")
	if err := os.WriteFile(p, []byte("earlier"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := written(t, p, 0o600, "newer")
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "earlier" {
		t.Fatalf("after Sync the final name holds %q, want the earlier content", b)
	}
	a.Abort()
	if b, _ := os.ReadFile(p); string(b) != "earlier" {
		t.Fatalf("after Sync and Abort the final name holds %q", b)
	}
	noTemps(t, dir, "after Sync and Abort")

	a = written(t, p, 0o600, "newer")
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "newer" {
		t.Fatalf("after Sync and Commit: %q", b)
	}

	d := filepath.Join(dir, "site-files.tar.gz")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateAtomic(d, 0o600); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("CreateAtomic over a directory: %v, want \"is a directory\"", err)
	}
}
