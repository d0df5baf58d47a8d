package rehearsal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// errCrash is the error of every statement after an injected crash.
var errCrash = errors.New("migtest: injected crash")

// crashDB opens a pool with cfg whose connections all fail with errCrash once
// crashed is set: after the crash point nothing reaches the server any more,
// neither the patch's statements nor the runner's own log writes, as when
// the process dies or the connection is lost. Closing the pool closes the
// real connections, so the server releases the runner's lock.
func crashDB(cfg *mysql.Config, crashed, armed *atomic.Bool) (*sql.DB, error) {
	base, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(&crashConnector{base: base, crashed: crashed, armed: armed}), nil
}

type crashConnector struct {
	base    driver.Connector
	crashed *atomic.Bool
	armed   *atomic.Bool // set: the next statement runs, and then the crash
}

func (c *crashConnector) Connect(ctx context.Context) (driver.Conn, error) {
	if c.crashed.Load() {
		return nil, errCrash
	}
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &crashConn{Conn: conn, crashed: c.crashed, armed: c.armed}, nil
}

func (c *crashConnector) Driver() driver.Driver { return c.base.Driver() }

// crashConn forwards to the driver's connection until the crash.
type crashConn struct {
	driver.Conn
	crashed, armed *atomic.Bool
}

// fire crashes after a statement that ran while armed.
func (c *crashConn) fire() {
	if c.armed.Load() {
		c.crashed.Store(true)
	}
}

func (c *crashConn) check() error {
	if c.crashed.Load() {
		return errCrash
	}
	return nil
}

func (c *crashConn) Prepare(query string) (driver.Stmt, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.Conn.Prepare(query)
}

func (c *crashConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *crashConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &crashTx{Tx: tx, crashed: c.crashed, armed: c.armed}, nil
}

func (c *crashConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	defer c.fire()
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *crashConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	defer c.fire()
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *crashConn) Ping(ctx context.Context) error {
	if err := c.check(); err != nil {
		return err
	}
	return c.Conn.(driver.Pinger).Ping(ctx)
}

func (c *crashConn) ResetSession(ctx context.Context) error {
	if err := c.check(); err != nil {
		return driver.ErrBadConn
	}
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *crashConn) IsValid() bool {
	return !c.crashed.Load() && c.Conn.(driver.Validator).IsValid()
}

func (c *crashConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// crashTx fails Commit after the crash (and rolls back, as the server does
// with the transaction of a lost connection).
type crashTx struct {
	driver.Tx
	crashed, armed *atomic.Bool
}

func (t *crashTx) Commit() error {
	if t.crashed.Load() {
		_ = t.Tx.Rollback()
		return errCrash
	}
	err := t.Tx.Commit()
	if t.armed.Load() {
		t.crashed.Store(true)
	}
	return err
}
