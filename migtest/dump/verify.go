package dump

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/pgzip"
)

// ManifestPath is where the manifest of the dump at path lives.
func ManifestPath(path string) string { return path + ".manifest.json" }

// manifestFile writes m beside path, mode 0600, under a temporary name:
// the caller commits it (or aborts it).
func manifestFile(path string, m *Manifest) (*atomicFile, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	out, err := createAtomic(ManifestPath(path))
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		out.abort()
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if err := out.sync(); err != nil {
		out.abort()
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return out, nil
}

// ReadManifest reads the manifest of the dump at path (path +
// ".manifest.json").
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(ManifestPath(path))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w (the file is damaged)", ManifestPath(path), err)
	}
	if m.Format != ManifestFormat {
		return nil, fmt.Errorf("read manifest %s: format %q, want %q", ManifestPath(path), m.Format, ManifestFormat)
	}
	return &m, nil
}

// ErrIncomplete is returned (wrapped) by Verify for a dump that does not
// end with its "-- Dump completed" line.
var ErrIncomplete = errors.New("the dump is incomplete")

// ErrMismatch is returned (wrapped) by Verify when a file's size or
// SHA-256 differs from its manifest.
var ErrMismatch = errors.New("the file does not match its manifest")

// Verify re-reads the backup at path and checks that it is a complete
// gzip stream (CRC and length), that the SQL ends with the "-- Dump
// completed" line, and that its size and SHA-256 match the manifest; and
// the same for the files archive the manifest lists. It returns the
// manifest.
func Verify(ctx context.Context, path string) (*Manifest, error) {
	sum, n, tail, err := readGzip(ctx, path, nil)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	if !completed(tail) {
		return nil, fmt.Errorf("verify %s: %w: its last line is not \"-- Dump completed ...\" (the backup was interrupted)", path, ErrIncomplete)
	}
	m, err := ReadManifest(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("verify %s: the gzip data and its end are sound, but there is no manifest to check its SHA-256 against: %w", path, err)
		}
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	if n != m.Bytes || sum != m.SHA256 {
		return m, fmt.Errorf("verify %s: %w: %d bytes, sha256 %s; the manifest says %d bytes, sha256 %s", path, ErrMismatch, n, sum, m.Bytes, m.SHA256)
	}
	if m.Files != nil {
		fp := filepath.Join(filepath.Dir(path), m.Files.File)
		entries := 0
		sum, n, _, err := readGzip(ctx, fp, func(r io.Reader) error {
			tr := tar.NewReader(r)
			for {
				if _, err := tr.Next(); err != nil {
					if errors.Is(err, io.EOF) {
						return nil
					}
					return fmt.Errorf("tar: %w", err)
				}
				entries++
				if _, err := io.Copy(io.Discard, tr); err != nil {
					return fmt.Errorf("tar: %w", err)
				}
			}
		})
		if err != nil {
			return m, fmt.Errorf("verify %s: files archive %s: %w", path, fp, err)
		}
		if n != m.Files.Bytes || sum != m.Files.SHA256 || entries != m.Files.Entries {
			return m, fmt.Errorf("verify %s: files archive %s: %w: %d bytes, %d entries, sha256 %s; the manifest says %d bytes, %d entries, sha256 %s",
				path, fp, ErrMismatch, n, entries, sum, m.Files.Bytes, m.Files.Entries, m.Files.SHA256)
		}
	}
	return m, nil
}

// readGzip reads a gzip file to its end, checking it, and returns the
// SHA-256 and size of the file and the last 4 KiB of its content. consume,
// if set, reads the content instead.
func readGzip(ctx context.Context, path string, consume func(io.Reader) error) (string, int64, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, nil, err
	}
	defer f.Close()
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(f, h)}
	zr, err := pgzip.NewReader(cr)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", 0, nil, fmt.Errorf("%w: the file is empty", ErrEmpty)
		}
		return "", 0, nil, fmt.Errorf("%w: not a gzip file (%w)", ErrNotSQL, err)
	}
	defer zr.Close()
	var tail tailBuffer
	r := io.Reader(&ctxReader{ctx: ctx, r: zr})
	if consume != nil {
		err = consume(r)
		if err == nil {
			_, err = io.Copy(io.Discard, r) // tar padding, and the gzip trailer
		}
	} else {
		_, err = io.Copy(&tail, r)
	}
	if err != nil {
		return "", 0, nil, fmt.Errorf("read: %w%s", err, corruptHint(err))
	}
	// Count any bytes the gzip reader did not need (there should be none).
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return "", 0, nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), cr.n.Load(), tail.b, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	const keep = 4096
	if len(p) >= keep {
		t.b = append(t.b[:0], p[len(p)-keep:]...)
		return len(p), nil
	}
	t.b = append(t.b, p...)
	if len(t.b) > keep {
		t.b = append(t.b[:0], t.b[len(t.b)-keep:]...)
	}
	return len(p), nil
}

// completed reports whether the last non-empty line is "-- Dump completed...".
func completed(tail []byte) bool {
	lines := bytes.Split(bytes.TrimRight(tail, "\r\n\t "), []byte("\n"))
	last := strings.TrimSpace(string(lines[len(lines)-1]))
	return strings.HasPrefix(last, "-- Dump completed")
}

// archiveFiles writes dir as a .tar.gz for dest, mode 0600, under a
// temporary name: the caller commits it (or aborts it).
func archiveFiles(ctx context.Context, dir, dest string) (_ *FilesInfo, _ *atomicFile, err error) {
	out, err := createAtomic(dest)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			out.abort()
		}
	}()
	zw := pgzip.NewWriter(out)
	tw := tar.NewWriter(zw)
	entries := 0
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !info.Mode().IsRegular() && !info.IsDir() {
			return nil // sockets, devices, pipes
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		entries++
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, info.Size()); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	if err := out.sync(); err != nil {
		return nil, nil, err
	}
	return &FilesInfo{File: filepath.Base(dest), Dir: dir, Bytes: out.n, SHA256: hex.EncodeToString(out.h.Sum(nil)), Entries: entries}, out, nil
}
