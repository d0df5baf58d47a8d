package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/adopt"
	"github.com/migtest/migtest/migtest/sqlpatch"
)

func (a *app) adoptCommand() *cobra.Command {
	var from, table, reason string
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "adopt --from goose|golang-migrate|flyway --reason TEXT",
		Short: "Record the SQL migrations another tool applied as done in migtest's log",
		Long: `adopt reads the applied-version table of goose (goose_db_version), golang-migrate
(schema_migrations) or Flyway (flyway_schema_history) and records each file of
the patch set that the tool applied as done in migtest's patch log, with who
and why, without running it. A dirty or failed version, and a Flyway file
whose checksum differs from the one Flyway recorded, are reported and not
adopted (exit 1); files the tool had not applied stay pending for up.`,
		Example: `  migrate adopt --from goose --dry-run
  migrate adopt --from golang-migrate --reason "moving to migtest, OPS-12"
  migrate adopt --from flyway --table app_schema_history --reason "moving to migtest"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := sqlpatch.ParseFormat(from)
			if err != nil {
				return usageErrorf("--from: %v", err)
			}
			if !dryRun && strings.TrimSpace(reason) == "" {
				return usageErrorf("adopt needs --reason TEXT (kept in the log with who adopted), or --dry-run")
			}
			ctx := cmd.Context()
			m, db, _, err := a.migrator(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := adopt.Read(ctx, db, m, a.set, adopt.Options{From: f, Table: table})
			if err != nil {
				return err
			}
			if !dryRun {
				if _, err := adopt.Record(ctx, db, m, rep, reason); err != nil {
					return err // exitCode maps a *migrate.LockedError to ExitLocked
				}
			}
			if err := a.printAdopt(rep, dryRun, asJSON); err != nil {
				return err
			}
			if p := rep.Problems(); len(p) > 0 {
				return fmt.Errorf("%d %s not adopted: %s", len(p), plural(len(p), "migration", "migrations"), strings.Join(p, "; "))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "the tool that migrated the database: goose, golang-migrate or flyway")
	fl.StringVar(&table, "table", "", "the tool's history table, when not its default")
	fl.StringVar(&reason, "reason", "", "why (kept in the log with who adopted)")
	fl.BoolVar(&dryRun, "dry-run", false, "show what would be adopted; change nothing")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

func (a *app) printAdopt(rep *adopt.Report, dryRun, asJSON bool) error {
	if asJSON {
		return writeJSON(a.stdout, rep)
	}
	verb := "adopted"
	if dryRun {
		verb = "would adopt"
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	n := 0
	for _, e := range rep.Entries {
		action := string(e.Action)
		if e.Action == adopt.Adopt {
			action, n = verb, n+1
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.PatchID, e.Version, action, e.Detail)
	}
	for _, v := range rep.Unknown {
		fmt.Fprintf(tw, "  ?\t%s\tunknown\tin %s, no file in the patch set\n", v, rep.Table)
	}
	fmt.Fprintf(a.stdout, "%s %s: %d of %d %s files %s\n", rep.From, rep.Table, n, len(rep.Entries), rep.From, verb)
	return tw.Flush()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
