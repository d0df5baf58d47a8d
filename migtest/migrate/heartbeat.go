package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// heartbeat renews a run's signs of life while it runs: the heartbeat
// column of its run-log row, and the lease of its lock row on Galera.
type heartbeat struct {
	stopCh chan struct{}
	done   chan struct{}
}

// startHeartbeat beats every m.beat until stop. runID names the run-log
// row to touch ("" for none: a lock held outside an up). When the lock row
// was taken over, or could not be renewed for a whole lease, it calls lost
// with errLockLost, which cancels the run.
func (m *Migrator) startHeartbeat(ctx context.Context, lk *lock, runID string, lost context.CancelCauseFunc) *heartbeat {
	h := &heartbeat{stopCh: make(chan struct{}), done: make(chan struct{})}
	ctx = context.WithoutCancel(ctx)
	go func() {
		defer close(h.done)
		t := time.NewTicker(m.beat)
		defer t.Stop()
		renewed := time.Now()
		for {
			select {
			case <-h.stopCh:
				return
			case <-t.C:
			}
			if err := m.beatOnce(ctx, lk, runID); err == nil {
				renewed = time.Now()
				continue
			} else if errors.Is(err, errLockLost) || time.Since(renewed) > m.lease {
				m.log.Error("migration lock lost: stopping the run", "lock", lk.name, "err", err)
				if lost != nil {
					lost(errLockLost)
				}
				return
			} else {
				m.log.Warn("heartbeat failed; trying again", "lock", lk.name, "err", err)
			}
		}
	}()
	return h
}

// beatOnce renews the lock row and touches the run-log row.
func (m *Migrator) beatOnce(ctx context.Context, lk *lock, runID string) error {
	ctx, cancel := context.WithTimeout(ctx, m.beat*5)
	defer cancel()
	if err := lk.renew(ctx); err != nil {
		return err
	}
	if runID == "" {
		return nil
	}
	_, err := m.db.ExecContext(ctx, "UPDATE "+m.q(m.runTable)+" SET heartbeat = NOW(6) WHERE run_id = ?", runID)
	return err
}

// stop ends the heartbeat and waits for it.
func (h *heartbeat) stop() {
	close(h.stopCh)
	<-h.done
}

// reapRuns marks interrupted the runs the run log says are running and
// that are dead: on a standalone server, those whose connection is gone
// (their lock went with it); on Galera, or for a run that recorded no
// connection, those whose heartbeat stopped for a lease. A live one is
// another run applying patches now: Up stops with a *LockedError naming
// it rather than take its running patch for an interrupted one.
func (m *Migrator) reapRuns(ctx context.Context, lk *lock) error {
	type running struct {
		id, host string
		pid      int
		started  time.Time
		connID   int64
		fresh    bool
	}
	var runs []running
	err := lk.withConn(func(conn *sql.Conn) error {
		rows, err := conn.QueryContext(ctx, "SELECT run_id, COALESCE(host, ''), COALESCE(pid, 0), "+timeCol("started")+", COALESCE(conn_id, 0),"+
			" COALESCE(heartbeat > NOW(6) - INTERVAL ? MICROSECOND, 0) FROM "+m.q(m.runTable)+" WHERE kind = 'up' AND status = 'running'", m.lease.Microseconds())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r running
			var started sql.NullString
			if err := rows.Scan(&r.id, &r.host, &r.pid, &started, &r.connID, &r.fresh); err != nil {
				return err
			}
			r.started = parseTime(started)
			runs = append(runs, r)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("run log %s: read running runs: %w", m.runTable, err)
	}
	for _, r := range runs {
		live := r.fresh
		if lk.owner == "" && r.connID != 0 {
			live, err = m.connAlive(ctx, r.connID)
			if err != nil {
				return err
			}
		}
		if live {
			return &LockedError{Lock: lk.name + " (run log " + m.runTable + ": a live run)", RunID: r.id, Host: r.host, PID: r.pid, Since: r.started}
		}
		m.log.Warn("an earlier run died while running; marking it interrupted", "run_id", r.id, "host", r.host, "pid", r.pid)
		if _, err := m.db.ExecContext(ctx, "UPDATE "+m.q(m.runTable)+" SET status = 'interrupted' WHERE run_id = ? AND status = 'running'", r.id); err != nil {
			return fmt.Errorf("run log %s: %w", m.runTable, err)
		}
	}
	return nil
}

// connAlive reports whether the server has a connection with this id.
func (m *Migrator) connAlive(ctx context.Context, id int64) (bool, error) {
	var n int
	if err := m.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n); err != nil {
		return false, fmt.Errorf("look for connection %d: %w", id, err)
	}
	return n > 0, nil
}
