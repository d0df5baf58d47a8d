package dump

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// The LOAD DATA fast path. The server spends most of a narrow table's
// restore parsing multi-row INSERTs; LOAD DATA LOCAL INFILE of the same
// rows as tab-separated text costs it less. A worker converts a plain
// "INSERT INTO t [(cols)] VALUES (...),(...)" whose values are all plain
// literals (numbers, quoted strings, NULL) into that text on the fly and
// sends it from memory (mysql.RegisterReaderHandler); anything else runs
// as the INSERT it is.
//
// LOAD DATA LOCAL turns errors into warnings (IGNORE): a duplicate key
// skips the row, a value too long is cut. So each load runs in a
// transaction that is committed only when the server inserted every row
// sent without a warning; otherwise it is rolled back and the INSERT runs
// instead, and fails, or warns, exactly as it would have. Only the loader
// issues LOAD DATA: the guard still refuses it in a dump.

// ldCharsets are the connection character sets whose text the fast path
// sends as is: ASCII-compatible, so no byte of a multi-byte character is
// a backslash, tab or newline.
var ldCharsets = map[string]bool{"utf8mb4": true, "utf8mb3": true, "utf8": true, "latin1": true, "ascii": true}

// ldNumeric are the column types a number literal is loaded into as text
// with the same result as the INSERT: the server converts both with the
// same routine (a number into YEAR, a date, ENUM or SET means something
// else as text, so those take quoted strings only).
var ldNumeric = map[string]bool{
	"tinyint": true, "smallint": true, "mediumint": true, "int": true, "bigint": true,
	"decimal": true, "float": true, "double": true,
}

// ldText are the other column types whose quoted strings load as text
// with the INSERT's result. Binary strings, BLOBs, BIT and spatial
// columns are not among them: their tables take the INSERT.
var ldText = map[string]bool{
	"char": true, "varchar": true, "tinytext": true, "text": true, "mediumtext": true, "longtext": true,
	"enum": true, "set": true, "date": true, "datetime": true, "timestamp": true, "time": true, "year": true,
}

// ldTable is what the fast path knows of one table this restore created:
// its columns, read from the server before its first load.
type ldTable struct {
	once  sync.Once
	cols  []ldCol
	byKey map[string]int // lower-cased column name → index in cols
	why   string         // why its rows take the INSERT ("": they need not)
	// off is set when a load of it fell back on warnings or a row count:
	// its later INSERTs run as they are.
	off atomic.Bool
	// noted: a statement of it was not plain literals (logged once).
	noted atomic.Bool
	// started: a segment of it has begun (segment.go).
	started atomic.Bool
}

type ldCol struct {
	name string
	num  bool // takes number literals
}

// ldItem marks a data statement a worker may load through LOAD DATA.
type ldItem struct {
	tab     *ldTable
	charset string // the connection character set it was read under
	ansi    bool   // and whether sql_mode had ANSI_QUOTES
}

// ldSeq numbers the reader handlers, which are global to the driver.
var ldSeq atomic.Uint64

// ldBufs are the buffers of the converted text.
var ldBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// prepare reads table's columns on conn, once, and decides whether its
// rows may take the fast path.
func (t *ldTable) prepare(ctx context.Context, conn *sql.Conn, table string) bool {
	t.once.Do(func() {
		t.why = t.read(ctx, conn, table)
	})
	return t.why == ""
}

