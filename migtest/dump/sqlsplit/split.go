// Package sqlsplit splits a stream of SQL, as the mariadb and mysql command
// line clients read it, into statements.
//
// It follows the client's rules, which is what dumps and hand-written
// scripts are written against: quotes of all three kinds ('...', "...",
// `...`) with backslash and doubled-quote escapes, "-- ", "#" and "/* */"
// comments, executable comments ("/*!NNNNN ... */", "/*M!NNNNNN ... */"),
// whose content is scanned as SQL just like the client does, the DELIMITER
// command at the start of a line, binary data in literals, and CRLF line
// ends. Statements of any size are read in one piece.
//
// A Scanner never loses a byte: the Raw fields of the pieces it returns,
// joined, are the input.
package sqlsplit

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// Kind tells what a Piece is.
type Kind int

const (
	// Statement is SQL to send to the server; Text holds it.
	Statement Kind = iota
	// Delimiter is a client DELIMITER command; Text holds the new delimiter.
	Delimiter
	// Empty is input that holds no statement: whitespace and comments at
	// the end of the input, or an empty statement (a lone delimiter).
	Empty
	// Command is a client command the server never sees, such as the
	// "/*M!999999\- enable the sandbox mode */" line of mariadb-dump.
	Command
)

func (k Kind) String() string {
	switch k {
	case Statement:
		return "statement"
	case Delimiter:
		return "delimiter"
	case Empty:
		return "empty"
	case Command:
		return "command"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Piece is one unit of input: a statement with the whitespace and
// comments before it and the delimiter after it, or a client command.
type Piece struct {
	Kind Kind
	// Raw is every input byte of the piece. It is only valid until the
	// next call to Scan.
	Raw []byte
	// Text is the statement without the comments and whitespace before it,
	// the whitespace after it and the delimiter; for a Delimiter piece, the
	// new delimiter. It aliases Raw.
	Text []byte
	// Delim is the delimiter that ended the statement; empty when the input
	// ended first.
	Delim string
	// Number counts Statement pieces from 1.
	Number int
	// Line is the 1-based line on which Text starts.
	Line int
	// Offset is the byte offset in the input at which Text starts.
	Offset int64
	// Unterminated is set on the last piece when the input ends inside a
	// quoted string or identifier ("'", "\"" or "`") or a comment ("/*"):
	// the input is truncated. Line and Offset of the opening are in
	// OpenLine and OpenOffset.
	Unterminated string
	OpenLine     int
	OpenOffset   int64
}

// Excerpt returns the start of the piece's text, at most n bytes, on one
// line, for error messages.
func (p *Piece) Excerpt(n int) string {
	return Excerpt(p.Text, n)
}

// Excerpt returns the start of text, at most n bytes, with runs of
// whitespace folded to one space and bytes that are not printable shown as
// '?', followed by "..." when cut.
func Excerpt(text []byte, n int) string {
	var b []byte
	space := false
	for i := 0; i < len(text); i++ {
		if len(b) >= n {
			return string(b) + "..."
		}
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if !space && len(b) > 0 {
				b = append(b, ' ')
			}
			space = true
			continue
		case c < 0x20 || c == 0x7f:
			c = '?'
		}
		space = false
		b = append(b, c)
	}
	return string(b)
}

// ErrTooLong is returned (wrapped) when a statement exceeds the Scanner's
// maximum size.
var ErrTooLong = errors.New("statement too long")

// Option configures a Scanner.
type Option func(*Scanner)

// WithMaxStatement sets the largest statement the Scanner holds in memory,
// 1 GiB (the server's largest max_allowed_packet) by default.
func WithMaxStatement(n int) Option { return func(s *Scanner) { s.max = n } }

// WithDelimiter sets the initial delimiter, ";" by default.
func WithDelimiter(d string) Option { return func(s *Scanner) { s.delim = []byte(d) } }

// WithBufferSize sets the size of reads from the underlying reader.
func WithBufferSize(n int) Option { return func(s *Scanner) { s.chunk = max(n, 16) } }

// scan states
const (
	stNormal       = iota
	stQuote        // inside quote s.quote
	stLineComment  // inside "-- " or "#" comment, up to '\n'
	stBlockComment // inside "/* */"
)

// Scanner reads pieces from a stream. It is not safe for concurrent use.
type Scanner struct {
	r     io.Reader
	chunk int
	max   int

	buf   []byte
	start int   // first byte of the current piece in buf
	pos   int   // scan position in buf
	base  int64 // input offset of buf[0]
	eof   bool
	err   error
	done  bool

	delim       []byte
	noBackslash bool
	ansiQuotes  bool

	line    int // line of buf[start]
	number  int
	piece   Piece
	pending bool // a piece was returned; drop it on the next Scan

	// state of the current piece
	state     int
	quote     byte
	textStart int // relative to start; -1 before the first significant byte
	lineStart bool
	openAt    int // start of the current quote or comment, relative to start
}

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader, opts ...Option) *Scanner {
	s := &Scanner{r: r, chunk: 1 << 20, max: 1 << 30, delim: []byte(";"), line: 1, textStart: -1, lineStart: true}
	for _, o := range opts {
		o(s)
	}
	if len(s.delim) == 0 {
		s.delim = []byte(";")
	}
	return s
}

