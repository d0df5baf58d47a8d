package sqlsplit

import (
	"bytes"
	"fmt"
	"testing"
)

// FuzzSplit checks, on any input, that the pieces joined give the input
// back, that small and large read buffers split alike, and that the
// Scanner agrees with the simple reference splitter.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"SELECT 1;SELECT 2;",
		"INSERT INTO t VALUES ('a;b\\'c', \"d;\\\"\", `e;``f`);",
		"-- c;\n# d;\n/* e; */ SELECT 1;",
		"/*!40101 SET NAMES utf8mb4 */;\n/*M!100616 SET a=1 */;",
		"DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\nSELECT 2;",
		"delimiter //\r\nSELECT 1//\r\ndelimiter ;\r\n",
		"SELECT 1--1;SELECT 2 --\n;",
		"/*M!999999\\- enable the sandbox mode */\nSELECT 1;",
		"SELECT 'unterminated",
		"SELECT 1 /* unterminated",
		"INSERT INTO t VALUES (0x00FF, '\x00\xff\x1a\\\\');",
		// short strings one after another, as in extended INSERTs: the
		// plain-byte fast path skips those its buffer closes, and 16-byte
		// buffers split some of them
		"INSERT INTO t VALUES (1,'a;b','x\\'y'),(2,\"c;\\\"\",`d;`),(3,'',''''),(4,'e\\\\');SELECT ';'",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		small := split(t, in, WithBufferSize(16))
		large := split(t, in)
		var joined bytes.Buffer
		for _, p := range small {
			joined.WriteString(p.Raw)
		}
		if !bytes.Equal(joined.Bytes(), in) {
			t.Fatalf("joined pieces differ from input:\n got %q\nwant %q", joined.Bytes(), in)
		}
		if fmt.Sprint(small) != fmt.Sprint(large) {
			t.Fatalf("buffer sizes split differently:\n16: %v\n1M: %v", small, large)
		}
		if ref := refSplit(in); fmt.Sprint(ref) != fmt.Sprint(small) {
			t.Fatalf("differs from the reference:\n got %v\nwant %v", small, ref)
		}
		for i, p := range small {
			if p.Kind == Statement && p.Unterminated == "" && int(p.Offset)+len(p.Text) > len(in) {
				t.Fatalf("piece %d: offset %d out of range", i, p.Offset)
			}
		}
	})
}

// FuzzLiterals embeds arbitrary bytes in literals of all three
// quotes, escaped as dump tools escape them, and checks that no statement
// boundary falls inside them, with either delimiter.
func FuzzLiterals(f *testing.F) {
	for _, s := range []string{"", ";", "'", "\"", "`", "\\", "a';b", "\x00\xff", "-- x\n", "/*", "*/", "DELIMITER ;;\n", ";;", "\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, delim := range []string{";", ";;", "$$"} {
			stmt := "INSERT INTO `t` VALUES (" + string(quoteLit('\'', data)) + "," + string(quoteLit('"', data)) + ")," +
				"(/*!50000 " + string(quoteLit('\'', data)) + " */, -- " + string(bytes.ReplaceAll(data, []byte("\n"), nil)) + "\n" + string(quoteLit('`', data)) + ")"
			in := "DELIMITER " + delim + "\n" + stmt + delim + "\nSELECT 2" + delim + "\n"
			got := split(t, []byte(in), WithBufferSize(16))
			var stmts []piece
			for _, p := range got {
				if p.Kind == Statement {
					stmts = append(stmts, p)
				}
			}
			if len(stmts) != 2 || stmts[0].Text != stmt || stmts[1].Text != "SELECT 2" {
				t.Fatalf("delimiter %q: got %v\nwant the statement %q and SELECT 2", delim, stmts, stmt)
			}
		}
	})
}
