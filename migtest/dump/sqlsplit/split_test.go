package sqlsplit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// piece is a comparable copy of a Piece.
type piece struct {
	Kind         Kind
	Raw, Text    string
	Delim        string
	Line         int
	Offset       int64
	Unterminated string
}

func (p piece) String() string {
	return fmt.Sprintf("%s@%d:%d %q text=%q delim=%q unterminated=%q", p.Kind, p.Line, p.Offset, p.Raw, p.Text, p.Delim, p.Unterminated)
}

func split(t testing.TB, in []byte, opts ...Option) []piece {
	t.Helper()
	s := NewScanner(bytes.NewReader(in), opts...)
	var out []piece
	for s.Scan() {
		p := s.Piece()
		out = append(out, piece{p.Kind, string(p.Raw), string(p.Text), p.Delim, p.Line, p.Offset, p.Unterminated})
	}
	if err := s.Err(); err != nil {
		t.Fatalf("split: %v", err)
	}
	return out
}

// refSplit is a deliberately simple reference: the whole input in memory,
// one byte at a time, written from the client's rules without the
// Scanner's buffering and fast paths.
func refSplit(in []byte) []piece {
	var out []piece
	delim := ";"
	start, textStart := 0, -1
	lineStart := true
	line := 1
	lineAt := func(i int) int { return line + strings.Count(string(in[start:i]), "\n") }
	emit := func(end int, p piece) {
		p.Raw = string(in[start:end])
		out = append(out, p)
		line += strings.Count(p.Raw, "\n")
		start = end
		textStart = -1
	}
	stmt := func(textEnd, end int, d, unterminated string) {
		if textStart < 0 && unterminated != "" {
			emit(end, piece{Kind: Empty, Line: line, Offset: int64(start), Unterminated: unterminated})
			return
		}
		if textStart < 0 {
			emit(end, piece{Kind: Empty, Delim: d, Line: lineAt(textEnd), Offset: int64(textEnd)})
			return
		}
		te := textEnd
		if unterminated == "" {
			for te > textStart && strings.ContainsRune(" \t\r\n\f\v", rune(in[te-1])) {
				te--
			}
		}
		emit(end, piece{Kind: Statement, Text: string(in[textStart:te]), Delim: d, Line: lineAt(textStart), Offset: int64(textStart), Unterminated: unterminated})
	}
	i := 0
	for i < len(in) {
		c := in[i]
		if textStart < 0 {
			if c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' {
				i++
				continue
			}
			if c == '\n' {
				i++
				lineStart = true
				continue
			}
			if lineStart && len(in)-i > 9 && strings.EqualFold(string(in[i:i+9]), "delimiter") && (in[i+9] == ' ' || in[i+9] == '\t') {
				eol := bytes.IndexByte(in[i:], '\n')
				if eol < 0 {
					eol = len(in)
				} else {
					eol += i
				}
				rest := in[i+9 : eol]
				k := 0
				for k < len(rest) && (rest[k] == ' ' || rest[k] == '\t') {
					k++
				}
				m := k
				for m < len(rest) && rest[m] != ' ' && rest[m] != '\t' && rest[m] != '\r' {
					m++
				}
				arg := string(rest[k:m])
				if len(arg) >= 2 && strings.ContainsRune("'\"`", rune(arg[0])) && arg[len(arg)-1] == arg[0] {
					arg = arg[1 : len(arg)-1]
				}
				if arg != "" && !strings.Contains(string(rest[k:m]), "\\") {
					end := eol
					if end < len(in) {
						end++
					}
					at := i
					emit(end, piece{Kind: Delimiter, Text: arg, Line: lineAt(at), Offset: int64(at)})
					delim = arg
					i = end
					lineStart = end > 0 && in[end-1] == '\n'
					continue
				}
			}
			if lineStart && bytes.HasPrefix(in[i:], sandboxLine) {
				at := i
				end := i + len(sandboxLine)
				j := end
				for j < len(in) && (in[j] == ' ' || in[j] == '\t' || in[j] == '\r') {
					j++
				}
				if j < len(in) && in[j] == '\n' {
					end = j + 1
				}
				emit(end, piece{Kind: Command, Text: string(sandboxLine), Line: lineAt(at), Offset: int64(at)})
				i = end
				lineStart = in[end-1] == '\n'
				continue
			}
		}
		if bytes.HasPrefix(in[i:], []byte(delim)) {
			stmt(i, i+len(delim), delim, "")
			i = start
			lineStart = false
			continue
		}
		switch {
		case c == '\'' || c == '"' || c == '`':
			if textStart < 0 {
				textStart = i
			}
			lineStart = false
			j := i + 1
			for {
				if j >= len(in) {
					stmt(len(in), len(in), "", string(c))
					return out
				}
				if in[j] == '\\' && c != '`' {
					j += 2
					continue
				}
				if in[j] == c {
					break
				}
				j++
			}
			i = j + 1
		case c == '#' || c == '-' && i+1 < len(in) && in[i+1] == '-' && (i+2 >= len(in) || in[i+2] <= ' '):
			j := bytes.IndexByte(in[i:], '\n')
			if j < 0 {
				i = len(in)
				continue
			}
			i += j + 1
			lineStart = true
		case c == '/' && i+1 < len(in) && in[i+1] == '*' && (i+2 < len(in) && in[i+2] == '!' || i+3 < len(in) && in[i+2] == 'M' && in[i+3] == '!'):
			if textStart < 0 {
				textStart = i
			}
			lineStart = false
			i += 2
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			j := bytes.Index(in[i+2:], []byte("*/"))
			if j < 0 {
				stmt(len(in), len(in), "", "/*")
				return out
			}
			i += 2 + j + 2
			lineStart = false
		default:
			if textStart < 0 {
				textStart = i
			}
			lineStart = false
			i++
		}
	}
	if start < len(in) {
		if textStart < 0 {
			emit(len(in), piece{Kind: Empty, Line: line, Offset: int64(start)})
		} else {
			stmt(len(in), len(in), "", "")
		}
	}
	return out
}

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string // Text of statements, in order ("D:x" for a delimiter command)
	}{
		{"simple", "SELECT 1;SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"no final delimiter", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1", "SELECT 2"}},
		{"single quote delimiter", "INSERT INTO t VALUES ('a;b');", []string{"INSERT INTO t VALUES ('a;b')"}},
		{"backslash quote", `INSERT INTO t VALUES ('it\'s;', "\";");SELECT 2;`, []string{`INSERT INTO t VALUES ('it\'s;', "\";")`, "SELECT 2"}},
		{"doubled quote", "SELECT 'it''s;';SELECT \"a\"\";\";", []string{"SELECT 'it''s;'", "SELECT \"a\"\";\""}},
		{"backtick no escape", "SELECT `a\\`;SELECT `b``;`;", []string{"SELECT `a\\`", "SELECT `b``;`"}},
		{"backslash backslash", `SELECT 'a\\';SELECT 2;`, []string{`SELECT 'a\\'`, "SELECT 2"}},
		{"dash comment", "SELECT 1 -- x;y\n;SELECT 2;", []string{"SELECT 1 -- x;y", "SELECT 2"}},
		{"dash not comment", "SELECT 1--1;", []string{"SELECT 1--1"}},
		{"hash comment", "# a;b\nSELECT 1; # c;d\nSELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"block comment", "/* a;b */SELECT /* ; */ 1;", []string{"SELECT /* ; */ 1"}},
		{"quote in comment", "-- it's\nSELECT 1; /* \" */ SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"executable comment", "/*!40101 SET NAMES utf8mb4 */;\n/*M!100616 SET a=1 */;", []string{"/*!40101 SET NAMES utf8mb4 */", "/*M!100616 SET a=1 */"}},
		{"executable comment splits", "/*!50003 CREATE PROCEDURE p() BEGIN SELECT 1; END */;", []string{"/*!50003 CREATE PROCEDURE p() BEGIN SELECT 1", "END */"}},
		{"delimiter", "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END;;\nDELIMITER ;\nSELECT 2;",
			[]string{"D:;;", "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END", "D:;", "SELECT 2"}},
		{"delimiter lowercase $$", "delimiter $$\nSELECT 1$$ SELECT 2 $$\ndelimiter ;\n", []string{"D:$$", "SELECT 1", "SELECT 2", "D:;"}},
		{"delimiter slashes", "DELIMITER //\nSELECT 1 / 2//\nSELECT /* c */ 3//\nDELIMITER ;\n", []string{"D://", "SELECT 1 / 2", "SELECT /* c */ 3", "D:;"}},
		{"delimiter word in statement", "SELECT 1,\ndelimiter ;\nSELECT 2;", []string{"SELECT 1,\ndelimiter", "SELECT 2"}},
		{"crlf", "SELECT 1;\r\nDELIMITER ;;\r\nSELECT 2;;\r\nDELIMITER ;\r\nSELECT 3;\r\n", []string{"SELECT 1", "D:;;", "SELECT 2", "D:;", "SELECT 3"}},
		{"binary", "INSERT INTO t VALUES ('\x00\xff\\'\x1a;\n');", []string{"INSERT INTO t VALUES ('\x00\xff\\'\x1a;\n')"}},
		{"empty statements", ";;SELECT 1;;", []string{"SELECT 1"}},
		{"sandbox", "/*M!999999\\- enable the sandbox mode */\n-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\n", []string{"C", "/*!40101 SET NAMES utf8mb4 */"}},
		{"comments only", "-- hello\n/* x */\n# y", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, chunk := range []int{16, 1 << 20} {
				got := split(t, []byte(tc.in), WithBufferSize(chunk))
				var texts []string
				var joined strings.Builder
				for _, p := range got {
					joined.WriteString(p.Raw)
					switch p.Kind {
					case Statement:
						texts = append(texts, p.Text)
					case Delimiter:
						texts = append(texts, "D:"+p.Text)
					case Command:
						texts = append(texts, "C")
					}
				}
				if joined.String() != tc.in {
					t.Errorf("chunk %d: joined pieces differ from input:\n got %q\nwant %q", chunk, joined.String(), tc.in)
				}
				if strings.Join(texts, "\x00") != strings.Join(tc.want, "\x00") {
					t.Errorf("chunk %d: statements\n got %q\nwant %q", chunk, texts, tc.want)
				}
				if ref := refSplit([]byte(tc.in)); fmt.Sprint(ref) != fmt.Sprint(got) {
					t.Errorf("chunk %d: differs from the reference:\n got %v\nwant %v", chunk, got, ref)
				}
			}
		})
	}
}