// SetNoBackslashEscapes makes backslash an ordinary character inside
// quotes, as under sql_mode NO_BACKSLASH_ESCAPES. A loader calls it between
// Scans when the session's sql_mode changes.
func (s *Scanner) SetNoBackslashEscapes(on bool) { s.noBackslash = on }

// SetANSIQuotes makes "..." an identifier (no backslash escapes), as under
// sql_mode ANSI_QUOTES.
func (s *Scanner) SetANSIQuotes(on bool) { s.ansiQuotes = on }

// Delimiter returns the current delimiter.
func (s *Scanner) Delimiter() string { return string(s.delim) }

// Piece returns the piece found by the last successful Scan.
func (s *Scanner) Piece() *Piece { return &s.piece }

// Err returns the first read error, or nil at a clean end of input.
func (s *Scanner) Err() error { return s.err }

// Scan advances to the next piece. It returns false at the end of the
// input or on an error, which Err reports.
func (s *Scanner) Scan() bool {
	if s.pending {
		s.consume()
	}
	if s.done || s.err != nil {
		return false
	}
	for {
		if s.step() {
			s.pending = true
			return true
		}
		if s.err != nil || s.done {
			return false
		}
		if !s.fill() {
			if s.err != nil {
				return false
			}
		}
	}
}

// consume drops the returned piece from the buffer.
func (s *Scanner) consume() {
	raw := s.buf[s.start:s.pos]
	s.line += bytes.Count(raw, []byte{'\n'})
	s.start = s.pos
	s.pending = false
	s.textStart = -1
	s.state = stNormal
	s.lineStart = len(raw) > 0 && raw[len(raw)-1] == '\n'
	s.piece = Piece{}
}

// fill reads more input, compacting the buffer first. It returns false at
// the end of input (setting eof) or on error.
func (s *Scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.start > 0 && (s.start >= len(s.buf)/2 || cap(s.buf)-len(s.buf) < s.chunk) {
		n := copy(s.buf, s.buf[s.start:])
		s.base += int64(s.start)
		s.pos -= s.start
		s.buf = s.buf[:n]
		s.start = 0
	}
	if s.pos-s.start > s.max {
		s.err = fmt.Errorf("sqlsplit: statement %d at line %d is longer than %d bytes: %w (the input is not SQL, or raise the limit)", s.number+1, s.line, s.max, ErrTooLong)
		return false
	}
	if cap(s.buf)-len(s.buf) < s.chunk {
		nb := make([]byte, len(s.buf), 2*cap(s.buf)+s.chunk)
		copy(nb, s.buf)
		s.buf = nb
	}
	n, err := io.ReadAtLeast(s.r, s.buf[len(s.buf):len(s.buf)+s.chunk], 1)
	s.buf = s.buf[:len(s.buf)+n]
	switch {
	case n > 0:
		return true
	case err == io.EOF:
		s.eof = true
	default:
		s.err = err
	}
	return false
}

// more reports whether fewer than n bytes are buffered at i and more may come.
func (s *Scanner) more(i, n int) bool {
	return len(s.buf)-i < n && !s.eof
}

