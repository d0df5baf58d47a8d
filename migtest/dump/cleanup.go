package dump

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// listObjects returns the tables, views, sequences, triggers, routines and
// events of database, keyed "KIND name".
func listObjects(ctx context.Context, conn *sql.Conn, database string) (map[string]string, error) {
	objs := map[string]string{}
	queries := []struct{ kind, q string }{
		{"", "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?"},
		{"TRIGGER", "SELECT TRIGGER_NAME, '' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?"},
		{"", "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?"},
		{"EVENT", "SELECT EVENT_NAME, '' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?"},
	}
	for _, q := range queries {
		if err := func() error {
			rows, err := conn.QueryContext(ctx, q.q, database)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var name, typ string
				if err := rows.Scan(&name, &typ); err != nil {
					return err
				}
				kind := q.kind
				if kind == "" {
					switch typ {
					case "VIEW":
						kind = "VIEW"
					case "SEQUENCE":
						kind = "SEQUENCE"
					case "PROCEDURE", "FUNCTION", "PACKAGE", "PACKAGE BODY":
						kind = typ
					default:
						kind = "TABLE"
					}
				}
				objs[kind+" "+name] = name
			}
			return rows.Err()
		}(); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// cleanup drops what a failed restore created and says so, for the error.
func (l *loader) cleanup() string {
	if l.before == nil {
		return "" // failed before anything ran
	}
	if l.cfg.keep {
		return "; kept what it had created (WithKeepOnError): the database is incomplete"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return fmt.Sprintf("; could not connect to drop what it had created (%v): the database %s is incomplete, drop it", err, quoteIdent(l.target))
	}
	defer discard(conn)
	waitQuiet(ctx, conn, l.target)
	now, err := listObjects(ctx, conn, l.target)
	if err != nil {
		return fmt.Sprintf("; could not list what it had created (%v): the database %s is incomplete, drop it", err, quoteIdent(l.target))
	}
	var created []string
	for k := range now {
		if _, ok := l.before[k]; !ok {
			created = append(created, k)
		}
	}
	if len(created) == 0 {
		return "; it had created nothing"
	}
	order := map[string]int{"TRIGGER": 0, "EVENT": 1, "PROCEDURE": 2, "FUNCTION": 2, "PACKAGE BODY": 2, "PACKAGE": 3, "VIEW": 4, "TABLE": 5, "SEQUENCE": 5}
	sort.Slice(created, func(i, j int) bool {
		ki, kj := kindOf(created[i]), kindOf(created[j])
		if order[ki] != order[kj] {
			return order[ki] < order[kj]
		}
		return created[i] < created[j]
	})
	_, _ = conn.ExecContext(ctx, "SET SESSION foreign_key_checks=0")
	counts := map[string]int{}
	var failed []string
	for _, k := range created {
		kind, name := kindOf(k), now[k]
		q := "DROP " + kind + " IF EXISTS " + quoteIdent(l.target) + "." + quoteIdent(name)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			failed = append(failed, fmt.Sprintf("%s %s: %v", strings.ToLower(kind), name, err))
			continue
		}
		counts[kind]++
	}
	var parts []string
	for _, kind := range []string{"TABLE", "SEQUENCE", "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "PACKAGE", "PACKAGE BODY", "EVENT"} {
		if n := counts[kind]; n > 0 {
			w := strings.ToLower(kind)
			if n > 1 {
				w += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	msg := "; dropped what it had created (" + strings.Join(parts, ", ") + ")"
	if len(failed) > 0 {
		return msg + fmt.Sprintf(", but not %s: the database %s is incomplete, drop it", strings.Join(failed, "; "), quoteIdent(l.target))
	}
	if len(l.before) > 0 {
		msg += fmt.Sprintf("; the %d objects that were there before may have been changed", len(l.before))
	}
	return msg
}

func kindOf(key string) string {
	if strings.HasPrefix(key, "PACKAGE BODY ") {
		return "PACKAGE BODY"
	}
	k, _, _ := strings.Cut(key, " ")
	return k
}

// waitQuiet waits, up to half a minute, until no other session runs a
// statement in database. A worker whose statement was cancelled when the
// restore failed has its connection closed by the driver, but the server
// finishes the statement it was running (a CREATE TABLE, say): listing what
// the restore created before then would miss it and leave it behind.
func waitQuiet(ctx context.Context, conn *sql.Conn, database string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.PROCESSLIST
WHERE DB = ? AND ID <> CONNECTION_ID() AND COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump')`, database).Scan(&n)
		if err != nil || n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}
