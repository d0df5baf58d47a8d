package devcli

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/runbook"
	"github.com/migtest/migtest/migtest/snapshot"
)

func rehearseCommand(env *cli.Env) *cobra.Command {
	var fixtureFile, golden, patchID string
	var update, noIdem, noCrash bool
	cmd := &cobra.Command{
		Use:   "rehearse",
		Short: "Disposable server → restore the fixture → up → diff against the golden snapshot",
		Long: `rehearse does what a patch's _test.go does, outside go test: it starts a
disposable MariaDB (--provider), restores --fixture, runs the patch set (up to
--patch, if given), prints what changed, and compares the result with --golden
(--update writes it). It also checks that a second run changes nothing and
that a run failed at a few statements resumes to the same result. With a
fixture other than the golden's (MIGTEST_FIXTURE, a production-sized dump),
only the schema is compared. Exit 4 on a mismatch or a failed check.`,
		Example: `  migtest rehearse --fixture fixtures/demo-site.sql.gz --golden snapshots/demo-site.snap
  migtest rehearse --fixture prod-2026-11.sql.gz --golden snapshots/demo-site.snap --schema-only`,
		Args: cobra.NoArgs,
	}
	provider := providerFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		schemaOnly, _ := cmd.Flags().GetBool("schema-only")
		estimate, _ := cmd.Flags().GetString("estimate")
		return rehearse(cmd.Context(), env, rehearseOpts{provider: *provider, fixture: fixtureFile, golden: goldenFile(golden), patchID: patchID, update: update,
			idem: !noIdem, crash: !noCrash, schemaOnly: schemaOnly, estimate: estimate})
	}
	fl := cmd.Flags()
	fl.StringVar(&fixtureFile, "fixture", "", "fixture `FILE` to restore (.sql or .sql.gz; default MIGTEST_FIXTURE)")
	fl.StringVar(&golden, "golden", "", "golden snapshot `FILE` to compare with (none: just print the changes)")
	fl.StringVar(&patchID, "patch", "", "rehearse up to this patch `ID` and diff its own changes (default: the whole set)")
	fl.BoolVar(&update, "update", false, "write the golden file instead of comparing")
	fl.BoolVar(&noIdem, "no-idempotency", false, "skip the second-run checks")
	fl.BoolVar(&noCrash, "no-crash-resume", false, "skip the crash-and-resume checks")
	fl.Bool("schema-only", false, "compare only the schema with the golden; check row counts by the patches' declared Rows")
	fl.String("estimate", "", "a snapshot `FILE` of production: estimate each patch's duration there from this rehearsal's timing")
	return cmd
}

// rehearseOpts are the flags of rehearse.
type rehearseOpts struct {
	provider, fixture, patchID, estimate string
	golden                               goldenFile
	update, idem, crash, schemaOnly      bool
}

func rehearse(ctx context.Context, env *cli.Env, o rehearseOpts) error {
	prod, err := o.resolve()
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, env, o.provider)
	if err != nil {
		return err
	}
	defer srv.Close()
	env.Log().Info("rehearsing", "provider", srv.Provider(), "version", srv.Version(), "fixture", o.fixture)
	restore := func(ctx context.Context, db *sql.DB, database string, r io.Reader) error {
		_, err := dump.Restore(ctx, db, database, r, dump.WithRestoreLogger(env.Log()))
		return err
	}
	rep, err := rehearsal.Run(ctx, rehearsal.Config{
		Set: env.Set(), PatchID: o.patchID, Fixture: o.fixture, Cache: fixture.NewCache(srv, restore),
		Idempotency: o.idem, CrashResume: o.crash, Compare: compareMode(o.schemaOnly), Lint: true, ProductionRows: runbook.RowCounts(prod), Logger: env.Log(),
	})
	if err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	out := env.Stdout()
	fmt.Fprintf(out, "rehearsal of %s on %s (%s, %s): %d statements\n", label(o.patchID), o.fixture, srv.Provider(), srv.Version(), rep.Statements)
	printReport(out, rep, o.estimate, prod)
	problems := append([]string{}, rep.Problems...)
	p, err := o.golden.apply(out, rep.After, o.update, o.schemaOnly)
	if err != nil {
		return err
	}
	problems = append(problems, p...)
	for _, p := range rep.Problems {
		fmt.Fprintln(out, "FAIL "+p)
	}
	if len(problems) > 0 {
		return cli.Exit(cli.ExitMismatch, fmt.Errorf("rehearsal failed: %s", problems[0]))
	}
	fmt.Fprintln(out, "rehearsal passed")
	return nil
}

