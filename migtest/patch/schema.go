package patch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// QuoteIdent quotes a table, column or index name for MariaDB: in
// backticks, with backticks inside doubled.
func QuoteIdent(name string) string { return sqltext.QuoteIdent(name) }

// HasTable reports whether the current database has a table (or view) named table.
func (pc *Context) HasTable(ctx context.Context, table string) (bool, error) {
	var n int
	err := pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("has table %s: %w", table, err)
	}
	return n > 0, nil
}

// HasColumn reports whether table has column.
func (pc *Context) HasColumn(ctx context.Context, table, column string) (bool, error) {
	var n int
	err := pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", table, column).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("has column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}

// HasIndex reports whether table has an index named index.
func (pc *Context) HasIndex(ctx context.Context, table, index string) (bool, error) {
	var n int
	err := pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?", table, index).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("has index %s.%s: %w", table, index, err)
	}
	return n > 0, nil
}

// algorithms are tried in this order by alter; "" is the server's default.
var algorithms = []string{"INSTANT", "INPLACE", ""}

// alter runs ALTER TABLE table <spec>, trying ALGORITHM=INSTANT, then
// INPLACE, then the default, and logs which one was used.
func (pc *Context) alter(ctx context.Context, table, spec string) error {
	base := "ALTER TABLE " + QuoteIdent(table) + " " + spec
	var lastErr error
	for _, alg := range algorithms {
		q := base
		if alg != "" {
			q += ", ALGORITHM=" + alg
		}
		mark := patchrt.Mark(ctx)
		_, err := pc.DB.Exec(ctx, q)
		if err == nil {
			used := alg
			if used == "" {
				used = "DEFAULT (COPY)"
			}
			pc.Log.Info("altered table", "table", table, "change", spec, "algorithm", used)
			return nil
		}
		if !algorithmUnsupported(err) {
			return fmt.Errorf("%s: %w", q, err)
		}
		patchrt.CountAgainst(ctx, mark, "the helper tries the next ALGORITHM") // tried on purpose, not swallowed
		pc.Log.Debug("algorithm not supported, trying the next", "table", table, "algorithm", alg, "err", err)
		lastErr = err
	}
	return fmt.Errorf("%s: %w", base, lastErr)
}

// algorithmUnsupported reports MariaDB's "ALGORITHM=... is not supported" errors.
func algorithmUnsupported(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1845, 1846: // ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON)
			return true
		}
	}
	return false
}

// AddColumn adds column with definition (e.g. "varchar(140) DEFAULT NULL")
// to table, unless the table has it already.
func (pc *Context) AddColumn(ctx context.Context, table, column, definition string) error {
	ok, err := pc.HasColumn(ctx, table, column)
	if err != nil || ok {
		if ok {
			pc.Log.Info("column exists, not adding", "table", table, "column", column)
		}
		return err
	}
	return pc.alter(ctx, table, "ADD COLUMN "+QuoteIdent(column)+" "+definition)
}

// ModifyColumn changes column's definition; the column must exist.
func (pc *Context) ModifyColumn(ctx context.Context, table, column, definition string) error {
	ok, err := pc.HasColumn(ctx, table, column)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("modify column %s.%s: no such column", table, column)
	}
	return pc.alter(ctx, table, "MODIFY COLUMN "+QuoteIdent(column)+" "+definition)
}

// RenameColumn renames column from to to, unless it was renamed already
// (to exists and from does not).
func (pc *Context) RenameColumn(ctx context.Context, table, from, to string) error {
	hasFrom, err := pc.HasColumn(ctx, table, from)
	if err != nil {
		return err
	}
	hasTo, err := pc.HasColumn(ctx, table, to)
	if err != nil {
		return err
	}
	switch {
	case !hasFrom && hasTo:
		pc.Log.Info("column renamed already", "table", table, "from", from, "to", to)
		return nil
	case !hasFrom:
		return fmt.Errorf("rename column %s.%s: no such column", table, from)
	case hasTo:
		return fmt.Errorf("rename column %s.%s to %s: both columns exist; drop one first", table, from, to)
	}
	return pc.alter(ctx, table, "RENAME COLUMN "+QuoteIdent(from)+" TO "+QuoteIdent(to))
}

// DropColumn drops column from table, unless it is gone already.
func (pc *Context) DropColumn(ctx context.Context, table, column string) error {
	ok, err := pc.HasColumn(ctx, table, column)
	if err != nil || !ok {
		if err == nil {
			pc.Log.Info("column absent, not dropping", "table", table, "column", column)
		}
		return err
	}
	return pc.alter(ctx, table, "DROP COLUMN "+QuoteIdent(column))
}

// IndexKind says whether an index AddIndex adds is unique.
type IndexKind bool

const (
	// Unique indexes refuse a second row with the same values.
	Unique IndexKind = true
	// NonUnique indexes only speed up lookups.
	NonUnique IndexKind = false
)

