package dump

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// ErrEmpty is returned (wrapped) when the input holds nothing to restore.
var ErrEmpty = errors.New("the input is empty")

// ErrNotSQL is returned (wrapped) when the input is neither SQL text nor a
// compressed file this package reads.
var ErrNotSQL = errors.New("the input is not a SQL dump")

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// input is an opened dump: the SQL text and how much of the file is read.
type input struct {
	sql        io.Reader
	read       *countingReader // bytes of the input as given
	total      int64           // size of the input as given, 0 if unknown
	compressed string          // "gzip", "zstd", "bzip2" or ""
	close      func()
}

// openInput recognises the input by its content: gzip, zstd and bzip2 are
// decompressed; anything else must look like SQL text.
func openInput(r io.Reader) (*input, error) {
	in := &input{read: &countingReader{r: r}, close: func() {}}
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if off, err := f.Seek(0, io.SeekCurrent); err == nil {
				in.total = st.Size() - off
			}
		}
	}
	br := bufio.NewReaderSize(in.read, 1<<20)
	magic, err := br.Peek(6)
	if len(magic) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read input: %w", err)
		}
		return nil, fmt.Errorf("%w (0 bytes): nothing to restore", ErrEmpty)
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := pgzip.NewReaderN(br, 1<<20, 8)
		if err != nil {
			return nil, fmt.Errorf("%w: it starts like gzip but its header is broken (%w): the file is corrupt", ErrNotSQL, err)
		}
		in.sql, in.compressed, in.close = zr, "gzip", func() { zr.Close() }
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", ErrNotSQL, err)
		}
		in.sql, in.compressed, in.close = zr, "zstd", zr.Close
	case bytes.HasPrefix(magic, []byte("BZh")):
		in.sql, in.compressed = bzip2.NewReader(br), "bzip2"
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return nil, fmt.Errorf("%w: it is xz-compressed: decompress it first (xz -d) or pipe it through xz -dc", ErrNotSQL)
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")):
		return nil, fmt.Errorf("%w: it is a zip archive: unzip it first", ErrNotSQL)
	default:
		in.sql = br
	}
	if in.compressed != "" {
		zbr := bufio.NewReaderSize(in.sql, 1<<20)
		head, err := zbr.Peek(1)
		if len(head) == 0 {
			in.close()
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read %s input: %w%s", in.compressed, err, corruptHint(err))
			}
			return nil, fmt.Errorf("%w: the %s data decompresses to nothing", ErrEmpty, in.compressed)
		}
		in.sql = zbr
		if err := checkText(zbr); err != nil {
			in.close()
			return nil, err
		}
		return in, nil
	}
	if err := checkText(br); err != nil {
		return nil, err
	}
	return in, nil
}

// checkText rejects input whose first bytes cannot start SQL text.
func checkText(br *bufio.Reader) error {
	head, _ := br.Peek(512)
	for _, c := range head {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c >= 0x20 && c < 0x7f || c == 0xef: // printable, or a UTF-8 BOM
			return nil
		}
		n := min(len(head), 8)
		return fmt.Errorf("%w: it is neither gzip nor SQL text (it starts with bytes % x)", ErrNotSQL, head[:n])
	}
	return nil
}

// corruptHint explains a decompression error.
func corruptHint(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return ": the compressed file is truncated (an interrupted copy or backup?)"
	}
	var ce interface{ Error() string }
	if errors.As(err, &ce) {
		return ": the compressed file is corrupt"
	}
	return ""
}