// resolve checks the flags against each other and the files they name,
// fills in the fixture from MIGTEST_FIXTURE, and reads --estimate's snapshot.
func (o *rehearseOpts) resolve() (*snapshot.Snapshot, error) {
	var prod *snapshot.Snapshot
	if o.estimate != "" {
		s, err := runbook.ReadSnapshot(o.estimate)
		if err != nil {
			return nil, usageErrorf("--estimate: %v", err)
		}
		prod = s
	}
	if o.fixture == "" {
		o.fixture = config.Get(config.EnvFixture)
	}
	switch {
	case o.fixture == "":
		return nil, usageErrorf("rehearse needs --fixture FILE (or MIGTEST_FIXTURE)")
	case o.update && o.golden == "":
		return nil, usageErrorf("--update needs --golden FILE to write")
	case o.update && o.schemaOnly:
		return nil, usageErrorf("--update and --schema-only contradict each other: a golden holds row counts")
	}
	if _, err := os.Stat(o.fixture); err != nil {
		return nil, usageErrorf("fixture %s cannot be read: %v; give an existing .sql or .sql.gz file", o.fixture, err)
	}
	if o.golden != "" && !o.update {
		if _, err := os.Stat(string(o.golden)); err != nil {
			return nil, usageErrorf("golden %s cannot be read: %v; write it with --update and review it", o.golden, err)
		}
	}
	return prod, nil
}

// printReport prints what the rehearsal changed, its lint findings, its
// timing, and with a production snapshot each patch's estimated duration.
func printReport(out io.Writer, rep *rehearsal.Report, estimate string, prod *snapshot.Snapshot) {
	fmt.Fprintln(out, "changes:")
	writeIndented(out, rep.Changes.String())
	if len(rep.Lint) > 0 {
		fmt.Fprintln(out, "ddl lint:")
		for _, f := range rep.Lint {
			fmt.Fprintln(out, "  "+f.String())
		}
	}
	fmt.Fprintln(out, "timing:")
	writeIndented(out, rehearsal.TimingTable(rep.Timing))
	if prod != nil {
		fmt.Fprintf(out, "estimated on %s (linear in the rows of the tables each patch writes):\n", estimate)
		for _, e := range rehearsal.Estimates(rep.Timing, rep.Before, prod) {
			fmt.Fprintf(out, "  %s: %s here × %.0f → about %s\n", e.ID, e.Measured.Round(time.Millisecond), e.Scale, e.Expected.Round(time.Second))
		}
	}
}

// goldenFile is --golden: none, or the file to compare with or write.
type goldenFile string

// apply writes the golden (update) or compares after with it, prints the
// outcome, and returns the problem a mismatch is.
func (g goldenFile) apply(out io.Writer, after *snapshot.Snapshot, update, schemaOnly bool) ([]string, error) {
	golden := string(g)
	switch {
	case golden == "":
		return nil, nil
	case update:
		if err := rehearsal.WriteGolden(golden, after); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "wrote golden %s\n", golden)
		return nil, nil
	}
	d, err := rehearsal.CompareGolden(golden, after, compareMode(schemaOnly))
	if err != nil {
		return nil, err
	}
	if d.Empty() {
		fmt.Fprintf(out, "matches golden %s\n", golden)
		return nil, nil
	}
	fmt.Fprintf(out, "differs from golden %s (- golden, + this run):\n", golden)
	writeIndented(out, d.String())
	return []string{"the result differs from golden " + golden}, nil
}

func label(id string) string {
	if id == "" {
		return "the whole patch set"
	}
	return "patch " + id
}

func writeIndented(w io.Writer, s string) {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		fmt.Fprintln(w, "  (none)")
		return
	}
	for _, l := range strings.Split(s, "\n") {
		fmt.Fprintln(w, "  "+l)
	}
}

// compareMode is the rehearsal's row-count comparison for --schema-only.
func compareMode(schemaOnly bool) config.Compare {
	if schemaOnly {
		return config.CompareRowChanges
	}
	return config.CompareRowCounts
}
