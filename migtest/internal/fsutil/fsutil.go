// Package fsutil has the small file operations the caches share.
package fsutil

import (
	"io"
	"os"
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