// AddIndex adds an index of kind (Unique or NonUnique) named index on
// columns of table, unless the table has an index of that name. A column
// may carry a prefix length, "town(20)", for a text or long varchar column:
//
//	pc.AddIndex(ctx, "tabCustomer", "territory", patch.NonUnique, "territory")
//	pc.AddIndex(ctx, "tabAddress", "town", patch.NonUnique, "town(20)")
func (pc *Context) AddIndex(ctx context.Context, table, index string, kind IndexKind, columns ...string) error {
	if len(columns) == 0 {
		return fmt.Errorf("add index %s.%s: no columns given", table, index)
	}
	ok, err := pc.HasIndex(ctx, table, index)
	if err != nil || ok {
		if ok {
			pc.Log.Info("index exists, not adding", "table", table, "index", index)
		}
		return err
	}
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = indexPart(c)
	}
	add := "ADD INDEX "
	if kind == Unique {
		add = "ADD UNIQUE INDEX "
	}
	return pc.alter(ctx, table, add+QuoteIdent(index)+" ("+strings.Join(cols, ", ")+")")
}

// DropIndex drops index from table, unless it is gone already.
func (pc *Context) DropIndex(ctx context.Context, table, index string) error {
	ok, err := pc.HasIndex(ctx, table, index)
	if err != nil || !ok {
		if err == nil {
			pc.Log.Info("index absent, not dropping", "table", table, "index", index)
		}
		return err
	}
	return pc.alter(ctx, table, "DROP INDEX "+QuoteIdent(index))
}

// CopyTable copies table aside, structure and rows, to a table named
// "_backup_<table>_<patch id>" (shortened with a hash if too long) and
// returns that name. The copy is kept for a person to inspect and drop; if it
// exists already (a re-run) it is left as it is, since it holds the rows as
// they were before the first run. The copy is built under a temporary name
// and renamed, so an interrupted copy never looks complete.
func (pc *Context) CopyTable(ctx context.Context, table string) (string, error) {
	name := BackupName(table, pc.ID)
	ok, err := pc.HasTable(ctx, name)
	if err != nil {
		return "", err
	}
	if ok {
		pc.Log.Info("backup copy exists, keeping it", "table", table, "copy", name)
		return name, nil
	}
	tmp := shorten("_tmp" + name)
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + QuoteIdent(tmp),
		"CREATE TABLE " + QuoteIdent(tmp) + " LIKE " + QuoteIdent(table),
	} {
		if _, err := pc.DB.Exec(ctx, q); err != nil {
			return "", fmt.Errorf("copy table %s aside: %s: %w", table, q, err)
		}
	}
	copyRows := "INSERT INTO " + QuoteIdent(tmp) + " SELECT * FROM " + QuoteIdent(table)
	if err := pc.DB.snapshotCopy(ctx, copyRows); err != nil {
		return "", fmt.Errorf("copy table %s aside: %s: %w", table, copyRows, err)
	}
	rename := "RENAME TABLE " + QuoteIdent(tmp) + " TO " + QuoteIdent(name)
	if _, err := pc.DB.Exec(ctx, rename); err != nil {
		return "", fmt.Errorf("copy table %s aside: %s: %w", table, rename, err)
	}
	var n int64
	_ = pc.DB.QueryRow(ctx, "SELECT COUNT(*) FROM "+QuoteIdent(name)).Scan(&n)
	pc.Log.Info("copied table aside", "table", table, "copy", name, "rows", n)
	return name, nil
}

// snapshotCopy runs an INSERT ... SELECT in a READ COMMITTED transaction,
// so that it reads a snapshot of its source instead of share-locking every
// row of it as REPEATABLE READ does, which would hold the application's
// writes to the table for the whole copy. A server that cannot log it so
// (a statement-based binary log: 1665) gets the plain statement. Inside a
// transaction already, q runs in it.
func (d *DB) snapshotCopy(ctx context.Context, q string) error {
	if d.tx != nil {
		_, err := d.Exec(ctx, q)
		return err
	}
	if err := d.before(ctx, "BEGIN"); err != nil {
		return err
	}
	sqlTx, err := d.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &DB{db: d.db, tx: sqlTx, hook: d.hook}
	if _, err := tx.Exec(ctx, q); err != nil {
		_ = tx.Rollback()
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 1665 {
			_, err = d.Exec(ctx, q)
		}
		return err
	}
	return tx.Commit()
}

// BackupName is the name CopyTable gives the copy of table made by patch id.
func BackupName(table, id string) string {
	r := strings.NewReplacer(".", "_", "-", "_", " ", "_", "/", "_")
	return shorten("_backup_" + r.Replace(table) + "_" + r.Replace(id))
}

// shorten keeps a name within MariaDB's 64-character limit, replacing the
// tail with a hash of the whole when needed.
func shorten(name string) string {
	if len(name) <= 64 {
		return name
	}
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return fmt.Sprintf("%s_%08x", name[:55], h)
}
