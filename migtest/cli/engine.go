package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/runbook"
)

// Version is the tool version recorded in the patch and run logs.
var Version = "dev"

// migrator opens the target and a Migrator over the app's patch set.
func (a *app) migrator(ctx context.Context) (*migrate.Migrator, *sql.DB, runbook.Target, error) {
	rb, db, err := a.runbook(ctx)
	if err != nil {
		return nil, nil, runbook.Target{}, err
	}
	m, err := rb.Migrator()
	if err != nil {
		db.Close()
		return nil, nil, runbook.Target{}, err
	}
	return m, db, rb.Target(), nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) statusCommand() *cobra.Command {
	var asJSON bool
	var sites siteFlags
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show applied, pending, failed and unknown patches",
		Example: "  migrate status --dsn 'user:pass@tcp(db:3306)/site1'\n  migrate status --site-config sites/site1/site_config.json --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sites.file != "" {
				return a.forSites(cmd.Context(), sites, func(ctx context.Context, sa *app, _ string) error {
					return sa.status(ctx, asJSON)
				})
			}
			return a.status(cmd.Context(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	sites.register(cmd)
	return cmd
}

func (a *app) status(ctx context.Context, asJSON bool) error {
	rb, db, err := a.runbook(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := rb.Status(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.stdout, st)
	}
	printStatus(a.stdout, st)
	return nil
}

func printStatus(w io.Writer, st *migrate.Status) {
	fmt.Fprintf(w, "database %s on %s: %d applied, %d pending, %d failed, %d unknown\n",
		st.Database, st.ServerVersion, st.Applied, st.Pending, st.Failed, len(st.Unknown))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range st.Patches {
		when := ""
		if !e.Finished.IsZero() {
			when = e.Finished.UTC().Format(time.RFC3339)
		}
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", e.State, e.ID, when, e.Description)
		if e.Error != "" {
			line += "\terror: " + oneLine(trimStacks(e.Error))
		}
		fmt.Fprintln(tw, line)
	}
	for _, e := range st.Unknown {
		fmt.Fprintf(tw, "  unknown\t%s\t%s\tin the log, no longer in the patch set\n", e.ID, e.State)
	}
	tw.Flush()
	if r := st.LastRun; r != nil {
		fmt.Fprintf(w, "last run %s (%s): %s, %d patches, started %s on %s\n", r.RunID, r.Kind, r.State, r.PatchesRun, r.Started.UTC().Format(time.RFC3339), r.Host)
	}
}

func (a *app) planCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "plan",
		Short:   "List what up would run, in order; changes nothing",
		Example: "  migrate plan --dsn 'user:pass@tcp(db:3306)/site1'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.plan(cmd.Context(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) plan(ctx context.Context, asJSON bool) error {
	m, db, t, err := a.migrator(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	pl, err := m.Plan(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.stdout, pl)
	}
	if len(pl) == 0 {
		fmt.Fprintf(a.stdout, "nothing to do: every patch is applied on %s\n", t.Database())
		return nil
	}
	fmt.Fprintf(a.stdout, "up would run %d patches on %s:\n", len(pl), t.Database())
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	for i, p := range pl {
		note := ""
		if p.State != migrate.StatePending {
			note = fmt.Sprintf(" (%s, attempt %d)", p.State, p.Attempts+1)
		}
		fmt.Fprintf(tw, "  %d.\t%s\t%s%s\n", i+1, p.ID, p.Description, note)
	}
	return tw.Flush()
}

func (a *app) markCommand() *cobra.Command {
	var done, pending bool
	var reason string
	cmd := &cobra.Command{
		Use:   "mark ID (--done|--pending) --reason TEXT",
		Short: "Record a patch as done or pending without running it (an audited decision)",
		Example: `  migrate mark v1_0.add_custom_region --done --reason "applied by hand during incident 42"
  migrate mark v1_0.add_custom_region --pending --reason "re-run after fixing data"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if done == pending {
				return usageErrorf("mark needs exactly one of --done or --pending")
			}
			if strings.TrimSpace(reason) == "" {
				return usageErrorf("mark needs --reason TEXT: the decision is kept in the log with who and why")
			}
			ctx := cmd.Context()
			m, db, _, err := a.migrator(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			state := migrate.StateDone
			if pending {
				state = migrate.StatePending
			}
			if err := m.Mark(ctx, args[0], state, reason); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "marked %s %s\n", args[0], state)
			return nil
		},
	}
	cmd.Flags().BoolVar(&done, "done", false, "record the patch as applied (skipped) without running it")
	cmd.Flags().BoolVar(&pending, "pending", false, "forget the patch's result so the next up runs it")
	cmd.Flags().StringVar(&reason, "reason", "", "why (kept in the log)")
	cmd.MarkFlagsMutuallyExclusive("done", "pending")
	return cmd
}

// printUp prints the outcome of an up as a short human summary.
func printUp(w io.Writer, res *migrate.UpResult) {
	if res == nil {
		return
	}
	if res.State == "nothing" {
		fmt.Fprintln(w, "nothing to do: every patch is applied")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range res.Patches {
		line := fmt.Sprintf("  %s\t%s\t%s", p.State, p.ID, (time.Duration(p.Duration * float64(time.Second))).Round(time.Millisecond))
		if p.Error != "" {
			line += "\t" + oneLine(trimStacks(p.Error))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	fmt.Fprintf(w, "run %s %s: %d patches run, %d remaining, %s\n", res.RunID, res.State, len(res.Patches), res.Remaining,
		res.Finished.Sub(res.Started).Round(time.Millisecond))
}