// read fills t.cols; it returns why the table's rows take the INSERT.
func (t *ldTable) read(ctx context.Context, conn *sql.Conn, table string) string {
	var engine, kind sql.NullString
	err := conn.QueryRowContext(ctx, "SELECT ENGINE, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table).Scan(&engine, &kind)
	switch {
	case err != nil:
		return "its engine could not be read: " + err.Error()
	case !strings.EqualFold(engine.String, "InnoDB"):
		return "engine " + engine.String + " is not transactional"
	case kind.String != "BASE TABLE":
		return "it is a " + kind.String
	}
	rows, err := conn.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE, IS_GENERATED, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", table)
	if err != nil {
		return "its columns could not be read: " + err.Error()
	}
	defer rows.Close()
	t.byKey = map[string]int{}
	for rows.Next() {
		var name, typ, gen, extra string
		if err := rows.Scan(&name, &typ, &gen, &extra); err != nil {
			return "its columns could not be read: " + err.Error()
		}
		typ = strings.ToLower(typ)
		switch {
		case gen != "NEVER" || strings.Contains(strings.ToUpper(extra), "INVISIBLE"):
			return "column " + name + " is generated or invisible"
		case !ldNumeric[typ] && !ldText[typ]:
			return "column " + name + " is " + typ
		}
		t.byKey[strings.ToLower(name)] = len(t.cols)
		t.cols = append(t.cols, ldCol{name: name, num: ldNumeric[typ]})
	}
	if err := rows.Err(); err != nil {
		return "its columns could not be read: " + err.Error()
	}
	if len(t.cols) == 0 {
		return "it has no columns"
	}
	return ""
}

// ldConvert is one INSERT turned into LOAD DATA text.
type ldConvert struct {
	cols []string // the columns the values go to, quoted
	rows int64
}

// convert writes the rows of text, a plain INSERT INTO ... VALUES, to out
// as LOAD DATA's tab-separated text (\N for NULL; backslash, tab, newline
// and NUL escaped). ok is false for any other statement, or a value that
// is not a plain literal of its column's kind.
func (t *ldTable) convert(text string, d sqltext.Dialect, out *bytes.Buffer) (ldConvert, bool) {
	lx := sqltext.NewLexer(text, d)
	var c ldConvert
	for _, kw := range []string{"INSERT", "INTO"} {
		if tok, ok := lx.Next(); !ok || !tok.Is(kw) {
			return c, false
		}
	}
	tok, ok := t.skipName(lx)
	if !ok {
		return c, false
	}
	cols := t.cols
	if tok.IsPunct('(') {
		if cols, tok, ok = t.columnList(lx); !ok {
			return c, false
		}
	}
	if !tok.Is("VALUES") {
		return c, false
	}
	for _, col := range cols {
		c.cols = append(c.cols, quoteIdent(col.name))
	}
	mark := out.Len()
	if c.rows, ok = fastRows(text[tok.End:], cols, out); ok {
		return c, true
	}
	out.Truncate(mark)
	c.rows, ok = lexRows(lx, cols, out)
	return c, ok
}

// lexRows converts the VALUES list that follows on lx, token by token.
func lexRows(lx *sqltext.Lexer, cols []ldCol, out *bytes.Buffer) (int64, bool) {
	var rows int64
	for {
		if tok, ok := lx.Next(); !ok || !tok.IsPunct('(') {
			return 0, false
		}
		if !tupleTSV(lx, cols, out) {
			return 0, false
		}
		rows++
		tok, ok := lx.Next()
		if !ok || tok.IsPunct(';') {
			_, more := lx.Next()
			return rows, !more
		}
		if !tok.IsPunct(',') {
			return 0, false
		}
	}
}

// skipName reads the table name (maybe qualified) and returns the token
// after it.
func (t *ldTable) skipName(lx *sqltext.Lexer) (sqltext.Token, bool) {
	for {
		tok, ok := lx.Next()
		if !ok {
			return tok, false
		}
		if _, ok := tok.Name(); !ok || tok.Kind == sqltext.Word && (tok.Is("VALUES") || tok.Is("VALUE")) {
			return tok, false
		}
		if tok, ok = lx.Next(); !ok || !tok.IsPunct('.') {
			return tok, ok
		}
	}
}

// columnList reads "a, b)" after the "(" of an INSERT's column list; each
// must be a column of t, named once.
func (t *ldTable) columnList(lx *sqltext.Lexer) ([]ldCol, sqltext.Token, bool) {
	var cols []ldCol
	seen := map[int]bool{}
	for {
		tok, ok := lx.Next()
		if !ok {
			return nil, tok, false
		}
		name, ok := tok.Name()
		i, known := t.byKey[strings.ToLower(name)]
		if !ok || !known || seen[i] {
			return nil, tok, false
		}
		seen[i] = true
		cols = append(cols, t.cols[i])
		if tok, ok = lx.Next(); !ok || !tok.IsPunct(',') && !tok.IsPunct(')') {
			return nil, tok, false
		}
		if tok.IsPunct(')') {
			tok, ok = lx.Next()
			return cols, tok, ok
		}
	}
}

// tupleTSV writes the values of one "(v, v, ...)" (its "(" read) as a
// line of out.
func tupleTSV(lx *sqltext.Lexer, cols []ldCol, out *bytes.Buffer) bool {
	for i, col := range cols {
		tok, ok := lx.Next()
		if !ok {
			return false
		}
		if i > 0 {
			out.WriteByte('\t')
		}
		switch {
		case tok.Kind == sqltext.String:
			writeTSV(out, tok.Val)
		case tok.Kind == sqltext.Word && tok.Is("NULL"):
			out.WriteString(`\N`)
		case tok.Kind == sqltext.Number && col.num && plainNumber(tok.Raw):
			out.WriteString(tok.Raw)
		case tok.IsPunct('-') && col.num:
			if tok, ok = lx.Next(); !ok || tok.Kind != sqltext.Number || !plainNumber(tok.Raw) {
				return false
			}
			out.WriteByte('-')
			out.WriteString(tok.Raw)
		default:
			return false
		}
		want := byte(',')
		if i == len(cols)-1 {
			want = ')'
		}
		if tok, ok = lx.Next(); !ok || !tok.IsPunct(want) {
			return false
		}
	}
	out.WriteByte('\n')
	return true
}

// fastRows converts the VALUES list s (the text after VALUES) of the
// commonest dump: numbers, NULL and single-quoted strings without escapes,
// separated by commas and white space. It reads bytes, not tokens, and
// gives up (ok false) at anything else: a comment, an escape, a doubled
// quote, a string prefix, a hex or bit literal. The caller then reads the
// list with the lexer, which decides. Where it succeeds it writes what
// the lexer's reading writes (FuzzFastRows checks it).
func fastRows(s string, cols []ldCol, out *bytes.Buffer) (rows int64, ok bool) {
	dst := out.AvailableBuffer()
	i := 0
	for {
		if i = skipSpace(s, i); i >= len(s) || s[i] != '(' {
			return 0, false
		}
		i++
		for k, col := range cols {
			if k > 0 {
				dst = append(dst, '\t')
			}
			if i, dst, ok = fastValue(s, skipSpace(s, i), col, dst); !ok {
				return 0, false
			}
			want := byte(',')
			if k == len(cols)-1 {
				want = ')'
			}
			if i = skipSpace(s, i); i >= len(s) || s[i] != want {
				return 0, false
			}
			i++
		}
		dst = append(dst, '\n')
		rows++
		switch i = skipSpace(s, i); {
		case i == len(s):
		case s[i] == ';' && skipSpace(s, i+1) == len(s):
		case s[i] == ',':
			i++
			continue
		default:
			return 0, false
		}
		out.Write(dst)
		return rows, true
	}
}

// fastValue appends the plain literal at s[i] for col to dst and returns
// the index after it; ok is false for anything fastRows leaves to the
// lexer.
func fastValue(s string, i int, col ldCol, dst []byte) (int, []byte, bool) {
	if i >= len(s) {
		return i, dst, false
	}
	switch c := s[i]; {
	case c == '\'':
		j, plain := i+1, true
		for ; j < len(s); j++ {
			if c := s[j]; c == '\'' || c == '\\' {
				break
			} else if c <= '\n' { // NUL, tab or newline (and other controls): escape
				plain = false
			}
		}
		if j >= len(s) || s[j] != '\'' || j+1 < len(s) && s[j+1] == '\'' {
			return i, dst, false
		}
		if plain {
			return j + 1, append(dst, s[i+1:j]...), true
		}
		return j + 1, appendTSV(dst, s[i+1:j]), true
	case c == 'N' || c == 'n':
		if len(s)-i < 4 || !strings.EqualFold(s[i:i+4], "NULL") || i+4 < len(s) && sqltext.IsWordByte(s[i+4]) {
			return i, dst, false
		}
		return i + 4, append(dst, `\N`...), true
	case col.num && (c == '-' || c >= '0' && c <= '9'):
		j := i
		if c == '-' {
			j++
		}
		k := j
		for k < len(s) && (s[k] >= '0' && s[k] <= '9' || s[k] == '.') {
			k++
		}
		if !plainNumber(s[j:k]) || k < len(s) && sqltext.IsWordByte(s[k]) {
			return i, dst, false
		}
		return k, append(dst, s[i:k]...), true
	}
	return i, dst, false
}

// skipSpace returns the index of the first byte at or after i that is not
// white space.
func skipSpace(s string, i int) int {
	for i < len(s) && sqltext.IsSpace(s[i]) {
		i++
	}
	return i
}

// plainNumber reports whether s is digits with at most one decimal point:
// no exponent, hex or bit literal.
func plainNumber(s string) bool {
	dot, digits := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits
}

// writeTSV writes a string value with LOAD DATA's escapes.
func writeTSV(out *bytes.Buffer, s string) {
	out.Write(appendTSV(out.AvailableBuffer(), s))
}

// appendTSV appends a string value with LOAD DATA's escapes to dst.
func appendTSV(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var e byte
		switch s[i] {
		case '\\':
			e = '\\'
		case '\t':
			e = 't'
		case '\n':
			e = 'n'
		case 0:
			e = '0'
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, '\\', e)
		last = i + 1
	}
	return append(dst, s[last:]...)
}

