package runbook

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/migrate"
)

// Blocker is a session that may hold a metadata lock a DDL waits for: one
// with an open transaction that is idle, or one already waiting on a lock.
type Blocker struct {
	ID      int64         // the session's connection id (KILL ID)
	User    string        // its user
	Host    string        // its client host:port
	Command string        // Sleep for a session idle in its transaction
	Idle    time.Duration // time in its current command
	TrxAge  time.Duration // age of its open transaction
	State   string        // e.g. "Waiting for table metadata lock"
}

// String names the session for a log line.
func (b Blocker) String() string {
	return fmt.Sprintf("session %d (%s@%s, %s, idle %s, transaction open %s%s)", b.ID, b.User, b.Host, b.Command,
		b.Idle.Round(time.Second), b.TrxAge.Round(time.Second), map[bool]string{true: ", " + b.State, false: ""}[b.State != ""])
}

// Blockers lists the sessions other than the caller's that have an open
// transaction (and so may hold a metadata lock a DDL waits for), or wait on
// a metadata lock themselves, longest idle first.
func Blockers(ctx context.Context, db *sql.DB) ([]Blocker, error) {
	rows, err := db.QueryContext(ctx, `
SELECT p.ID, p.USER, p.HOST, p.COMMAND, p.TIME, COALESCE(TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), 0), COALESCE(p.STATE, '')
FROM information_schema.PROCESSLIST p
LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
WHERE p.ID <> CONNECTION_ID() AND p.COMMAND NOT IN ('Daemon', 'Binlog Dump')
  AND (t.trx_id IS NOT NULL OR p.STATE LIKE 'Waiting for%metadata lock%')
ORDER BY p.TIME DESC`)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []Blocker
	for rows.Next() {
		var b Blocker
		var idle, age int64
		if err := rows.Scan(&b.ID, &b.User, &b.Host, &b.Command, &idle, &age, &b.State); err != nil {
			return nil, err
		}
		b.Idle, b.TrxAge = time.Duration(idle)*time.Second, time.Duration(age)*time.Second
		out = append(out, b)
	}
	return out, rows.Err()
}

// DDLGuard returns a statement hook that, before each DDL, logs the
// sessions that may block it (idle open transactions hold metadata locks
// until they end) and, with killAfter > 0, kills those sleeping longer than
// killAfter. It never fails the statement itself: lock_wait_timeout bounds
// the wait, and its error names the table.
func DDLGuard(db *sql.DB, log *slog.Logger, killAfter time.Duration) migrate.StatementHook {
	return func(ctx context.Context, query string) error {
		locked, ok := sqltext.LockedTable(query, sqltext.Dialect{})
		if !ok {
			return nil
		}
		table := locked.String()
		bs, err := Blockers(ctx, db)
		if err != nil {
			log.Debug("cannot list sessions before DDL", "table", table, "err", err)
			return nil
		}
		for _, b := range bs {
			if killAfter > 0 && b.Command == "Sleep" && b.Idle >= killAfter {
				if _, err := db.ExecContext(ctx, fmt.Sprintf("KILL %d", b.ID)); err != nil {
					log.Warn("could not kill an idle session that may block DDL", "table", table, "session", b.String(), "err", err)
					continue
				}
				log.Warn("killed an idle session that may block DDL (--kill-idle-blockers)", "table", table, "session", b.String())
				continue
			}
			log.Warn("a session with an open transaction may block DDL; it waits at most lock_wait_timeout", "table", table, "session", b.String())
		}
		return nil
	}
}
