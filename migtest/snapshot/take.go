package snapshot

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// DefaultPatchLog is the patch log table whose applied IDs Take lists.
const DefaultPatchLog = "migtest_patch_log"

// defaultExclude are the tables Take leaves out: the tool's own (patch log,
// run log and any other migtest_* table).
var defaultExclude = []string{"migtest_*"}

// Option configures Take.
type Option func(*config)

type config struct {
	rowCounts bool
	exclude   []string
	parallel  int
	patchLog  string
}

// WithoutRowCounts skips counting rows: every Table.Rows is -1.
func WithoutRowCounts() Option { return func(c *config) { c.rowCounts = false } }

// WithExclude leaves out tables, views and sequences whose names match one
// of the patterns (path.Match syntax: "tabLog*", "__*"), in addition to the
// tool's own migtest_* tables.
func WithExclude(patterns ...string) Option {
	return func(c *config) { c.exclude = append(c.exclude, patterns...) }
}

// WithParallel sets how many queries (information_schema reads and row
// counts) run at once, on as many connections (default 4).
func WithParallel(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.parallel = n
		}
	}
}

// WithPatchLog names the patch log table to read applied patch IDs from
// (default migtest_patch_log). It is left out of the tables either way
// when it matches an exclude pattern.
func WithPatchLog(table string) Option { return func(c *config) { c.patchLog = table } }

func (c *config) excluded(name string) bool {
	for _, p := range c.exclude {
		if ok, _ := path.Match(p, name); ok || p == name {
			return true
		}
	}
	return false
}

// Take inspects database (the connection's default database when empty)
// through db and returns its snapshot. It runs a few schema-wide
// information_schema queries and counts rows with COUNT(*), in parallel on
// up to WithParallel connections. The database should not change while
// Take runs: counts are not taken in one transaction.
func Take(ctx context.Context, db *sql.DB, database string, opts ...Option) (*Snapshot, error) {
	cfg := config{rowCounts: true, exclude: slices.Clone(defaultExclude), parallel: 4, patchLog: DefaultPatchLog}
	for _, o := range opts {
		o(&cfg)
	}
	var version, current sql.NullString
	var exists int
	if err := db.QueryRowContext(ctx, "SELECT VERSION(), DATABASE(), (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = COALESCE(NULLIF(?, ''), DATABASE()))", database).Scan(&version, &current, &exists); err != nil {
		return nil, fmt.Errorf("snapshot: connect: %w", err)
	}
	if database == "" {
		database = current.String
	}
	if database == "" {
		return nil, errors.New("snapshot: no database: name one, or put one in the DSN")
	}
	if exists == 0 {
		return nil, fmt.Errorf("snapshot: database %s does not exist; check the name", sqltext.QuoteIdent(database))
	}
	in := &inspector{db: db, name: database, cfg: cfg, flavor: parseFlavor(version.String)}
	in.lit, in.args = schemaLiteral(database)
	return in.take(ctx)
}