// loadData tries the fast path for it on conn: it returns the rows loaded
// and true when the statement's rows are in, committed; false when the
// INSERT must run instead (nothing of it was kept). An error is a
// transaction that could not be ended: the connection's state is unknown.
func (l *loader) loadData(conn *sql.Conn, it *item) (int64, bool, error) {
	ld := it.ld
	if ld == nil || l.noLocal.Load() || ld.tab.off.Load() || !ld.tab.prepare(l.ctx, conn, it.table) {
		return 0, false, nil
	}
	if l.maxPacket > 0 && int64(len(it.text)) >= l.maxPacket {
		return 0, false, nil // the INSERT fails as it would without the fast path
	}
	buf := ldBufs.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); ldBufs.Put(buf) }()
	buf.Grow(len(it.text))
	d := sqltext.Dialect{Version: max(l.version, 1), MySQL: !l.mariadb, ANSIQuotes: ld.ansi}
	cv, ok := ld.tab.convert(it.text, d, buf)
	if !ok {
		if !ld.tab.noted.Swap(true) {
			l.debug("ran an INSERT as it is: not plain literals the fast path loads (logged once a table)", "statement", it.num, "line", it.line, "table", it.table)
		}
		return 0, false, nil
	}
	n, err := l.loadTx(conn, it, cv, buf.Bytes())
	var end *txnEndError
	switch {
	case errors.As(err, &end):
		return 0, false, stmtErr(it, err)
	case err != nil:
		l.ldFallback(it, err)
		return 0, false, nil
	}
	return n, true, nil
}

