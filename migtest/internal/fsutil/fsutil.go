// Package fsutil has the small file operations the caches share.
package fsutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopyFile copies the regular file src to dst (created or truncated, mode
// 0660 before umask). On Linux io.Copy uses copy_file_range, so the data
// stays in the kernel.
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o660)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// AtomicFile is a file written under a temporary name beside its final
// path and renamed into place by Commit, so that a reader sees the old
// content or the new, never a part, and a failed write leaves nothing
// under the final name.
type AtomicFile struct {
	f      *os.File
	path   string
	synced bool // Sync has fsynced and closed f
	done   bool
}

// CreateAtomic starts writing path with mode: a temporary file named
// ".BASE.tmp-*" in path's directory. Call Commit to put it in place, and
// Abort (deferred) to remove it on any other way out. A directory at path
// is refused now, not when Commit would fail to rename over it.
func CreateAtomic(path string, mode os.FileMode) (*AtomicFile, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &AtomicFile{f: f, path: path}, nil
}

// Name is the temporary file's name, for messages about a write to it.
func (a *AtomicFile) Name() string { return a.f.Name() }

// Write writes to the temporary file.
func (a *AtomicFile) Write(p []byte) (int, error) { return a.f.Write(p) }

// Sync fsyncs and closes the temporary file, so that a Commit after it
// only renames: several files can be written out in full first and then
// put in place together.
func (a *AtomicFile) Sync() error {
	if a.synced {
		return nil
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", a.f.Name(), err)
	}
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", a.f.Name(), err)
	}
	a.synced = true
	return nil
}

// Commit syncs the temporary file (Sync), renames it over the final path,
// then fsyncs the directory. After a failed Commit, Abort removes the
// temporary file.
func (a *AtomicFile) Commit() error {
	if err := a.Sync(); err != nil {
		return err
	}
	if err := os.Rename(a.f.Name(), a.path); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	a.done = true
	if d, err := os.Open(filepath.Dir(a.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Abort removes the temporary file unless Commit put it in place; it is
// safe to call more than once, and after Commit.
func (a *AtomicFile) Abort() {
	if !a.done {
		a.f.Close()
		os.Remove(a.f.Name())
		a.done = true
	}
}

// WriteFileAtomic writes b to path with mode through an AtomicFile.
// Errors name path.
func WriteFileAtomic(path string, b []byte, mode os.FileMode) error {
	a, err := CreateAtomic(path, mode)
	if err == nil {
		defer a.Abort()
		_, err = a.Write(b)
	}
	if err == nil {
		err = a.Commit()
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteJSONAtomic writes v as indented JSON (with a final newline) to path
// with mode, atomically as WriteFileAtomic.
func WriteJSONAtomic(path string, v any, indent string, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", indent)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'), mode)
}

// SameContent reports whether the regular files a and b hold the same
// bytes (a different size answers at once; otherwise both are read).
func SameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	sa, err := fa.Stat()
	if err != nil {
		return false, err
	}
	sb, err := fb.Stat()
	if err != nil {
		return false, err
	}
	if sa.Size() != sb.Size() {
		return false, nil
	}
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if errors.Is(ea, io.EOF) || errors.Is(ea, io.ErrUnexpectedEOF) {
			return errors.Is(eb, ea), nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}
