package cli

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/migrate"
)

// blocker is a session that may hold a metadata lock a DDL waits for: one
// with an open transaction that is idle, or one already waiting on a lock.
type blocker struct {
	ID      int64
	User    string
	Host    string
	Command string
	Idle    time.Duration
	TrxAge  time.Duration
	State   string
}

func (b blocker) String() string {
	return fmt.Sprintf("session %d (%s@%s, %s, idle %s, transaction open %s%s)", b.ID, b.User, b.Host, b.Command,
		b.Idle.Round(time.Second), b.TrxAge.Round(time.Second), map[bool]string{true: ", " + b.State, false: ""}[b.State != ""])
}

// blockers lists the sessions other than ours that have an open
// transaction, or wait on a metadata lock.
func blockers(ctx context.Context, db *sql.DB) ([]blocker, error) {
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
	var out []blocker
	for rows.Next() {
		var b blocker
		var idle, age int64
		if err := rows.Scan(&b.ID, &b.User, &b.Host, &b.Command, &idle, &age, &b.State); err != nil {
			return nil, err
		}
		b.Idle, b.TrxAge = time.Duration(idle)*time.Second, time.Duration(age)*time.Second
		out = append(out, b)
	}
	return out, rows.Err()
}

// ddlGuard returns a statement hook that, before each DDL, names the
// sessions that may block it (idle open transactions hold metadata locks
// until they end) and, with killAfter > 0, kills those sleeping longer than
// killAfter. It never fails the statement itself: lock_wait_timeout bounds
// the wait, and its error names the table.
func (a *app) ddlGuard(db *sql.DB, killAfter time.Duration) migrate.StatementHook {
	return func(ctx context.Context, query string) error {
		locked, ok := sqltext.LockedTable(query, sqltext.Dialect{})
		if !ok {
			return nil
		}
		table := locked.String()
		bs, err := blockers(ctx, db)
		if err != nil {
			a.log.Debug("cannot list sessions before DDL", "table", table, "err", err)
			return nil
		}
		for _, b := range bs {
			if killAfter > 0 && b.Command == "Sleep" && b.Idle >= killAfter {
				if _, err := db.ExecContext(ctx, fmt.Sprintf("KILL %d", b.ID)); err != nil {
					a.log.Warn("could not kill an idle session that may block DDL", "table", table, "session", b.String(), "err", err)
					continue
				}
				a.log.Warn("killed an idle session that may block DDL (--kill-idle-blockers)", "table", table, "session", b.String())
				continue
			}
			a.log.Warn("a session with an open transaction may block DDL; it waits at most lock_wait_timeout", "table", table, "session", b.String())
		}
		return nil
	}
}
