package migrate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/fnv"
	"time"
)

// LockedError is returned by Up and Mark when another migration holds the
// database's lock. The CLI maps it to exit code 3.
type LockedError struct {
	// Lock is the GET_LOCK name, "migtest:<database>".
	Lock string
	// Holder, from the run log; empty when unknown (the holder is not
	// migtest's runner, or has not written its run-log row yet).
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

// lock is a held GET_LOCK on a dedicated connection: the server releases it
// when the connection goes, so a killed process never leaves it behind.
type lock struct {
	conn *sql.Conn
	name string
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

// acquire takes the lock, waiting up to wait.
func (m *Migrator) acquire(ctx context.Context, wait time.Duration) (*lock, error) {
	name, err := m.lockName(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: open a connection: %w", name, err)
	}
	start := time.Now()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, wait.Seconds()).Scan(&got); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		le := &LockedError{Lock: name, Waited: time.Since(start)}
		if r, err := m.lastRun(ctx, "running"); err == nil && r != nil {
			le.Host, le.PID, le.Since, le.RunID = r.Host, r.PID, r.Started, r.RunID
		}
		return nil, le
	}
	return &lock{conn: conn, name: name}, nil
}

// Lock takes the database's migration lock, the one Up and Mark hold,
// waiting up to wait; another holder gives a *LockedError. A command that
// replaces the database's contents (a rollback) holds it, so that it never
// runs under an Up. Call unlock to release it.
func (m *Migrator) Lock(ctx context.Context, wait time.Duration) (unlock func(), err error) {
	lk, err := m.acquire(ctx, wait)
	if err != nil {
		return nil, err
	}
	return lk.release, nil
}

// release releases the lock and closes its connection.
func (l *lock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", l.name)
	// Discard the connection rather than return it to the pool, so that a
	// failed RELEASE_LOCK cannot leave the lock held by a pooled session.
	_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = l.conn.Close()
}
