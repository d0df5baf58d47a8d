package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/patch"
)

// LockedError is returned by Up and Mark when another migration holds the
// database's lock. The CLI maps it to exit code 3.
type LockedError struct {
	// Lock is the GET_LOCK name, "migtest:<database>" (on Galera, the row
	// of that name in the lock table).
	Lock string
	// Holder, from the run log (on Galera, from the lock row); empty when
	// unknown (the holder is not migtest's runner, or has not written its
	// run-log row yet).
	Host  string
	PID   int
	Since time.Time
	RunID string
	// Waited is how long this run waited for the lock.
	Waited time.Duration
}

func (e *LockedError) Error() string {
	holder := "an unknown holder"
	if e.RunID != "" {
		holder = fmt.Sprintf("run %s on host %s, pid %d, since %s", e.RunID, e.Host, e.PID, e.Since.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("another migration holds the lock %s (%s): wait for it to finish, or pass --wait DURATION", e.Lock, holder)
}

// DefaultLockTable is the table of the row locks used on Galera clusters,
// where GET_LOCK is local to one node.
const DefaultLockTable = "migtest_lock"

// DefaultLockLease is how long a row lock (Galera) and a run's heartbeat
// stay good without renewal; they are renewed every 2 s. A run killed on a
// Galera node keeps others out for this long. A DDL that runs in TOI for
// longer than this can hold back the renewal (every node waits for it):
// ddllint's galera-toi rule flags such DDL.
const DefaultLockLease = 2 * time.Minute

// errLockLost is the cause of a run's cancellation when its row lock was
// taken over (its lease ran out without renewal).
var errLockLost = errors.New("the migration lock was lost (its lease ran out while the heartbeat could not renew it): another run may be applying patches; stop, then run up again")

// lock is a held migration lock on a dedicated connection. On a standalone
// server it is a GET_LOCK, released by the server when the connection goes,
// so a killed process never leaves it behind. On a Galera node it is a row
// with a lease (owner set), renewed by the run's heartbeat.
type lock struct {
	mu     sync.Mutex // serialises the heartbeat's and the runner's use of conn
	conn   *sql.Conn
	name   string
	owner  string // the row lock's run id; "" for GET_LOCK
	table  string // the row lock's table
	connID int64
}

// lockName returns the lock's name for the current database.
func (m *Migrator) lockName(ctx context.Context) (string, error) {
	var db sql.NullString
	if err := m.db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&db); err != nil {
		return "", fmt.Errorf("read the current database: %w", err)
	}
	if !db.Valid || db.String == "" {
		return "", fmt.Errorf("the DSN names no database: add /dbname to it")
	}
	name := "migtest:" + db.String
	if len(name) > 64 {
		h := fnv.New64a()
		h.Write([]byte(db.String))
		name = fmt.Sprintf("%s:%016x", name[:47], h.Sum64())
	}
	return name, nil
}

// isGalera reports whether the server is a Galera node (wsrep on).
func isGalera(ctx context.Context, db interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) bool {
	var name, val string
	err := db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'").Scan(&name, &val)
	return err == nil && (val == "ON" || val == "1")
}

// acquire takes the lock for run owner, waiting up to wait.
func (m *Migrator) acquire(ctx context.Context, wait time.Duration, owner string) (*lock, error) {
	name, err := m.lockName(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: open a connection: %w", name, err)
	}
	lk := &lock{conn: conn, name: name}
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&lk.connID); err != nil {
		lk.discard()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if isGalera(ctx, conn) {
		lk.owner, lk.table = owner, m.lockTable
		err = m.acquireRow(ctx, lk, wait)
	} else {
		err = m.acquireGetLock(ctx, lk, wait)
	}
	if err != nil {
		lk.discard()
		return nil, err
	}
	return lk, nil
}

// acquireGetLock takes GET_LOCK(name).
func (m *Migrator) acquireGetLock(ctx context.Context, lk *lock, wait time.Duration) error {
	start := time.Now()
	var got sql.NullInt64
	if err := lk.conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lk.name, wait.Seconds()).Scan(&got); err != nil {
		return fmt.Errorf("lock %s: %w", lk.name, err)
	}
	if got.Valid && got.Int64 == 1 {
		return nil
	}
	le := &LockedError{Lock: lk.name, Waited: time.Since(start)}
	if r, err := m.lastRun(ctx, "running"); err == nil && r != nil {
		le.Host, le.PID, le.Since, le.RunID = r.Host, r.PID, r.Started, r.RunID
	}
	return le
}

