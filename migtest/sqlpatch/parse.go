package sqlpatch

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/migtest/migtest/migtest/dump/sqlsplit"
)

// split returns the statements of a script as the mariadb client reads it
// (DELIMITER blocks included); line is the script's first line in its
// file, for messages.
func split(b []byte, line int) ([]string, error) {
	sc := sqlsplit.NewScanner(bytes.NewReader(b))
	var out []string
	for sc.Scan() {
		p := sc.Piece()
		if p.Unterminated != "" {
			return nil, fmt.Errorf("line %d: unterminated %s: the file is cut short", line+p.OpenLine-1, p.Unterminated)
		}
		if p.Kind == sqlsplit.Statement {
			out = append(out, string(p.Text))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line, err)
	}
	return out, nil
}

// compound matches the start of a stored program, which holds semicolons
// of its own and is sent as one statement.
var compound = regexp.MustCompile(`(?is)^\s*CREATE\s+(OR\s+REPLACE\s+)?(DEFINER\s*=\s*\S+\s+)?(AGGREGATE\s+)?(PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE)\b`)

// gooseSection is where parseGoose is.
type gooseSection int

const (
	gooseNone gooseSection = iota
	gooseUp
	gooseDown
)

// parseGoose returns the up statements of a goose SQL migration and whether
// it says "-- +goose NO TRANSACTION", following goose's rules
// (internal/sqlparser): annotations are "-- +goose X" lines (case does not
// matter) at the start of a line; the Up section must come first and once;
// a StatementBegin/StatementEnd block is one statement for goose. Outside
// blocks, and inside a block that is not a stored program (goose's MySQL
// tests put two CREATE TABLEs in one block, which goose sends in one
// multi-statement call), statements are split as the mariadb client splits
// them. ENVSUB is refused: migtest does not substitute variables.
func parseGoose(b []byte) ([]string, bool, error) {
	var stmts []string
	var buf strings.Builder
	section, inBlock, noTx := gooseNone, false, false
	bufLine, blockLine := 0, 0
	flush := func() error {
		text := buf.String()
		buf.Reset()
		if section != gooseUp || strings.TrimSpace(text) == "" {
			return nil
		}
		if body := skipComments(text); inBlock && compound.MatchString(body) {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(body), ";"))
			return nil
		}
		s, err := split([]byte(text), bufLine)
		stmts = append(stmts, s...)
		return err
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	for i, line := range lines {
		n := i + 1
		ann, isAnn, err := gooseAnnotation(line)
		if err != nil {
			return nil, false, fmt.Errorf("line %d: %w", n, err)
		}
		if !isAnn {
			if buf.Len() == 0 {
				bufLine = n
			}
			buf.WriteString(line + "\n")
			continue
		}
		switch ann {
		case "up":
			if section != gooseNone {
				return nil, false, fmt.Errorf("line %d: a second '-- +goose Up'", n)
			}
			buf.Reset()
			section = gooseUp
		case "down":
			if section != gooseUp || inBlock {
				return nil, false, fmt.Errorf("line %d: '-- +goose Down' must follow the Up section, outside a StatementBegin block", n)
			}
			if err := flush(); err != nil {
				return nil, false, err
			}
			section = gooseDown
		case "statementbegin":
			if section == gooseNone || inBlock {
				return nil, false, fmt.Errorf("line %d: '-- +goose StatementBegin' must be in the Up or Down section, outside another block", n)
			}
			if err := flush(); err != nil {
				return nil, false, err
			}
			inBlock, blockLine = true, n
		case "statementend":
			if !inBlock {
				return nil, false, fmt.Errorf("line %d: '-- +goose StatementEnd' without StatementBegin", n)
			}
			if err := flush(); err != nil {
				return nil, false, err
			}
			inBlock = false
		case "no transaction":
			noTx = true
		case "envsub on", "envsub off":
			return nil, false, fmt.Errorf("line %d: '-- +goose ENVSUB' is not supported: migtest runs the SQL as written; put the values in the file", n)
		}
	}
	switch {
	case section == gooseNone:
		return nil, false, fmt.Errorf("no '-- +goose Up' annotation: is this a goose migration?")
	case inBlock:
		return nil, false, fmt.Errorf("line %d: '-- +goose StatementBegin' without StatementEnd", blockLine)
	}
	if err := flush(); err != nil {
		return nil, false, err
	}
	return stmts, noTx, nil
}

// gooseAnnotation reads a "-- +goose X" line, as goose's extractAnnotation:
// the annotation in lower case, and whether the line is one.
func gooseAnnotation(line string) (string, bool, error) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "--") || !strings.Contains(t, "+goose") {
		return "", false, nil
	}
	if line != strings.TrimLeft(line, " \t") {
		return "", false, fmt.Errorf("%q: a goose annotation must start the line", line)
	}
	cmd := strings.TrimSpace(strings.Replace(strings.ReplaceAll(t, "--", ""), "+goose", "", 1))
	switch c := strings.ToLower(cmd); c {
	case "up", "down", "statementbegin", "statementend", "no transaction", "envsub on", "envsub off":
		return c, true, nil
	}
	return "", false, fmt.Errorf("%q: unknown goose annotation (goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION)", cmd)
}

// skipComments drops the blank and "--" or "#" comment lines before a
// block's first statement.
func skipComments(text string) string {
	for {
		t := strings.TrimLeft(text, " \t\r\n")
		if !strings.HasPrefix(t, "--") && !strings.HasPrefix(t, "#") {
			return t
		}
		_, rest, ok := strings.Cut(t, "\n")
		if !ok {
			return ""
		}
		text = rest
	}
}
