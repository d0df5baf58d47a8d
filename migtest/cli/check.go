package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/runbook"
)

func (a *app) checkCommand() *cobra.Command {
	var o runbook.CheckOptions
	var asJSON bool
	var topo topoFlags
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
			rb, db, err := a.runbook(ctx, topoOpts...)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := rb.Check(ctx, o)
			if err != nil {
				return err
			}
			if err := a.printResults(res, asJSON); err != nil {
				return err
			}
			if failed := res.Failed(); len(failed) > 0 {
				return fmt.Errorf("preflight failed: %s", strings.Join(failed, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.BackupDir, "backup-dir", "backups", "where up would write its backup (checked for free space)")
	cmd.Flags().StringSliceVar(&o.Critical, "critical", nil, "tables that must exist (comma-separated)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	topo.register(cmd)
	return cmd
}

// printResults prints check or verify results, one a line or as JSON.
func (a *app) printResults(res runbook.Results, asJSON bool) error {
	if asJSON {
		return writeJSON(a.stdout, res)
	}
	for _, r := range res {
		fmt.Fprintln(a.stdout, r)
	}
	return nil
}
