package patch

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/migtest/migtest/migtest/internal/patchrt"
)

// DB is the database handle a patch uses: a thin wrapper over a *sql.DB or a
// *sql.Tx whose every statement passes through one StatementHook.
type DB struct {
	db   *sql.DB
	tx   *sql.Tx
	hook patchrt.StatementHook
}

// SQL returns the underlying *sql.DB (also for a transaction's DB).
// Statements run on it directly bypass the statement hook.
func (d *DB) SQL() *sql.DB { return d.db }

// InTx reports whether d is a transaction.
func (d *DB) InTx() bool { return d.tx != nil }

func (d *DB) before(ctx context.Context, query string) error {
	if d.hook == nil {
		return nil
	}
	return d.hook(ctx, query)
}

// Exec runs a statement that returns no rows.
func (d *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := d.before(ctx, query); err != nil {
		return nil, err
	}
	var r sql.Result
	var err error
	if d.tx != nil {
		r, err = d.tx.ExecContext(ctx, query, args...)
	} else {
		r, err = d.db.ExecContext(ctx, query, args...)
	}
	patchrt.Failed(ctx, query, err)
	return r, err
}

// Query runs a statement that returns rows. The caller closes the rows.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := d.before(ctx, query); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	var err error
	if d.tx != nil {
		rows, err = d.tx.QueryContext(ctx, query, args...)
	} else {
		rows, err = d.db.QueryContext(ctx, query, args...)
	}
	patchrt.Failed(ctx, query, err)
	return rows, err
}

// Row is the result of QueryRow, like *sql.Row.
type Row struct {
	row   *sql.Row
	err   error
	ctx   context.Context
	query string
}

// Scan copies the row's columns into dest, as (*sql.Row).Scan; it returns
// sql.ErrNoRows when there was no row.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	err := r.row.Scan(dest...)
	patchrt.Failed(r.ctx, r.query, err)
	return err
}

// QueryRow runs a statement expected to return at most one row.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	if err := d.before(ctx, query); err != nil {
		return &Row{err: err}
	}
	if d.tx != nil {
		return &Row{row: d.tx.QueryRowContext(ctx, query, args...), ctx: ctx, query: query}
	}
	return &Row{row: d.db.QueryRowContext(ctx, query, args...), ctx: ctx, query: query}
}

// Begin starts a transaction; the returned DB runs its statements in it and
// shares d's hook. Beginning inside a transaction is an error.
func (d *DB) Begin(ctx context.Context) (*DB, error) {
	if d.tx != nil {
		return nil, errors.New("begin: already in a transaction")
	}
	if err := d.before(ctx, "BEGIN"); err != nil {
		return nil, err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &DB{db: d.db, tx: tx, hook: d.hook}, nil
}

// Commit commits the transaction d.
func (d *DB) Commit() error {
	if d.tx == nil {
		return errors.New("commit: not in a transaction")
	}
	if err := d.before(context.Background(), "COMMIT"); err != nil {
		_ = d.tx.Rollback()
		return err
	}
	return d.tx.Commit()
}

// Rollback rolls the transaction d back; rolling back a finished transaction
// returns sql.ErrTxDone.
func (d *DB) Rollback() error {
	if d.tx == nil {
		return errors.New("rollback: not in a transaction")
	}
	return d.tx.Rollback()
}

// Tx runs fn in a transaction: committed when fn returns nil, rolled back
// otherwise (and on panic). Inside a transaction already, fn runs in it.
func (d *DB) Tx(ctx context.Context, fn func(tx *DB) error) (err error) {
	if d.tx != nil {
		return fn(d)
	}
	tx, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}
