package cli

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/runbook"
)

func (a *app) backupCommand() *cobra.Command {
	var o runbook.BackupOptions
	var verify string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent .sql.gz backup (and a manifest) of the database",
		Long: `backup writes one consistent .sql.gz dump of the database that the stock
mariadb client restores as is, with a manifest beside it (FILE.manifest.json:
server version, tables and row counts, size, sha256). It writes to a temporary
name and renames when complete, mode 0600. --with-files DIR also archives a
site's files directory. --verify FILE re-reads a backup and checks it.`,
		Example: `  migrate backup --dsn 'user:pass@tcp(db:3306)/site1' --out /var/backups/site1.sql.gz
  migrate backup --site-config sites/site1/site_config.json --out site1.sql.gz --with-files sites/site1
  migrate backup --verify /var/backups/site1.sql.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if verify != "" {
				if o.Out != "" {
					return usageErrorf("--verify and --out contradict each other: --verify checks an existing backup")
				}
				m, err := dump.Verify(ctx, verify)
				if err != nil {
					return withCode(ExitMismatch, err)
				}
				fmt.Fprintf(a.stdout, "ok %s: %d tables, %s, sha256 %s\n", verify, len(m.Tables), runbook.Human(m.Bytes), m.SHA256)
				return nil
			}
			if err := o.Validate(); err != nil {
				return err
			}
			rb, db, err := a.runbook(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			m, err := rb.Backup(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s: %d tables, %s in %s, sha256 %s\n", o.Out, len(m.Tables), runbook.Human(m.Bytes), time.Duration(m.Duration).Round(time.Millisecond), m.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Out, "out", "", "backup `FILE` to write (.sql.gz)")
	cmd.Flags().StringVar(&o.WithFiles, "with-files", "", "also archive this site files `DIR` beside the dump")
	cmd.Flags().BoolVar(&o.History, "history", false, "also write the history of system-versioned tables (loading it needs MariaDB 10.11+, like mariadb-dump --dump-history)")
	cmd.Flags().StringVar(&verify, "verify", "", "check an existing backup `FILE` (gzip, completeness, sha256) instead")
	return cmd
}

func (a *app) restoreCommand() *cobra.Command {
	var o runbook.RestoreOptions
	var noSafety bool
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore a .sql or .sql.gz backup into the database",
		Long: `restore loads a .sql or .sql.gz dump (ours, mariadb-dump, mysqldump or a
bench backup; recognised by content; "-" reads stdin) into the DSN's database.
It refuses a database that holds tables, views or routines unless --force,
which first takes a safety backup of it (--backup-dir; --no-safety-backup
skips it) and then empties it. CREATE DATABASE and USE in the dump are redirected to
the target database. On failure the target is emptied again and the error says
so; it never looks complete.`,
		Example: `  migrate restore --dsn 'user:pass@tcp(db:3306)/site1_copy' --file site1.sql.gz
  zcat site1.sql.gz | migrate restore --dsn 'user:pass@tcp(db:3306)/scratch' --file - --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			t, err := a.resolveTarget()
			if err != nil {
				return err
			}
			if noSafety {
				o.SafetyBackupDir = ""
			}
			ro := a.runbookOptions()
			o.Logger, o.Bytes, o.ToolVersion = ro.Logger, ro.Bytes, ro.ToolVersion
			res, err := runbook.Restore(cmd.Context(), t, o)
			if res != nil && res.SafetyBackup != "" {
				fmt.Fprintf(a.stdout, "safety backup: %s (undo the restore with: migrate restore --force --file %s)\n", res.SafetyBackup, res.SafetyBackup)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.File, "file", "", "dump `FILE` to restore (.sql or .sql.gz; - for stdin)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace the contents of a database that is not empty (after a safety backup)")
	cmd.Flags().StringVar(&o.Charset, "charset", "", "default character set of a database the restore creates (default: the dump's, from its manifest or CREATE/ALTER DATABASE, else the server's)")
	cmd.Flags().StringVar(&o.Collation, "collation", "", "default collation of a database the restore creates (default: as --charset)")
	cmd.Flags().StringVar(&o.SafetyBackupDir, "backup-dir", "backups", "directory for the safety backup --force takes")
	cmd.Flags().BoolVar(&noSafety, "no-safety-backup", false, "with --force, do not back up the current contents first")
	return cmd
}

func (a *app) rollbackCommand() *cobra.Command {
	var o runbook.RollbackOptions
	var yes bool
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Restore the backup the last up took (after a safety backup of the current state)",
		Long: `rollback restores the backup recorded by the last up (or --backup FILE) into
the database, replacing its contents. First it takes a safety backup of the
current state, by default beside the backup it restores (--backup-dir to
choose), so a rollback can itself be undone. It asks for confirmation on a
terminal; elsewhere pass --yes. With --touched it restores only the tables
the up's patches wrote to (recorded beside the backup) and drops the tables
they created: much faster on a big site, and the tables the run did not
touch keep the writes made since.`,
		Example: `  migrate rollback --dsn 'user:pass@tcp(db:3306)/site1' --yes
  migrate rollback --dsn 'user:pass@tcp(db:3306)/site1' --yes --touched
  migrate rollback --site-config sites/site1/site_config.json --backup /var/backups/site1-20261124T020000Z.sql.gz`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			rb, db, err := a.runbook(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if !yes {
				o.Confirm = func(backup string) error {
					return a.confirm(fmt.Sprintf("Replace the contents of %s with %s?", rb.Target().Database(), backup))
				}
			}
			res, err := rb.Rollback(ctx, o)
			if res != nil && res.SafetyBackup != "" {
				fmt.Fprintf(a.stdout, "safety backup: %s (undo the rollback with: migrate rollback --backup %s)\n", res.SafetyBackup, res.SafetyBackup)
			}
			if err != nil {
				return err
			}
			if o.Touched {
				fmt.Fprintf(a.stdout, "restored %d tables the run touched: %s\n", len(res.Tables), strings.Join(res.Tables, ", "))
			}
			fmt.Fprintf(a.stdout, "rolled back %s to %s\n", rb.Target().Database(), res.Backup)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Backup, "backup", "", "restore this backup `FILE` instead of the last up's")
	cmd.Flags().StringVar(&o.SafetyBackupDir, "backup-dir", "", "directory for the safety backup (default: beside the backup restored)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&o.NoSafetyBackup, "no-safety-backup", false, "skip the safety backup of the current state")
	cmd.Flags().BoolVar(&o.Touched, "touched", false, "restore only the tables the run wrote to (and drop those it created), not the whole database")
	return cmd
}

// confirm asks on a terminal; elsewhere it needs --yes.
func (a *app) confirm(question string) error {
	in, ok := os.Stdin, term.IsTerminal(int(os.Stdin.Fd()))
	if !ok {
		return usageErrorf("%s Not on a terminal: pass --yes to confirm", question)
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	if s := strings.ToLower(strings.TrimSpace(line)); s != "y" && s != "yes" {
		return fmt.Errorf("not confirmed; nothing was changed")
	}
	return nil
}
