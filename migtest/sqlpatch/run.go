package sqlpatch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"regexp"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/patch"
)

// ProgressTable is the table in which SQL patches record how many of their
// statements have run. Like migtest's other tables it is left out of
// snapshots; delete a patch's row to run its file again from the start.
const ProgressTable = "migtest_sql_progress"

const createProgress = "CREATE TABLE IF NOT EXISTS `" + ProgressTable + "`" +
	" (id varchar(255) NOT NULL PRIMARY KEY, statements_done int NOT NULL, updated datetime(6) NOT NULL)" +
	" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

// Patch returns the patch that runs m's statements.
func (m Migration) Patch() patch.Patch {
	desc := fmt.Sprintf("%s (%s %s, version %s)", m.Description, m.Format, path.Base(m.File), m.Version)
	return patch.Patch{ID: m.ID(), Description: desc, Run: m.run}
}

var dataStatement = regexp.MustCompile(`(?i)^\s*(INSERT|UPDATE|DELETE|REPLACE)\b`)

// run runs the statements not run yet. A data statement (INSERT, UPDATE,
// DELETE, REPLACE) commits in one transaction with its progress record,
// unless the file says NO TRANSACTION; any other statement (DDL commits on
// its own in MariaDB) is recorded right after it. So only a statement of
// the second kind can have run without its record, when the run died in
// between; on resume, that one statement failing with "already exists" or
// "does not exist" (what running it twice gives) counts as done.
func (m Migration) run(ctx context.Context, pc *patch.Context) error {
	done, resumed, err := progress(ctx, pc, m.ID(), len(m.Statements))
	if err != nil {
		return err
	}
	if resumed && done >= len(m.Statements) {
		pc.Log.Info("SQL migration ran already", "file", m.File, "statements", len(m.Statements))
		return nil
	}
	if !resumed {
		// The row says the file started, so that a statement whose record
		// was lost is known to have maybe run.
		if err := record(ctx, pc.DB, m.ID(), 0); err != nil {
			return err
		}
	}
	for i := done; i < len(m.Statements); i++ {
		q := m.Statements[i]
		var err error
		if dataStatement.MatchString(q) && !m.NoTransaction {
			err = pc.DB.Tx(ctx, func(tx *patch.DB) error {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
				return record(ctx, tx, m.ID(), i+1)
			})
		} else {
			_, err = pc.DB.Exec(ctx, q)
			if err != nil && resumed && i == done && ranAlready(err) {
				pc.Log.Warn("statement had run before the last run stopped; going on", "file", m.File, "statement", i+1, "err", err)
				err = nil
			}
			if err == nil {
				err = record(ctx, pc.DB, m.ID(), i+1)
			}
		}
		if err != nil {
			return fmt.Errorf("%s statement %d of %d (%s): %w", m.File, i+1, len(m.Statements), excerpt(q), err)
		}
	}
	pc.Log.Info("SQL migration ran", "file", m.File, "statements", len(m.Statements)-done, "resumed_at", done+1)
	return nil
}

// progress creates the progress table if needed and returns the number of
// statements of id that have run, and whether an earlier run started it.
func progress(ctx context.Context, pc *patch.Context, id string, total int) (int, bool, error) {
	ok, err := pc.HasTable(ctx, ProgressTable)
	if err != nil {
		return 0, false, err
	}
	if !ok {
		if _, err := pc.DB.Exec(ctx, createProgress); err != nil {
			return 0, false, fmt.Errorf("create %s: %w", ProgressTable, err)
		}
	}
	var n int
	err = pc.DB.QueryRow(ctx, "SELECT statements_done FROM "+patch.QuoteIdent(ProgressTable)+" WHERE id = ?", id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read %s: %w", ProgressTable, err)
	}
	if n > total {
		return 0, false, fmt.Errorf("%s says %d statements of %s ran, but the file has %d: the file changed after it ran; restore it, or delete its row from %s to run it again", ProgressTable, n, id, total, ProgressTable)
	}
	return n, true, nil
}

func record(ctx context.Context, db *patch.DB, id string, n int) error {
	_, err := db.Exec(ctx, "INSERT INTO "+patch.QuoteIdent(ProgressTable)+" (id, statements_done, updated) VALUES (?, ?, NOW(6))"+
		" ON DUPLICATE KEY UPDATE statements_done = VALUES(statements_done), updated = VALUES(updated)", id, n)
	if err != nil {
		return fmt.Errorf("record progress in %s: %w", ProgressTable, err)
	}
	return nil
}

// ranAlready reports the errors a DDL statement gives when it ran before:
// the table, column, index, foreign key or stored program exists already,
// or what it drops is gone.
func ranAlready(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1050, // ER_TABLE_EXISTS_ERROR
		1051, // ER_BAD_TABLE_ERROR (drop)
		1060, // ER_DUP_FIELDNAME
		1061, // ER_DUP_KEYNAME
		1091, // ER_CANT_DROP_FIELD_OR_KEY
		1054, // ER_BAD_FIELD_ERROR (rename or drop of a column done)
		1304, // ER_SP_ALREADY_EXISTS
		1305, // ER_SP_DOES_NOT_EXIST
		1359, // ER_TRG_ALREADY_EXISTS
		1360, // ER_TRG_DOES_NOT_EXIST
		1826: // ER_FK_DUP_NAME
		return true
	}
	return false
}

func excerpt(q string) string {
	const n = 60
	r := []rune(regexp.MustCompile(`\s+`).ReplaceAllString(q, " "))
	if len(r) > n {
		return string(r[:n]) + "..."
	}
	return string(r)
}

// MarkRan records in the progress table on db that every statement of m
// has run, for a file another tool applied (package adopt): the patch then
// never runs its statements again, also when a rehearsal runs it once more.
func MarkRan(ctx context.Context, db *sql.DB, m Migration) error {
	if _, err := db.ExecContext(ctx, createProgress); err != nil {
		return fmt.Errorf("create %s: %w", ProgressTable, err)
	}
	_, err := db.ExecContext(ctx, "INSERT INTO "+patch.QuoteIdent(ProgressTable)+" (id, statements_done, updated) VALUES (?, ?, NOW(6))"+
		" ON DUPLICATE KEY UPDATE statements_done = VALUES(statements_done), updated = VALUES(updated)", m.ID(), len(m.Statements))
	if err != nil {
		return fmt.Errorf("record %s in %s: %w", m.ID(), ProgressTable, err)
	}
	return nil
}
