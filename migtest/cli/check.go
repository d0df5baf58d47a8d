package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/migrate"
)

func (a *app) checkCommand() *cobra.Command {
	var (
		backupDir string
		critical  []string
		asJSON    bool
		topo      topoFlags
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Preflight: connection, version, privileges, disk space, critical tables, lock, failed patches",
		Example: `  migrate check --dsn 'user:pass@tcp(db:3306)/site1' --backup-dir /var/backups/migrate
  migrate check --site-config sites/site1/site_config.json --critical tabDocType,tabSingles`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			topoOpts, closeReplicas, err := topo.open(ctx, a)
			if err != nil {
				return err
			}
			defer closeReplicas()
			m, db, t, err := a.migrator(ctx, topoOpts...)
			if err != nil {
				return err
			}
			defer db.Close()
			res := append(a.preflight(ctx, m, db, t, backupDir, critical), topologyChecks(ctx, m)...)
			if asJSON {
				if err := writeJSON(a.stdout, res); err != nil {
					return err
				}
			} else {
				for _, r := range res {
					fmt.Fprintln(a.stdout, r)
				}
			}
			var failed []string
			for _, r := range res {
				if !r.OK {
					failed = append(failed, r.Name)
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("preflight failed: %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&backupDir, "backup-dir", "backups", "where up would write its backup (checked for free space)")
	cmd.Flags().StringSliceVar(&critical, "critical", nil, "tables that must exist (comma-separated)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	topo.register(cmd)
	return cmd
}

// preflight runs the checks of `check`, one result each.
func (a *app) preflight(ctx context.Context, m *migrate.Migrator, db *sql.DB, t *target, backupDir string, critical []string) []checkResult {
	var out []checkResult
	add := func(name string, err error, detail string) {
		r := checkResult{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			r.Detail = oneLine(err.Error())
		}
		out = append(out, r)
	}
	add("connection", nil, fmt.Sprintf("%s as %s", t.cfg.Addr, t.cfg.User))

	var version string
	err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	if err == nil && !strings.Contains(strings.ToLower(version), "mariadb") {
		version += " (MySQL: supported, rehearse on the same flavour)"
	}
	add("server version", err, version)

	add("privileges", checkGrants(ctx, db, t.name), "can create, alter, drop, select, insert, update, delete, lock, show view, trigger")

	var dataBytes int64
	err = db.QueryRowContext(ctx, "SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", t.name).Scan(&dataBytes)
	if err == nil {
		var free uint64
		free, err = freeBytes(backupDir)
		// A gzip'd dump is far smaller than the data; ask for half of it as a margin.
		if err == nil && free < uint64(dataBytes/2) {
			err = fmt.Errorf("%s has %s free, a backup of %s of data may need up to %s: free space or use --backup-dir", backupDir, human(int64(free)), human(dataBytes), human(dataBytes/2))
		}
		add("disk for backup", err, fmt.Sprintf("%s of data, %s free in %s", human(dataBytes), human(int64(free)), backupDir))
	} else {
		add("disk for backup", err, "")
	}

	if len(critical) > 0 {
		have, err := baseTables(ctx, db, t.name)
		if err == nil {
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
				err = fmt.Errorf("missing: %s", strings.Join(missing, ", "))
			}
		}
		add("critical tables", err, strings.Join(critical, ", "))
	}

	var free sql.NullInt64
	err = db.QueryRowContext(ctx, "SELECT IS_FREE_LOCK(?)", "migtest:"+t.name).Scan(&free)
	if err == nil && free.Valid && free.Int64 == 0 {
		err = errors.New("another migration holds the lock now: wait for it (migrate status shows the last run)")
	}
	add("lock free", err, "no migration running")

	st, err := m.Status(ctx)
	if err == nil && st.Failed > 0 {
		var ids []string
		for _, e := range st.Patches {
			if e.State == migrate.StateFailed {
				ids = append(ids, e.ID)
			}
		}
		err = fmt.Errorf("%d failed patches: %s; fix them, then up retries them (or mark them)", st.Failed, strings.Join(ids, ", "))
	}
	detail := ""
	if st != nil {
		detail = fmt.Sprintf("%d applied, %d pending", st.Applied, st.Pending)
	}
	add("no failed patches", err, detail)

	long, err := longTransactions(ctx, db)
	if err == nil && len(long) > 0 {
		err = fmt.Errorf("long transactions may block DDL: %s", strings.Join(long, "; "))
	}
	add("long transactions", err, "none over 60s")
	return out
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
	if err := checkWritableDir(dir); err != nil {
		return 0, err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// human prints a byte count.
func human(n int64) string {
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