func TestPositions(t *testing.T) {
	t.Parallel()
	in := "-- header\n\nSELECT 1;\n  INSERT INTO t\nVALUES ('a\nb');\nDELIMITER ;;\nSELECT 3;;"
	got := split(t, []byte(in))
	want := []struct {
		line int
		text string
	}{{3, "SELECT 1"}, {4, "INSERT INTO t\nVALUES ('a\nb')"}, {7, ";;"}, {8, "SELECT 3"}}
	if len(got) != len(want) {
		t.Fatalf("got %d pieces, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		at := in[got[i].Offset:]
		if got[i].Kind == Delimiter {
			at = strings.TrimPrefix(at, "DELIMITER ")
		}
		if got[i].Line != w.line || got[i].Text != w.text || !strings.HasPrefix(at, w.text) {
			t.Errorf("piece %d: line %d offset %d text %q; want line %d text %q", i, got[i].Line, got[i].Offset, got[i].Text, w.line, w.text)
		}
	}
}

func TestUnterminated(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, kind string }{
		{"SELECT 1; SELECT 'abc", "'"},
		{"SELECT 1; SELECT \"ab\\\"", "\""},
		{"SELECT `a", "`"},
		{"SELECT 1 /* x", "/*"},
		{"SELECT 1", ""},
	}
	for _, tc := range tests {
		got := split(t, []byte(tc.in), WithBufferSize(16))
		last := got[len(got)-1]
		if last.Unterminated != tc.kind || last.Delim != "" {
			t.Errorf("%q: last piece %v, want unterminated %q", tc.in, last, tc.kind)
		}
	}
}