// txnEndError is a ROLLBACK or COMMIT of a load that failed.
type txnEndError struct {
	what string
	err  error
}

func (e *txnEndError) Error() string {
	return fmt.Sprintf("%s of its LOAD DATA (WithLoadData(false) loads without it): %v", e.what, e.err)
}

func (e *txnEndError) Unwrap() error { return e.err }

// errLoadMismatch is a load the server did not take whole and clean.
var errLoadMismatch = errors.New("LOAD DATA did not insert every row without a warning")

// loadTx runs one LOAD DATA in a transaction, committed only when every
// row went in without a warning.
func (l *loader) loadTx(conn *sql.Conn, it *item, cv ldConvert, data []byte) (int64, error) {
	name := "migtest-" + strconv.FormatUint(ldSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(data) })
	defer mysql.DeregisterReaderHandler(name)
	if _, err := conn.ExecContext(l.ctx, "BEGIN"); err != nil {
		return 0, err
	}
	n, err := l.loadRows(conn, ldQuery(name, it.table, it.ld.charset, strings.Join(cv.cols, ",")), func() int64 { return cv.rows })
	if err != nil {
		if _, rerr := conn.ExecContext(l.ctx, "ROLLBACK"); rerr != nil {
			return 0, &txnEndError{"ROLLBACK", errors.Join(err, rerr)}
		}
		return 0, err
	}
	if _, err := conn.ExecContext(l.ctx, "COMMIT"); err != nil {
		return 0, &txnEndError{"COMMIT", err}
	}
	return n, nil
}