// acquireRow takes the lock row on a Galera node: an upsert that takes the
// row when it is missing or its lease ran out, committed in a transaction
// that also reads the holder back. Galera certifies the write set at
// commit, so of two nodes taking the row at once one commit fails
// (deadlock, 1213) and tries again, and then reads the winner.
func (m *Migrator) acquireRow(ctx context.Context, lk *lock, wait time.Duration) error {
	// Reads on this connection see every write committed in the cluster
	// before them (causal reads).
	if _, err := lk.conn.ExecContext(ctx, "SET SESSION wsrep_sync_wait = 1"); err != nil {
		return fmt.Errorf("lock %s: %w", lk.name, err)
	}
	if _, err := lk.conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+m.q(lk.table)+` (
  name varchar(64) NOT NULL,
  run_id varchar(64) NOT NULL,
  host varchar(255) NULL,
  pid int NULL,
  node varchar(255) NULL,
  acquired datetime(6) NOT NULL,
  heartbeat datetime(6) NOT NULL,
  takes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='migtest: the migration lock on Galera clusters'`); err != nil {
		return fmt.Errorf("lock %s: create lock table %s: %w", lk.name, lk.table, err)
	}
	start := time.Now()
	for {
		h, err := m.tryRow(ctx, lk)
		if err != nil {
			return fmt.Errorf("lock %s: %w", lk.name, err)
		}
		if h.RunID == lk.owner {
			return nil
		}
		if time.Since(start) >= wait {
			h.Lock, h.Waited = lk.name+" (row in "+lk.table+")", time.Since(start)
			return h
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(time.Second, wait-time.Since(start)+time.Millisecond)):
		}
	}
}

// tryRow makes one attempt at the lock row and returns its holder after
// it (lk.owner when taken). A certification conflict is tried again.
func (m *Migrator) tryRow(ctx context.Context, lk *lock) (*LockedError, error) {
	stale := "heartbeat < NOW(6) - INTERVAL " + fmt.Sprint(m.lease.Microseconds()) + " MICROSECOND"
	take := func(col string) string { return col + " = IF(" + stale + ", VALUES(" + col + "), " + col + ")" }
	// ON DUPLICATE KEY UPDATE assigns left to right: heartbeat, which the
	// others test, comes last. takes changes the row on every attempt, so
	// that the row is in the write set Galera certifies.
	upsert := "INSERT INTO " + m.q(lk.table) + " (name, run_id, host, pid, node, acquired, heartbeat, takes) VALUES (?, ?, ?, ?, @@hostname, NOW(6), NOW(6), 1)" +
		" ON DUPLICATE KEY UPDATE takes = takes + 1, " + take("run_id") + ", " + take("host") + ", " + take("pid") + ", " + take("node") + ", " +
		take("acquired") + ", heartbeat = IF(run_id = VALUES(run_id), NOW(6), heartbeat)"
	for attempt := 0; ; attempt++ {
		h, err := func() (*LockedError, error) {
			tx, err := lk.conn.BeginTx(ctx, nil)
			if err != nil {
				return nil, err
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(ctx, upsert, lk.name, lk.owner, m.host, m.pid); err != nil {
				return nil, err
			}
			h := &LockedError{}
			var since string
			if err := tx.QueryRowContext(ctx, "SELECT run_id, COALESCE(host, ''), COALESCE(pid, 0), "+timeCol("acquired")+" FROM "+m.q(lk.table)+" WHERE name = ?", lk.name).
				Scan(&h.RunID, &h.Host, &h.PID, &since); err != nil {
				return nil, err
			}
			h.Since = parseTime(sql.NullString{String: since, Valid: true})
			return h, tx.Commit()
		}()
		if err == nil || !conflict(err) || attempt >= 20 {
			return h, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(20+attempt*10) * time.Millisecond):
		}
	}
}

// conflict reports a Galera certification failure or an InnoDB deadlock:
// the transaction may be tried again.
func conflict(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}

// withConn runs fn on the lock's connection, not at the same time as the
// heartbeat.
func (l *lock) withConn(fn func(*sql.Conn) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fn(l.conn)
}

// renew extends a row lock's lease; it returns errLockLost when another
// run took the row. A GET_LOCK needs no renewal.
func (l *lock) renew(ctx context.Context) error {
	if l.owner == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, err := l.conn.ExecContext(ctx, "UPDATE "+patch.QuoteIdent(l.table)+" SET heartbeat = NOW(6) WHERE name = ? AND run_id = ?", l.name, l.owner)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return errLockLost
	}
	return nil
}

// Lock takes the database's migration lock, the one Up and Mark hold,
// waiting up to wait; another holder gives a *LockedError. A command that
// replaces the database's contents (a rollback) holds it, so that it never
// runs under an Up. Call unlock to release it.
func (m *Migrator) Lock(ctx context.Context, wait time.Duration) (unlock func(), err error) {
	lk, err := m.acquire(ctx, wait, newRunID())
	if err != nil {
		return nil, err
	}
	if lk.owner == "" {
		return lk.release, nil
	}
	// A row lock lives on a lease: renew it while it is held.
	hb := m.startHeartbeat(ctx, lk, "", nil)
	return func() { hb.stop(); lk.release() }, nil
}

// release releases the lock and closes its connection.
func (l *lock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner != "" {
		_, _ = l.conn.ExecContext(ctx, "DELETE FROM "+patch.QuoteIdent(l.table)+" WHERE name = ? AND run_id = ?", l.name, l.owner)
	} else {
		_, _ = l.conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", l.name)
	}
	l.discard()
}

// discard closes the connection rather than return it to the pool, so
// that a failed RELEASE_LOCK cannot leave the lock held by a pooled session.
func (l *lock) discard() {
	_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = l.conn.Close()
}
