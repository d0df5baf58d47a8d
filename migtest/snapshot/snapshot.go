// Package snapshot inspects a MariaDB (or MySQL) database into a Snapshot
// of its schema and row counts, writes it in a canonical text format that
// reads well in a pull-request diff, parses it back, and compares two.
//
// Take uses a handful of schema-wide information_schema queries (not one
// round trip per table) and counts rows with COUNT(*) on a few connections
// at once. It leaves out what is noise (AUTO_INCREMENT counters, statistics,
// definers, the tool's own log tables) and normalises what servers spell
// differently (integer display widths, quoting of defaults,
// current_timestamp(), utf8 and utf8mb3), so that the text stays the same
// across MariaDB 10.6 to 11.x when only the server's spelling changes.
package snapshot

// Version is the first line of the text format.
const Version = "# migtest snapshot v1"

// Snapshot is the schema and row counts of one database.
type Snapshot struct {
	// Database is the name of the inspected database. It is not written by
	// Format, so snapshots of differently named copies compare equal.
	Database  string
	Tables    []Table
	Views     []View
	Triggers  []Trigger
	Routines  []Routine
	Events    []Event
	Sequences []Sequence
	// Patches are the IDs of the patches applied (done or marked done) per
	// the patch log table, in the order they finished; empty when there is
	// no patch log.
	Patches []string
}

// Table is a base table.
type Table struct {
	Name    string
	Options TableOptions
	// Columns are in ordinal order, which matters.
	Columns     []Column
	Indexes     []Index
	ForeignKeys []ForeignKey
	Checks      []Check
	// Partitioning is nil for a table that is not partitioned.
	Partitioning *Partitioning
	// Rows is the exact row count, or -1 when not counted.
	Rows int64
}

// TableOptions are a table's engine, character set, collation, other
// create options (e.g. "row_format=DYNAMIC") and comment.
type TableOptions struct {
	Engine        string
	Charset       string
	Collation     string
	CreateOptions string
	Comment       string
}

// Column is a table column.
type Column struct {
	Name string
	// Type is the normalised column type, e.g. "varchar(140)", "int unsigned".
	Type     string
	Nullable bool
	// Default is the default as SQL: a quoted literal ('EMEA'), a number,
	// b'101', current_timestamp(), or an expression in parentheses. Empty
	// means none (or NULL).
	Default string
	// OnUpdate is the ON UPDATE value, e.g. current_timestamp(6).
	OnUpdate string
	// Generated is the expression of a generated column; Stored tells a
	// STORED (persistent) one from a VIRTUAL one.
	Generated     string
	Stored        bool
	AutoIncrement bool
	Invisible     bool
	// Collation is set only when it differs from the table's.
	Collation string
	Comment   string
}

// Index is an index (PRIMARY for the primary key).
type Index struct {
	Name   string
	Unique bool
	// Kind is "" for a B-tree, else FULLTEXT, SPATIAL, HASH, ...
	Kind  string
	Parts []IndexPart
	// Ignored is set for an index the optimiser ignores (MariaDB IGNORED,
	// MySQL INVISIBLE).
	Ignored bool
	Comment string
}

// IndexPart is one column (or, on MySQL, expression) of an index.
type IndexPart struct {
	Column     string
	Expression string
	// Length is the prefix length, 0 for the whole column.
	Length int
	Desc   bool
}

// ForeignKey is a foreign key constraint.
type ForeignKey struct {
	Name    string
	Columns []string
	// RefSchema is empty when the referenced table is in the same database.
	RefSchema  string
	RefTable   string
	RefColumns []string
	// OnDelete and OnUpdate are CASCADE, SET NULL or SET DEFAULT; empty for
	// RESTRICT / NO ACTION, which InnoDB treats alike.
	OnDelete string
	OnUpdate string
}

// Check is a CHECK constraint (MariaDB names a column-level one after its column).
type Check struct {
	Name   string
	Clause string
}

// Partitioning is how a table is partitioned.
type Partitioning struct {
	// Method is RANGE, LIST, HASH, KEY, RANGE COLUMNS, LINEAR HASH, ...
	Method        string
	Expression    string
	SubMethod     string
	SubExpression string
	Partitions    []Partition
}

// Partition is one partition.
type Partition struct {
	Name string
	// Values is the partition description: "10", "MAXVALUE", "1,2".
	Values        string
	Subpartitions []string
	Comment       string
}

// View is a view with its normalised definition (no definer, algorithm,
// security or database qualifier).
type View struct {
	Name        string
	CheckOption string // "" for NONE, else CASCADED or LOCAL
	Definition  string
}

// Trigger is a trigger.
type Trigger struct {
	Name   string
	Table  string
	Timing string // BEFORE or AFTER
	Event  string // INSERT, UPDATE or DELETE
	// Order is the trigger's position among those with the same table,
	// timing and event (1 for the first).
	Order int
	Body  string
}

// Routine is a stored procedure or function.
type Routine struct {
	Name string
	Type string // PROCEDURE or FUNCTION (or PACKAGE, PACKAGE BODY)
	// Params is the normalised parameter list, e.g. "IN x int, OUT y varchar(10)".
	Params        string
	Returns       string
	Deterministic bool
	DataAccess    string // "" for CONTAINS SQL
	Security      string // "" for DEFINER, else INVOKER
	Comment       string
	Body          string
}

// Event is a scheduled event. Its start and execute-at times are left out:
// unless given, they are the creation time.
type Event struct {
	Name     string
	Schedule string // e.g. "EVERY 1 DAY", or "AT" for a one-time event
	Status   string // "" for ENABLED
	Preserve bool   // ON COMPLETION PRESERVE
	Comment  string
	Body     string
}

// Sequence is a MariaDB sequence.
type Sequence struct {
	Name      string
	Start     int64
	Min       int64
	Max       int64
	Increment int64
	Cache     int64
	Cycle     bool
}

// SchemaOnly returns a copy of s without row counts (every Rows is -1),
// for comparing schemas of databases with different data.
func (s *Snapshot) SchemaOnly() *Snapshot {
	c := *s
	c.Tables = make([]Table, len(s.Tables))
	copy(c.Tables, s.Tables)
	for i := range c.Tables {
		c.Tables[i].Rows = -1
	}
	return &c
}

// RowCounts returns the row count of each table by name, or nil for a nil
// s: what the DDL lint and the duration estimate read of a production
// profile, and what up's report records before and after.
func (s *Snapshot) RowCounts() map[string]int64 {
	if s == nil {
		return nil
	}
	m := make(map[string]int64, len(s.Tables))
	for _, t := range s.Tables {
		m[t.Name] = t.Rows
	}
	return m
}