// ldQuery is the LOAD DATA of the text the reader handler name sends
// into table's columns cols (quoted, comma-separated).
func ldQuery(name, table, charset, cols string) string {
	return "LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE " + quoteIdent(table) + " CHARACTER SET " + charset +
		" FIELDS TERMINATED BY '\t' ENCLOSED BY '' ESCAPED BY '\\\\' LINES TERMINATED BY '\n' STARTING BY '' (" + cols + ")"
}

// loadRows runs the LOAD DATA q and checks that it inserted the rows
// wanted (known once it has run) without a warning.
func (l *loader) loadRows(conn *sql.Conn, q string, wanted func() int64) (int64, error) {
	res, err := conn.ExecContext(l.ctx, q)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	want := wanted()
	var warnings int64
	if err := conn.QueryRowContext(l.ctx, "SELECT @@warning_count").Scan(&warnings); err != nil {
		return 0, err
	}
	if n != want || warnings != 0 {
		var level, msg string
		var code int
		if warnings > 0 {
			_ = conn.QueryRowContext(l.ctx, "SHOW WARNINGS LIMIT 1").Scan(&level, &code, &msg)
		}
		return 0, fmt.Errorf("%w: %d of %d rows, %d warnings (%s)", errLoadMismatch, n, want, warnings, msg)
	}
	return n, nil
}

// ldFallback records why a load fell back to the INSERT: a server that
// refuses LOCAL loads turns the fast path off for the restore, a load
// with warnings or missing rows turns it off for the table.
func (l *loader) ldFallback(it *item, err error) {
	var me *mysql.MySQLError
	switch {
	case errors.Is(err, errLoadMismatch):
		it.ld.tab.off.Store(true)
		l.debug("ran an INSERT as it is: its LOAD DATA was not clean, so the INSERT decides (the table's later INSERTs run as they are)", "statement", it.num, "line", it.line, "table", it.table, "why", err)
	case errors.As(err, &me) && (me.Number == 1148 || me.Number == 3948 || me.Number == 4166):
		l.noLocal.Store(true)
		l.debug("the server refuses LOAD DATA LOCAL (local_infile=OFF): every INSERT runs as it is", "why", err)
	default:
		it.ld.tab.off.Store(true)
		l.debug("ran an INSERT as it is: its LOAD DATA failed (the table's later INSERTs run as they are)", "statement", it.num, "line", it.line, "table", it.table, "why", err)
	}
}

// ldFor returns the fast path's mark for a data statement on ts queued
// for a worker now, or nil when its rows take the INSERT.
func (l *loader) ldFor(ts *tableState) *ldItem {
	if ts == nil || ts.ld == nil || l.ldCharset == "" || l.noLocal.Load() || l.sequential() {
		return nil
	}
	return &ldItem{tab: ts.ld, charset: l.ldCharset, ansi: l.ansi}
}

// spooledLD finds the ldTable of an item read back from the spool, which
// keeps only its table's name: the table's current one, if the item came
// after that table's CREATE TABLE; else its rows take the INSERT.
func (l *loader) spooledLD(it *item) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ts := l.tableMap[it.table]; ts != nil && ts.ld != nil && ts.from.num < it.num {
		it.ld.tab = ts.ld
		return
	}
	it.ld = nil
}

// checkLocalInfile turns the fast path off for a server with
// local_infile=OFF, or when WithLoadData(false) asked.
func (l *loader) checkLocalInfile() {
	if !l.cfg.loadData || l.sequential() {
		l.noLocal.Store(true)
		return
	}
	var on int
	if err := l.ctrl.QueryRowContext(l.ctx, "SELECT @@GLOBAL.local_infile, @@max_allowed_packet").Scan(&on, &l.maxPacket); err != nil || on == 0 {
		l.noLocal.Store(true)
		l.debug("the server does not take LOAD DATA LOCAL (local_infile=OFF): every INSERT runs as it is", "err", err)
	}
}