func TestMaxStatement(t *testing.T) {
	t.Parallel()
	in := "SELECT '" + strings.Repeat("x", 1000) + "';"
	s := NewScanner(strings.NewReader(in), WithMaxStatement(100), WithBufferSize(64))
	for s.Scan() {
	}
	if !errors.Is(s.Err(), ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", s.Err())
	}
}

func TestReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	s := NewScanner(io.MultiReader(strings.NewReader("SELECT 1; SELECT 2"), iotest.ErrReader(boom)))
	var n int
	for s.Scan() {
		n++
	}
	if !errors.Is(s.Err(), boom) || n != 1 {
		t.Fatalf("pieces %d, err %v; want 1 piece and boom", n, s.Err())
	}
}

func TestNoBackslashEscapes(t *testing.T) {
	t.Parallel()
	in := `SELECT 'a\';SELECT 2;`
	s := NewScanner(strings.NewReader(in))
	s.SetNoBackslashEscapes(true)
	var texts []string
	for s.Scan() {
		texts = append(texts, string(s.Piece().Text))
	}
	if len(texts) != 2 || texts[0] != `SELECT 'a\'` {
		t.Fatalf("got %q", texts)
	}
	s = NewScanner(strings.NewReader(`SELECT "a\";SELECT 2;`))
	s.SetANSIQuotes(true)
	texts = nil
	for s.Scan() {
		texts = append(texts, string(s.Piece().Text))
	}
	if len(texts) != 2 {
		t.Fatalf("ANSI_QUOTES: got %q", texts)
	}
}