// step scans from pos. It returns true when a piece is complete (in
// s.piece), false when it needs more input (or the input ended with
// nothing left).
func (s *Scanner) step() bool {
	buf := s.buf
	for {
		switch s.state {
		case stLineComment:
			i := bytes.IndexByte(buf[s.pos:], '\n')
			if i < 0 {
				s.pos = len(buf)
				if s.eof {
					return s.finish()
				}
				return false
			}
			s.pos += i + 1
			s.state = stNormal
			s.lineStart = true
			continue
		case stBlockComment:
			i := bytes.Index(buf[s.pos:], []byte("*/"))
			if i < 0 {
				if len(buf) > s.pos {
					s.pos = len(buf) - 1 // keep a trailing '*'
				}
				if s.eof {
					s.pos = len(buf)
					return s.finish()
				}
				return false
			}
			s.pos += i + 2
			s.state = stNormal
			s.lineStart = false
			continue
		case stQuote:
			i, ok := s.quoteEnd(buf, s.pos, s.quote)
			if !ok {
				// need more (possibly a backslash at the end)
				s.pos = i
				if s.eof {
					s.pos = len(buf)
					return s.finish()
				}
				return false
			}
			s.pos = i + 1
			s.state = stNormal
			continue
		}
		// stNormal
		if s.pos >= len(buf) {
			if s.eof {
				return s.finish()
			}
			return false
		}
		c := buf[s.pos]
		if s.textStart < 0 {
			// Before the statement: whitespace, comments, commands.
			if c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
				s.pos++
				continue
			}
			if c == '\n' {
				s.pos++
				s.lineStart = true
				continue
			}
			if s.lineStart && (c == 'd' || c == 'D') {
				if done, need := s.delimiterCommand(); need {
					return false
				} else if done {
					return true
				}
			}
			if c == '/' && s.lineStart {
				if done, need := s.sandboxCommand(); need {
					return false
				} else if done {
					return true
				}
			}
		}
		if c == s.delim[0] {
			if s.more(s.pos, len(s.delim)) {
				return false
			}
			if bytes.HasPrefix(buf[s.pos:], s.delim) {
				return s.endStatement()
			}
		}
		switch c {
		case '\'', '"', '`':
			s.mark()
			s.state, s.quote, s.openAt = stQuote, c, s.pos-s.start
			s.pos++
			continue
		case '#':
			s.state, s.openAt = stLineComment, s.pos-s.start
			s.pos++
			continue
		case '-':
			if s.more(s.pos, 3) {
				return false
			}
			if s.pos+1 < len(buf) && buf[s.pos+1] == '-' && (s.pos+2 >= len(buf) || buf[s.pos+2] <= ' ') {
				s.state, s.openAt = stLineComment, s.pos-s.start
				s.pos += 2
				continue
			}
		case '/':
			if s.more(s.pos, 4) {
				return false
			}
			if s.pos+1 < len(buf) && buf[s.pos+1] == '*' {
				if s.pos+2 < len(buf) && (buf[s.pos+2] == '!' || buf[s.pos+2] == 'M' && s.pos+3 < len(buf) && buf[s.pos+3] == '!') {
					// executable comment: its content is SQL
					s.mark()
					s.pos += 2
					continue
				}
				s.state, s.openAt = stBlockComment, s.pos-s.start
				s.pos += 2
				continue
			}
		}
		s.mark()
		s.pos++
		if s.textStart >= 0 {
			// Fast path through ordinary bytes of a statement.
			s.pos = s.skipPlain(buf, s.pos)
		}
	}
}

// plain[c] is true for bytes that never start a quote, comment or
// delimiter (the delimiter's first byte is checked separately).
var plain = func() (t [256]bool) {
	for i := range t {
		t[i] = true
	}
	for _, c := range []byte("'\"`#-/") {
		t[c] = false
	}
	return
}()

// skipPlain returns the index of the first byte at or after i that may
// start a comment or the delimiter, or that opens a string buf does not
// close; the strings it closes are skipped whole, as the rows of an
// extended INSERT are mostly strings.
func (s *Scanner) skipPlain(buf []byte, i int) int {
	d := s.delim[0]
	for i < len(buf) {
		c := buf[i]
		switch {
		case c == d:
			return i
		case plain[c]:
			i++
		case c == '\'', c == '"', c == '`':
			end, ok := s.quoteEnd(buf, i+1, c)
			if !ok {
				return i
			}
			i = end + 1
		default:
			return i
		}
	}
	return i
}

// quoteEnd scans a string quoted by q from i, the byte after its opening
// quote: it returns the index of the closing quote and true, or where buf
// ends (at a backslash whose escaped byte is not read yet) and false.
func (s *Scanner) quoteEnd(buf []byte, i int, q byte) (int, bool) {
	esc := q != '`' && !s.noBackslash && !(q == '"' && s.ansiQuotes)
	for i < len(buf) {
		c := buf[i]
		if c == q {
			return i, true
		}
		if c == '\\' && esc {
			if i+1 >= len(buf) {
				return i, false
			}
			i += 2
			continue
		}
		i++
	}
	return i, false
}

func (s *Scanner) mark() {
	if s.textStart < 0 {
		s.textStart = s.pos - s.start
	}
	s.lineStart = false
}

// endStatement completes a statement at the delimiter at pos.
func (s *Scanner) endStatement() bool {
	end := s.pos
	s.pos += len(s.delim)
	raw := s.buf[s.start:s.pos]
	if s.textStart < 0 {
		s.piece = Piece{Kind: Empty, Raw: raw, Delim: string(s.delim), Line: s.line + bytes.Count(s.buf[s.start:end], nl), Offset: s.base + int64(end)}
		return true
	}
	ts := s.start + s.textStart
	te := end
	for te > ts && sqltext.IsSpace(s.buf[te-1]) {
		te--
	}
	s.number++
	s.piece = Piece{
		Kind:   Statement,
		Raw:    raw,
		Text:   s.buf[ts:te],
		Delim:  string(s.delim),
		Number: s.number,
		Line:   s.line + bytes.Count(s.buf[s.start:ts], nl),
		Offset: s.base + int64(ts),
	}
	return true
}

