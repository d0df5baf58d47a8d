package runbook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/migtest/migtest/migtest/migrate"
)

// CheckOptions configure Check.
type CheckOptions struct {
	// BackupDir is where up would write its backup; its free space is
	// checked (default "backups").
	BackupDir string
	// Critical are tables that must exist.
	Critical []string
}

// Validate reports what is wrong with o, or nil.
func (o CheckOptions) Validate() error {
	for _, c := range o.Critical {
		if strings.TrimSpace(c) == "" {
			return inputErrorf("an empty name in the critical tables: list table names separated by commas")
		}
	}
	return nil
}

// Check is the preflight before up: connection, server version,
// privileges, disk space for a backup, critical tables, the migration
// lock, failed patches and long transactions, one Result each. The error
// is for the checks that could not run at all; a failed check is a Result
// with OK false (Results.Err joins them).
func (r *Runbook) Check(ctx context.Context, o CheckOptions) (Results, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	m, err := r.Migrator()
	if err != nil {
		return nil, err
	}
	if o.BackupDir == "" {
		o.BackupDir = "backups"
	}
	db, t, backupDir, critical := r.db, r.target, o.BackupDir, o.Critical
	var out Results
	add := out.adder()
	add("connection", nil, fmt.Sprintf("%s as %s", t.Config.Addr, t.Config.User))

	var version string
	err = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	if err == nil && !strings.Contains(strings.ToLower(version), "mariadb") {
		version += " (MySQL: supported, rehearse on the same flavour)"
	}
	add("server version", err, version)

	add("privileges", checkGrants(ctx, db, t.Database()), "can create, alter, drop, select, insert, update, delete, lock, show view, trigger")

	detail, err := diskForBackup(ctx, db, t.Database(), backupDir)
	add("disk for backup", err, detail)

	if len(critical) > 0 {
		add("critical tables", missingTables(ctx, db, t.Database(), critical), strings.Join(critical, ", "))
	}

	var free sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT IS_FREE_LOCK(?)", "migtest:"+t.Database()).Scan(&free)
	if err == nil && free.Valid && free.Int64 == 0 {
		err = errors.New("another migration holds the lock now: wait for it (migrate status shows the last run)")
	}
	add("lock free", err, "no migration running")

	detail, err = failedPatches(ctx, m)
	add("no failed patches", err, detail)

	long, err := longTransactions(ctx, db)
	if err == nil && len(long) > 0 {
		err = fmt.Errorf("long transactions may block DDL: %s", strings.Join(long, "; "))
	}
	add("long transactions", err, "none over 60s")
	return append(out, topologyChecks(ctx, m)...), nil
}

// topologyChecks are check's lines about replication and clustering: a
// writable primary, the binlog, Galera's state, each watched replica's lag.
func topologyChecks(ctx context.Context, m *migrate.Migrator) Results {
	topo, err := m.Topology(ctx)
	if err != nil {
		return Results{{Name: "topology", Detail: oneLine(err.Error())}}
	}
	var out Results
	for _, f := range topo.Findings() {
		r := Result{Name: f.Name, OK: f.Problem == nil, Detail: f.Detail}
		if f.Problem != nil {
			r.Detail = oneLine(f.Problem.Error())
		}
		out = append(out, r)
	}
	return out
}

// diskForBackup checks that backupDir has room for a backup of database:
// half its data and index size, a margin for a gzip'd dump.
func diskForBackup(ctx context.Context, db *sql.DB, database, backupDir string) (string, error) {
	var dataBytes int64
	err := db.QueryRowContext(ctx, "SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database).Scan(&dataBytes)
	if err != nil {
		return "", err
	}
	free, err := freeBytes(backupDir)
	if err == nil && free < uint64(dataBytes/2) {
		err = fmt.Errorf("%s has %s free, a backup of %s of data may need up to %s: free space or use --backup-dir", backupDir, Human(int64(free)), Human(dataBytes), Human(dataBytes/2))
	}
	return fmt.Sprintf("%s of data, %s free in %s", Human(dataBytes), Human(int64(free)), backupDir), err
}

// missingTables names the critical tables database lacks.
func missingTables(ctx context.Context, db *sql.DB, database string, critical []string) error {
	have, err := baseTables(ctx, db, database)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	var missing []string
	for _, c := range critical {
		if !set[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// failedPatches names the patches that failed in an earlier run.
func failedPatches(ctx context.Context, m *migrate.Migrator) (string, error) {
	st, err := m.Status(ctx)
	if err != nil {
		return "", err
	}
	detail := fmt.Sprintf("%d applied, %d pending", st.Applied, st.Pending)
	if st.Failed == 0 {
		return detail, nil
	}
	var ids []string
	for _, e := range st.Patches {
		if e.State == migrate.StateFailed {
			ids = append(ids, e.ID)
		}
	}
	return detail, fmt.Errorf("%d failed patches: %s; fix them, then up retries them (or mark them)", st.Failed, strings.Join(ids, ", "))
}

// checkGrants checks that the current user can do what backup and patches need.
func checkGrants(ctx context.Context, db *sql.DB, database string) error {
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		return fmt.Errorf("read grants: %w", err)
	}
	defer rows.Close()
	var grants []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return fmt.Errorf("read grants: %w", err)
		}
		grants = append(grants, strings.ToUpper(g))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read grants: %w", err)
	}
	have := map[string]bool{}
	for _, g := range grants {
		on := strings.Index(g, " ON ")
		if on < 0 || !strings.HasPrefix(g, "GRANT ") {
			continue
		}
		scope := g[on+4:]
		if !strings.HasPrefix(scope, "*.*") && !strings.Contains(scope, "`"+strings.ToUpper(database)+"`.*") && !strings.HasPrefix(scope, "`"+strings.ToUpper(strings.ReplaceAll(database, "_", "\\_"))+"`.*") {
			continue
		}
		for _, p := range strings.Split(g[6:on], ",") {
			have[strings.TrimSpace(p)] = true
		}
	}
	if have["ALL PRIVILEGES"] {
		return nil
	}
	var missing []string
	for _, p := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "INDEX", "LOCK TABLES", "SHOW VIEW", "TRIGGER"} {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the user lacks %s on %s: GRANT them, or use the site's own user", strings.Join(missing, ", "), database)
	}
	return nil
}

// longTransactions names sessions with a transaction open for over 60 s.
func longTransactions(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT t.trx_mysql_thread_id, COALESCE(p.USER, ''), COALESCE(p.HOST, ''), TIMESTAMPDIFF(SECOND, t.trx_started, NOW())
FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
WHERE t.trx_started < NOW() - INTERVAL 60 SECOND`)
	if err != nil {
		return nil, fmt.Errorf("read open transactions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, secs int64
		var user, host string
		if err := rows.Scan(&id, &user, &host, &secs); err != nil {
			return nil, fmt.Errorf("read open transactions: %w", err)
		}
		out = append(out, fmt.Sprintf("connection %d (%s@%s) open %ds", id, user, host, secs))
	}
	return out, rows.Err()
}

// freeBytes is the space available to an unprivileged user in dir (created if missing).
func freeBytes(dir string) (uint64, error) {
	if err := CheckWritableDir(dir); err != nil {
		return 0, err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Human prints a byte count in binary units: 512 B, 1.5 MiB.
func Human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
