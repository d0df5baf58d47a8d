package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/internal/fsutil"
	"github.com/migtest/migtest/migtest/runbook"
	"github.com/migtest/migtest/migtest/snapshot"
)

func (a *app) verifyCommand() *cobra.Command {
	var snap string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Run the post-migration checks; with --snapshot, the schema must equal it",
		Long: `verify checks that every table is present and readable, that no primary key
is NULL or empty, that a write/read/delete smoke test in a scratch table works,
and times a probe query. With --snapshot FILE the schema must equal the
snapshot's (row counts are reported, not required). Exit 4 on a failed check.`,
		Example: `  migrate verify --dsn 'user:pass@tcp(db:3306)/site1'
  migrate verify --site-config sites/site1/site_config.json --snapshot snapshots/demo-site.snap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.verify(cmd.Context(), snap, asJSON)
		},
	}
	cmd.Flags().StringVar(&snap, "snapshot", "", "snapshot `FILE` the schema must equal")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}

// verify runs the checks and prints them (a failed schema comparison with
// its differences); a failed check exits 4.
func (a *app) verify(ctx context.Context, snap string, asJSON bool) error {
	var o runbook.VerifyOptions
	if snap != "" {
		s, err := runbook.ReadSnapshot(snap)
		if err != nil {
			return err
		}
		o.Snapshot, o.SnapshotName = s, snap
	}
	rb, db, err := a.runbook(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	results, err := rb.Verify(ctx, o)
	if perr := a.printResults(results, asJSON); perr != nil {
		return perr
	}
	return err
}

func (a *app) snapshotCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "snapshot",
		Short:   "Write the schema and row counts of the database in the golden format",
		Example: "  migrate snapshot --dsn 'user:pass@tcp(db:3306)/site1' --out site1.snap\n  migrate snapshot --site-config sites/site1/site_config.json --out -",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageErrorf("snapshot needs --out FILE (or - for stdout)")
			}
			ctx := cmd.Context()
			db, t, err := a.openTarget(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			s, err := runbook.Inspect(ctx, db, t.Database())
			if err != nil {
				return err
			}
			if out == "-" {
				_, err = a.stdout.Write(s.Format())
				return err
			}
			return fsutil.WriteFileAtomic(out, s.Format(), 0o644)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "snapshot `FILE` to write (- for stdout)")
	return cmd
}

func (a *app) diffCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show the difference of two snapshots (files or DSNs); exit 4 when they differ",
		Example: `  migrate diff snapshots/demo-site.snap site1.snap
  migrate diff site1.snap 'user:pass@tcp(db:3306)/site1'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var snaps [2]*snapshot.Snapshot
			for i, arg := range args {
				s, err := a.loadSnapshot(ctx, arg)
				if err != nil {
					return err
				}
				snaps[i] = s
			}
			d := snapshot.Compare(snaps[0], snaps[1])
			if d.Empty() {
				fmt.Fprintln(a.stdout, "no differences")
				return nil
			}
			writeLines(a.stdout, d.String())
			return withCode(ExitMismatch, fmt.Errorf("the snapshots differ"))
		},
	}
	return cmd
}

// loadSnapshot reads a snapshot file, or inspects the database a DSN names.
func (a *app) loadSnapshot(ctx context.Context, arg string) (*snapshot.Snapshot, error) {
	if _, err := os.Stat(arg); err == nil {
		return runbook.ReadSnapshot(arg)
	}
	cfg, err := dsn.Parse(arg)
	if err != nil || cfg.DBName == "" {
		return nil, usageErrorf("%s is neither a snapshot file nor a DSN with a database; give a file or user:pass@tcp(host:3306)/db", dsn.Redact(arg))
	}
	cfg.ParseTime = true
	t := runbook.Target{Config: cfg}
	db, err := t.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return runbook.Inspect(ctx, db, t.Database())
}

// writeLines writes s to w with a final newline.
func writeLines(w io.Writer, s string) {
	if s = strings.TrimRight(s, "\n"); s != "" {
		fmt.Fprintln(w, s)
	}
}