func TestLargeStatement(t *testing.T) {
	if testing.Short() {
		t.Skip("large statement: -short")
	}
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("INSERT INTO t VALUES ('")
	for b.Len() < 64<<20 {
		b.WriteString(`abc\'def;ghi\\`)
	}
	b.WriteString("');\nSELECT 1;")
	got := split(t, b.Bytes())
	if len(got) != 2 || len(got[0].Text) != b.Len()-len(";\nSELECT 1;") {
		t.Fatalf("got %d pieces", len(got))
	}
}

// quoteLit writes s as a literal in quote q, escaped the way dump tools do:
// backslash escapes for ' and ", doubling for `.
func quoteLit(q byte, s []byte) []byte {
	out := []byte{q}
	for _, c := range s {
		switch {
		case q == '`' && c == '`':
			out = append(out, '`', '`')
		case q != '`' && (c == q || c == '\\'):
			out = append(out, '\\', c)
		default:
			out = append(out, c)
		}
	}
	return append(out, q)
}

func BenchmarkScan(b *testing.B) {
	var in bytes.Buffer
	for in.Len() < 64<<20 {
		in.WriteString("INSERT INTO `t` VALUES ")
		for i := 0; i < 1000; i++ {
			if i > 0 {
				in.WriteByte(',')
			}
			fmt.Fprintf(&in, "(%d,'name %d with \\'quote\\'',%d.%02d,NULL,'2024-01-01 00:00:00')", i, i, i, i%100)
		}
		in.WriteString(";\n")
	}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		s := NewScanner(bytes.NewReader(in.Bytes()))
		for s.Scan() {
		}
	}
}