var nl = []byte{'\n'}

// finish returns the rest of the input at its end as the last piece.
func (s *Scanner) finish() bool {
	s.done = true
	s.pos = len(s.buf)
	if s.pos == s.start {
		return false
	}
	raw := s.buf[s.start:s.pos]
	p := Piece{Kind: Empty, Raw: raw, Line: s.line, Offset: s.base + int64(s.start)}
	if s.textStart >= 0 {
		ts := s.start + s.textStart
		te := s.pos
		if s.state != stQuote && s.state != stBlockComment {
			for te > ts && sqltext.IsSpace(s.buf[te-1]) {
				te--
			}
		}
		s.number++
		p.Kind, p.Text, p.Number = Statement, s.buf[ts:te], s.number
		p.Line = s.line + bytes.Count(s.buf[s.start:ts], nl)
		p.Offset = s.base + int64(ts)
	}
	switch s.state {
	case stQuote:
		p.Unterminated = string(s.quote)
	case stBlockComment:
		p.Unterminated = "/*"
	}
	if p.Unterminated != "" {
		p.OpenLine = s.line + bytes.Count(s.buf[s.start:s.start+s.openAt], nl)
		p.OpenOffset = s.base + int64(s.start+s.openAt)
	}
	s.piece = p
	return true
}

// delimiterCommand recognises "DELIMITER x" at the start of a line before
// any statement text. It returns need when it must see more input.
func (s *Scanner) delimiterCommand() (done, need bool) {
	const kw = "delimiter"
	buf := s.buf[s.pos:]
	if len(buf) < len(kw)+1 {
		if !s.eof {
			return false, true
		}
		return false, false
	}
	if !bytes.EqualFold(buf[:len(kw)], []byte(kw)) || (buf[len(kw)] != ' ' && buf[len(kw)] != '\t') {
		return false, false
	}
	eol := bytes.IndexByte(buf, '\n')
	if eol < 0 {
		if !s.eof {
			return false, true
		}
		eol = len(buf)
	}
	line := buf[:eol]
	arg := bytes.TrimLeft(line[len(kw):], " \t")
	if i := bytes.IndexAny(arg, " \t\r"); i >= 0 {
		arg = arg[:i]
	}
	if len(arg) == 0 || bytes.IndexByte(arg, '\\') >= 0 {
		return false, false // not a valid command: leave it to the server
	}
	if len(arg) >= 2 && (arg[0] == '\'' || arg[0] == '"' || arg[0] == '`') && arg[len(arg)-1] == arg[0] {
		arg = arg[1 : len(arg)-1]
		if len(arg) == 0 {
			return false, false
		}
	}
	textOff := s.pos
	s.pos += eol
	if s.pos < len(s.buf) {
		s.pos++ // the newline
	}
	s.delim = append([]byte(nil), arg...)
	s.piece = Piece{
		Kind:   Delimiter,
		Raw:    s.buf[s.start:s.pos],
		Text:   arg,
		Line:   s.line + bytes.Count(s.buf[s.start:textOff], nl),
		Offset: s.base + int64(textOff),
	}
	return true, false
}

// sandboxLine is the first line of mariadb-dump output since 10.5.25,
// 10.6.18, 10.11.8: a client command, not SQL.
var sandboxLine = []byte(`/*M!999999\- enable the sandbox mode */`)

func (s *Scanner) sandboxCommand() (done, need bool) {
	buf := s.buf[s.pos:]
	if len(buf) < len(sandboxLine) {
		if !s.eof && bytes.HasPrefix(sandboxLine, buf) {
			return false, true
		}
		return false, false
	}
	if !bytes.HasPrefix(buf, sandboxLine) {
		return false, false
	}
	textOff := s.pos
	s.pos += len(sandboxLine)
	// the rest of the line, up to and including the newline, if blank
	rest := s.buf[s.pos:]
	i := 0
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\r') {
		i++
	}
	if i < len(rest) && rest[i] == '\n' {
		s.pos += i + 1
	}
	s.piece = Piece{
		Kind:   Command,
		Raw:    s.buf[s.start:s.pos],
		Text:   s.buf[textOff : textOff+len(sandboxLine)],
		Line:   s.line + bytes.Count(s.buf[s.start:textOff], nl),
		Offset: s.base + int64(textOff),
	}
	return true, false
}