// schemaLiteral gives the database name as an inline SQL string, so that
// the information_schema queries use the text protocol (one round trip, no
// prepare); a name with a backslash, whose escaping depends on sql_mode,
// is passed as a parameter instead.
func schemaLiteral(name string) (string, []any) {
	if strings.ContainsRune(name, '\\') {
		return "?", []any{name}
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'", nil
}

type inspector struct {
	db     *sql.DB
	name   string
	lit    string
	args   []any
	cfg    config
	flavor flavor

	tables    []*Table
	byName    map[string]*Table
	estimates map[string]int64
	partioned []string
	views     []string
	sequences []string
	patchLog  bool

	// Filled by the parallel jobs, each its own field.
	columns    []rawColumn
	stats      []rawStat
	fkCols     []rawFKCol
	fkRules    map[[2]string][2]string
	checks     []rawCheck
	partitions []rawPartition
	snap       Snapshot
	params     map[[2]string][]string
}

func (in *inspector) query(ctx context.Context, what, q string, scan func(*sql.Rows) error) error {
	q = strings.ReplaceAll(q, "$DB", in.lit)
	var args []any
	for range strings.Count(q, "?") {
		args = append(args, in.args...)
	}
	rows, err := in.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("snapshot: read %s of %s: %w", what, in.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("snapshot: read %s of %s: %w", what, in.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("snapshot: read %s of %s: %w", what, in.name, err)
	}
	return nil
}

func (in *inspector) take(ctx context.Context) (*Snapshot, error) {
	if err := in.readTables(ctx); err != nil {
		return nil, err
	}
	jobs := []func(context.Context) error{in.readColumns, in.readStats, in.readFKColumns, in.readFKRules, in.readChecks, in.readTriggers, in.readRoutines, in.readParams, in.readEvents}
	if len(in.partioned) > 0 {
		jobs = append(jobs, in.readPartitions)
	}
	if len(in.views) > 0 {
		jobs = append(jobs, in.readViews)
	}
	if len(in.sequences) > 0 {
		jobs = append(jobs, in.readSequences)
	}
	if in.patchLog {
		jobs = append(jobs, in.readPatches)
	}
	if in.cfg.rowCounts {
		jobs = append(jobs, in.countJobs()...)
	}
	if err := runJobs(ctx, in.cfg.parallel, jobs); err != nil {
		return nil, err
	}
	return in.assemble(), nil
}

// runJobs runs jobs on up to n goroutines, in the order of the slice, and
// returns the first error (the jobs not started yet are dropped).
func runJobs(ctx context.Context, n int, jobs []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan func(context.Context) error)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(n, len(jobs)) {
		wg.Go(func() {
			for job := range next {
				if ctx.Err() != nil {
					continue
				}
				if err := job(ctx); err != nil {
					once.Do(func() { first = err })
					cancel()
				}
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func (in *inspector) readTables(ctx context.Context) error {
	in.byName = map[string]*Table{}
	in.estimates = map[string]int64{}
	return in.query(ctx, "information_schema.TABLES", `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT, TABLE_ROWS
FROM information_schema.TABLES WHERE TABLE_SCHEMA = $DB`, func(r *sql.Rows) error {
		var name, typ string
		var engine, collation, options, comment sql.NullString
		var est sql.NullInt64
		if err := r.Scan(&name, &typ, &engine, &collation, &options, &comment, &est); err != nil {
			return err
		}
		if name == in.cfg.patchLog && typ == "BASE TABLE" {
			in.patchLog = true
		}
		if in.cfg.excluded(name) {
			return nil
		}
		switch typ {
		case "VIEW", "SYSTEM VIEW":
			in.views = append(in.views, name)
			return nil
		case "SEQUENCE":
			in.sequences = append(in.sequences, name)
			return nil
		case "BASE TABLE", "SYSTEM VERSIONED":
		default: // TEMPORARY and the like
			return nil
		}
		coll := normCollation(collation.String)
		t := &Table{Name: name, Rows: -1, Options: TableOptions{
			Engine:    engine.String,
			Collation: coll,
			Charset:   charsetOf(coll),
			Comment:   comment.String,
		}}
		opts := options.String
		if strings.Contains(strings.ToLower(opts), "partitioned") {
			in.partioned = append(in.partioned, name)
		}
		if typ == "SYSTEM VERSIONED" {
			opts += " system_versioning"
		}
		t.Options.CreateOptions = normCreateOptions(opts)
		in.tables = append(in.tables, t)
		in.byName[name] = t
		in.estimates[name] = est.Int64
		return nil
	})
}

type rawColumn struct {
	table, name, typ, nullable, extra, comment string
	def, generated, collation                  sql.NullString
}

func (in *inspector) readColumns(ctx context.Context) error {
	return in.query(ctx, "information_schema.COLUMNS", `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION, COLLATION_NAME, COLUMN_COMMENT
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = $DB ORDER BY TABLE_NAME, ORDINAL_POSITION`, func(r *sql.Rows) error {
		var c rawColumn
		if err := r.Scan(&c.table, &c.name, &c.typ, &c.nullable, &c.def, &c.extra, &c.generated, &c.collation, &c.comment); err != nil {
			return err
		}
		if in.byName[c.table] != nil {
			in.columns = append(in.columns, c)
		}
		return nil
	})
}

type rawStat struct {
	table, index, column, kind, comment string
	nonUnique, seq                      int
	subPart                             sql.NullInt64
	collation, expression               sql.NullString
	ignored                             bool
}

func (in *inspector) readStats(ctx context.Context) error {
	ignored, expression := "0", "NULL"
	switch {
	case in.flavor.mariadb && in.flavor.atLeast(10, 6):
		ignored = "IGNORED = 'YES'"
	case !in.flavor.mariadb && in.flavor.atLeast(8, 0):
		ignored, expression = "IS_VISIBLE = 'NO'", "EXPRESSION"
	}
	return in.query(ctx, "information_schema.STATISTICS", `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COALESCE(COLUMN_NAME, ''), SUB_PART, COLLATION, INDEX_TYPE, INDEX_COMMENT, `+ignored+`, `+expression+`
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = $DB ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, func(r *sql.Rows) error {
		var s rawStat
		if err := r.Scan(&s.table, &s.index, &s.nonUnique, &s.seq, &s.column, &s.subPart, &s.collation, &s.kind, &s.comment, &s.ignored, &s.expression); err != nil {
			return err
		}
		if in.byName[s.table] != nil {
			in.stats = append(in.stats, s)
		}
		return nil
	})
}

type rawFKCol struct {
	table, name, column, refTable, refColumn string
	refSchema                                sql.NullString
}

func (in *inspector) readFKColumns(ctx context.Context) error {
	return in.query(ctx, "information_schema.KEY_COLUMN_USAGE", `SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = $DB AND REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, func(r *sql.Rows) error {
		var f rawFKCol
		if err := r.Scan(&f.table, &f.name, &f.column, &f.refSchema, &f.refTable, &f.refColumn); err != nil {
			return err
		}
		if in.byName[f.table] != nil {
			in.fkCols = append(in.fkCols, f)
		}
		return nil
	})
}

func (in *inspector) readFKRules(ctx context.Context) error {
	in.fkRules = map[[2]string][2]string{}
	return in.query(ctx, "information_schema.REFERENTIAL_CONSTRAINTS", `SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = $DB`, func(r *sql.Rows) error {
		var table, name, del, upd string
		if err := r.Scan(&table, &name, &del, &upd); err != nil {
			return err
		}
		in.fkRules[[2]string{table, name}] = [2]string{normRule(del), normRule(upd)}
		return nil
	})
}

type rawCheck struct{ table, name, clause string }

func (in *inspector) readChecks(ctx context.Context) error {
	q := `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = $DB`
	if !in.flavor.mariadb {
		if !in.flavor.atLeast(8, 0) {
			return nil // no CHECK constraints before MySQL 8.0.16
		}
		q = `SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS cc
JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK'
WHERE cc.CONSTRAINT_SCHEMA = $DB AND tc.TABLE_SCHEMA = $DB`
	}
	return in.query(ctx, "information_schema.CHECK_CONSTRAINTS", q, func(r *sql.Rows) error {
		var c rawCheck
		if err := r.Scan(&c.table, &c.name, &c.clause); err != nil {
			return err
		}
		if in.byName[c.table] != nil {
			in.checks = append(in.checks, c)
		}
		return nil
	})
}

type rawPartition struct {
	table                             string
	name, sub, method, subMethod      sql.NullString
	expression, subExpression, values sql.NullString
	comment                           sql.NullString
}

func (in *inspector) readPartitions(ctx context.Context) error {
	names := make([]string, len(in.partioned))
	for i, n := range in.partioned {
		names[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(n, `\`, `\\`), "'", "''") + "'"
	}
	return in.query(ctx, "information_schema.PARTITIONS", `SELECT TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, PARTITION_METHOD, SUBPARTITION_METHOD,
PARTITION_EXPRESSION, SUBPARTITION_EXPRESSION, PARTITION_DESCRIPTION, PARTITION_COMMENT
FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = $DB AND PARTITION_NAME IS NOT NULL AND TABLE_NAME IN (`+strings.Join(names, ", ")+`)
ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION`, func(r *sql.Rows) error {
		var p rawPartition
		if err := r.Scan(&p.table, &p.name, &p.sub, &p.method, &p.subMethod, &p.expression, &p.subExpression, &p.values, &p.comment); err != nil {
			return err
		}
		in.partitions = append(in.partitions, p)
		return nil
	})
}

func (in *inspector) readViews(ctx context.Context) error {
	return in.query(ctx, "information_schema.VIEWS", `SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = $DB`, func(r *sql.Rows) error {
		var v View
		var check string
		if err := r.Scan(&v.Name, &v.Definition, &check); err != nil {
			return err
		}
		if in.cfg.excluded(v.Name) {
			return nil
		}
		if check != "NONE" {
			v.CheckOption = check
		}
		v.Definition = normBody(stripSchema(v.Definition, in.name))
		in.snap.Views = append(in.snap.Views, v)
		return nil
	})
}

func (in *inspector) readTriggers(ctx context.Context) error {
	return in.query(ctx, "information_schema.TRIGGERS", `SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, ACTION_STATEMENT
FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = $DB`, func(r *sql.Rows) error {
		var t Trigger
		var order sql.NullInt64
		if err := r.Scan(&t.Name, &t.Table, &t.Timing, &t.Event, &order, &t.Body); err != nil {
			return err
		}
		if in.cfg.excluded(t.Table) {
			return nil
		}
		t.Order = int(order.Int64)
		if !order.Valid || t.Order == 0 {
			t.Order = 1
		}
		t.Body = normBody(t.Body)
		in.snap.Triggers = append(in.snap.Triggers, t)
		return nil
	})
}

func (in *inspector) readRoutines(ctx context.Context) error {
	return in.query(ctx, "information_schema.ROUTINES", `SELECT SPECIFIC_NAME, ROUTINE_NAME, ROUTINE_TYPE, COALESCE(DTD_IDENTIFIER, ''), IS_DETERMINISTIC, SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT, COALESCE(ROUTINE_DEFINITION, '')
FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = $DB`, func(r *sql.Rows) error {
		var rt Routine
		var specific, det string
		if err := r.Scan(&specific, &rt.Name, &rt.Type, &rt.Returns, &det, &rt.DataAccess, &rt.Security, &rt.Comment, &rt.Body); err != nil {
			return err
		}
		rt.Params = specific // resolved in assemble
		rt.Deterministic = det == "YES"
		if rt.DataAccess == "CONTAINS SQL" {
			rt.DataAccess = ""
		}
		if rt.Security == "DEFINER" {
			rt.Security = ""
		}
		if rt.Returns != "" {
			rt.Returns = normType(rt.Returns)
		}
		rt.Body = normBody(rt.Body)
		in.snap.Routines = append(in.snap.Routines, rt)
		return nil
	})
}

func (in *inspector) readParams(ctx context.Context) error {
	in.params = map[[2]string][]string{}
	return in.query(ctx, "information_schema.PARAMETERS", `SELECT SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION, COALESCE(PARAMETER_MODE, ''), COALESCE(PARAMETER_NAME, ''), COALESCE(DTD_IDENTIFIER, '')
FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = $DB ORDER BY SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION`, func(r *sql.Rows) error {
		var specific, typ, mode, name, dtd string
		var pos int
		if err := r.Scan(&specific, &typ, &pos, &mode, &name, &dtd); err != nil {
			return err
		}
		if pos == 0 { // a function's return value
			return nil
		}
		p := ident(name) + " " + normType(dtd)
		if typ == "PROCEDURE" {
			p = mode + " " + p
		}
		k := [2]string{specific, typ}
		in.params[k] = append(in.params[k], p)
		return nil
	})
}

func (in *inspector) readEvents(ctx context.Context) error {
	return in.query(ctx, "information_schema.EVENTS", `SELECT EVENT_NAME, EVENT_TYPE, COALESCE(INTERVAL_VALUE, ''), COALESCE(INTERVAL_FIELD, ''), STATUS, ON_COMPLETION, EVENT_COMMENT, EVENT_DEFINITION
FROM information_schema.EVENTS WHERE EVENT_SCHEMA = $DB`, func(r *sql.Rows) error {
		var e Event
		var typ, ival, field, completion string
		if err := r.Scan(&e.Name, &typ, &ival, &field, &e.Status, &completion, &e.Comment, &e.Body); err != nil {
			return err
		}
		if typ == "RECURRING" {
			e.Schedule = strings.TrimSpace("EVERY " + strings.Trim(ival, "'") + " " + field)
		} else {
			e.Schedule = "AT"
		}
		if e.Status == "ENABLED" {
			e.Status = ""
		}
		e.Preserve = completion == "PRESERVE"
		e.Body = normBody(e.Body)
		in.snap.Events = append(in.snap.Events, e)
		return nil
	})
}

func (in *inspector) qualified(table string) string {
	return sqltext.QuoteIdent(in.name) + "." + sqltext.QuoteIdent(table)
}

func (in *inspector) readSequences(ctx context.Context) error {
	var parts []string
	for i, name := range in.sequences {
		parts = append(parts, "SELECT "+strconv.Itoa(i)+", start_value, minimum_value, maximum_value, increment, cache_size, cycle_option FROM "+in.qualified(name))
	}
	return in.query(ctx, "sequences", strings.Join(parts, " UNION ALL "), func(r *sql.Rows) error {
		var i int
		var q Sequence
		if err := r.Scan(&i, &q.Start, &q.Min, &q.Max, &q.Increment, &q.Cache, &q.Cycle); err != nil {
			return err
		}
		q.Name = in.sequences[i]
		in.snap.Sequences = append(in.snap.Sequences, q)
		return nil
	})
}

func (in *inspector) readPatches(ctx context.Context) error {
	return in.query(ctx, "the patch log "+in.cfg.patchLog, "SELECT id FROM "+in.qualified(in.cfg.patchLog)+
		" WHERE status IN ('done', 'skipped') ORDER BY finished, id", func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		in.snap.Patches = append(in.snap.Patches, id)
		return nil
	})
}

// Row counts: tables the estimate calls big are counted one per query;
// the rest in batches of UNION ALL, so a schema of a thousand small tables
// costs a few dozen round trips.
const (
	bigTable  = 200_000
	batchSize = 50
)

func (in *inspector) countJobs() []func(context.Context) error {
	tables := slices.Clone(in.tables)
	slices.SortStableFunc(tables, func(a, b *Table) int { return -cmp.Compare(in.estimates[a.Name], in.estimates[b.Name]) })
	var jobs []func(context.Context) error
	var batch []*Table
	flush := func() {
		if len(batch) > 0 {
			b := batch
			jobs = append(jobs, func(ctx context.Context) error { return in.count(ctx, b) })
			batch = nil
		}
	}
	for _, t := range tables {
		batch = append(batch, t)
		if in.estimates[t.Name] >= bigTable || len(batch) == batchSize {
			flush()
		}
	}
	flush()
	return jobs
}

func (in *inspector) count(ctx context.Context, tables []*Table) error {
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = "SELECT " + strconv.Itoa(i) + ", COUNT(*) FROM " + in.qualified(t.Name)
	}
	rows, err := in.db.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
	if err == nil {
		for rows.Next() {
			var i int
			var n int64
			if err = rows.Scan(&i, &n); err != nil {
				break
			}
			tables[i].Rows = n
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close() //nolint:sqlclosecheck // closed here, before the fallback below, which may need this connection
	}
	if err == nil {
		return nil
	}
	if len(tables) > 1 && ctx.Err() == nil {
		for _, t := range tables { // find the table to name it
			if err := in.count(ctx, []*Table{t}); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("snapshot: count rows of %s.%s: %w", sqltext.QuoteIdent(in.name), sqltext.QuoteIdent(tables[0].Name), err)
}

// assemble builds the snapshot from what the jobs read.
func (in *inspector) assemble() *Snapshot {
	s := &in.snap
	s.Database = in.name
	for _, c := range in.columns {
		t := in.byName[c.table]
		col := Column{
			Name:          c.name,
			Type:          normType(c.typ),
			Nullable:      c.nullable == "YES",
			AutoIncrement: strings.Contains(strings.ToLower(c.extra), "auto_increment"),
			Invisible:     strings.Contains(c.extra, "INVISIBLE"),
			Comment:       c.comment,
		}
		if c.generated.Valid && c.generated.String != "" {
			col.Generated = normExpr(c.generated.String)
			col.Stored = strings.Contains(c.extra, "STORED") || strings.Contains(c.extra, "PERSISTENT")
		} else if !col.AutoIncrement {
			var def *string
			if c.def.Valid {
				def = &c.def.String
			}
			col.Default = normDefault(in.flavor, col.Type, def, c.extra)
			col.OnUpdate = normOnUpdate(c.extra)
		}
		if c.collation.Valid {
			if coll := normCollation(c.collation.String); coll != t.Options.Collation {
				col.Collation = coll
			}
		}
		t.Columns = append(t.Columns, col)
	}
	for i, st := range in.stats {
		t := in.byName[st.table]
		if i == 0 || st.table != in.stats[i-1].table || st.index != in.stats[i-1].index {
			kind := st.kind
			if kind == "BTREE" {
				kind = ""
			}
			t.Indexes = append(t.Indexes, Index{Name: st.index, Unique: st.nonUnique == 0, Kind: kind, Ignored: st.ignored, Comment: st.comment})
		}
		x := &t.Indexes[len(t.Indexes)-1]
		p := IndexPart{Column: st.column, Desc: st.collation.String == "D"}
		if st.expression.Valid && st.expression.String != "" {
			p.Column, p.Expression = "", normExpr(st.expression.String)
		}
		if st.subPart.Valid && st.kind != "SPATIAL" {
			p.Length = int(st.subPart.Int64)
		}
		x.Parts = append(x.Parts, p)
	}
	for i, f := range in.fkCols {
		t := in.byName[f.table]
		if i == 0 || f.table != in.fkCols[i-1].table || f.name != in.fkCols[i-1].name {
			rules := in.fkRules[[2]string{f.table, f.name}]
			n := ForeignKey{Name: f.name, RefTable: f.refTable, OnDelete: rules[0], OnUpdate: rules[1]}
			if f.refSchema.Valid && f.refSchema.String != in.name {
				n.RefSchema = f.refSchema.String
			}
			t.ForeignKeys = append(t.ForeignKeys, n)
		}
		fk := &t.ForeignKeys[len(t.ForeignKeys)-1]
		fk.Columns = append(fk.Columns, f.column)
		fk.RefColumns = append(fk.RefColumns, f.refColumn)
	}
	for _, c := range in.checks {
		t := in.byName[c.table]
		t.Checks = append(t.Checks, Check{Name: c.name, Clause: normExpr(c.clause)})
	}
	for _, p := range in.partitions {
		t := in.byName[p.table]
		if t == nil {
			continue
		}
		if t.Partitioning == nil {
			t.Partitioning = &Partitioning{Method: p.method.String, Expression: normExpr(p.expression.String)}
			if p.subMethod.Valid {
				t.Partitioning.SubMethod, t.Partitioning.SubExpression = p.subMethod.String, normExpr(p.subExpression.String)
			}
		}
		parts := &t.Partitioning.Partitions
		if n := len(*parts); n == 0 || (*parts)[n-1].Name != p.name.String {
			*parts = append(*parts, Partition{Name: p.name.String, Values: p.values.String, Comment: p.comment.String})
		}
		if p.sub.Valid {
			last := &(*parts)[len(*parts)-1]
			last.Subpartitions = append(last.Subpartitions, p.sub.String)
		}
	}
	for i := range s.Routines {
		r := &s.Routines[i]
		r.Params = strings.Join(in.params[[2]string{r.Params, r.Type}], ", ")
	}
	for _, t := range in.tables {
		s.Tables = append(s.Tables, *t)
	}
	sortSnapshot(s)
	return s
}

// sortSnapshot puts everything in the order Format writes it.
func sortSnapshot(s *Snapshot) {
	s.Tables = sortedBy(s.Tables, func(t Table) string { return t.Name })
	for i := range s.Tables {
		t := &s.Tables[i]
		t.Indexes = sortedIndexes(t.Indexes)
		t.ForeignKeys = sortedBy(t.ForeignKeys, func(f ForeignKey) string { return f.Name })
		t.Checks = sortedBy(t.Checks, func(c Check) string { return c.Name })
	}
	s.Views = sortedBy(s.Views, func(v View) string { return v.Name })
	s.Triggers = sortedBy(s.Triggers, func(t Trigger) string { return t.Name })
	s.Routines = sortedBy(s.Routines, func(r Routine) string { return r.Name + "\x00" + r.Type })
	s.Events = sortedBy(s.Events, func(e Event) string { return e.Name })
	s.Sequences = sortedBy(s.Sequences, func(q Sequence) string { return q.Name })
}
