package devcli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/internal/fsutil"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/snapshot"
	"github.com/migtest/migtest/migtest/upgrade"
)

func rehearseCommand(env *cli.Env) *cobra.Command {
	var fixtureFile, golden, patchID, fromImage string
	var update, noIdem, noCrash bool
	cmd := &cobra.Command{
		Use:   "rehearse",
		Short: "Disposable server → restore the fixture → up → diff against the golden snapshot",
		Long: `rehearse does what a patch's _test.go does, outside go test: it starts a
disposable MariaDB (--provider), restores --fixture, runs the patch set (up to
--patch, if given), prints what changed, and compares the result with --golden
(--update writes it, only when every check passed). With --patch the golden is
that patch's change list (snapshots/patches/<version>/<pkg>/TestRehearse.snap,
as go test writes it); without, the whole set's full schema
(snapshots/demo-site.snap in the example). It also checks that a second run
changes nothing, that a run failed at a few statements (inside a batch too)
resumes to the same result, that no patch swallowed a failed statement, that
each patch's declared Rows happened, and lints the DDL against the production
profile (--estimate, MIGTEST_PRODUCTION, or production.snap in snapshots/): an
error finding fails unless the patch's Allow acknowledges it. With a fixture
other than the golden's (MIGTEST_FIXTURE, a production-sized dump), only the
schema is compared. A production-sized fixture (4 MiB and up) is rehearsed
in one pass: restored once, the patches run in order with a snapshot and
timing after each, one crash injected inside the largest batch and resumed,
and a second up that must do nothing; the pass is stored in the pass cache
(MIGTEST_CACHE/passes), where the go test rehearsals of the same fixture
find it. --full-checks runs every check per patch instead. Exit 4 on a
mismatch or a failed check.

With --image (a server version: make images builds them) it rehearses a
server upgrade too: before any patch runs, it restores the fixture on the
old server (--from-image, else the default server) and on --image, and
prints what the version change itself changed (column types, defaults,
collations, sql_mode); a fixture the new server cannot hold (a newer
collation or type) fails with one line naming it.`,
		Example: `  migtest rehearse --fixture fixtures/demo-site.sql.gz --golden snapshots/demo-site.snap
  migtest rehearse --fixture fixtures/demo-site.sql.gz --patch v1_0.add_custom_region --golden snapshots/patches/v1_0/addcustomregion/TestRehearse.snap --summary rehearsal.md
  migtest rehearse --fixture prod-2026-11.sql.gz --golden snapshots/demo-site.snap --schema-only
  migtest rehearse --fixture old.sql.gz --from-image migtest/mariadb:10.5 --image migtest/mariadb:11.8`,
		Args: cobra.NoArgs,
	}
	provider := providerFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		schemaOnly, _ := cmd.Flags().GetBool("schema-only")
		estimate, _ := cmd.Flags().GetString("estimate")
		summary, _ := cmd.Flags().GetString("summary")
		load, _ := cmd.Flags().GetBool("load")
		full, _ := cmd.Flags().GetBool("full-checks")
		return rehearse(cmd.Context(), env, rehearseOpts{server: *provider, fromImage: fromImage, fixture: fixtureFile, golden: goldenFile(golden), patchID: patchID, update: update,
			idem: !noIdem, crash: !noCrash, schemaOnly: schemaOnly, estimate: estimate, summary: summary, load: load, fullChecks: full})
	}
	fl := cmd.Flags()
	fl.StringVar(&fixtureFile, "fixture", "", "fixture `FILE` to restore (.sql or .sql.gz; default MIGTEST_FIXTURE)")
	fl.StringVar(&golden, "golden", "", "golden snapshot `FILE` to compare with (none: just print the changes)")
	fl.StringVar(&patchID, "patch", "", "rehearse up to this patch `ID` and diff its own changes (default: the whole set)")
	fl.BoolVar(&update, "update", false, "write the golden file instead of comparing")
	fl.BoolVar(&noIdem, "no-idempotency", false, "skip the second-run checks")
	fl.BoolVar(&noCrash, "no-crash-resume", false, "skip the crash-and-resume checks")
	fl.Bool("schema-only", false, "compare only the schema with the golden; check row counts by the patches' declared Rows")
	fl.String("estimate", "", "production profile `FILE` (migrate snapshot on production) for the lint's severity and the duration estimate (default MIGTEST_PRODUCTION, else production.snap in snapshots/ when the project commits one)")
	fl.Bool("full-checks", false, "on a production-sized fixture too, rehearse each patch on its own with every crash point (slow)")
	fl.Bool("load", false, "run a synthetic application workload (reads and row locks by key) on the tables each patch writes, and report per patch the longest wait of an application statement and its p99")
	fl.StringVar(&fromImage, "from-image", "", "with --image: the `IMAGE` of the server the fixture was taken on (default: the default server), for the upgrade report")
	fl.String("summary", "", "write the rehearsal's summary as Markdown to `FILE`, for a pull request (changes, lint findings, crash points, timing, production estimates)")
	return cmd
}

// rehearseOpts are the flags of rehearse.
type rehearseOpts struct {
	server                          serverFlags
	fromImage                       string // --from-image: the old server of an upgrade
	fixture, patchID, estimate      string
	summary                         string
	golden                          goldenFile
	update, idem, crash, schemaOnly bool
	load                            bool // --load: rehearse under a synthetic workload
	fullChecks                      bool // --full-checks: every check per patch on a big fixture too
}

func rehearse(ctx context.Context, env *cli.Env, o rehearseOpts) error {
	prod, err := o.resolve()
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, env, o.server)
	if err != nil {
		return err
	}
	defer srv.Close()
	env.Log().Info("rehearsing", "provider", srv.Provider(), "version", srv.Version(), "fixture", o.fixture)
	if o.server.image != "" {
		if err := upgradeReport(ctx, env, o, srv); err != nil {
			return err
		}
	}
	rep, err := runRehearsal(ctx, env, o, srv, prod)
	if err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	out := env.Stdout()
	sum := rehearsal.Summary{Label: label(o.patchID), Fixture: o.fixture, Server: srv.Provider() + ", " + srv.Version(),
		Report: rep, Production: prod, ProductionFile: o.estimate}
	fmt.Fprint(out, sum.Text())
	if o.load {
		fmt.Fprintln(out, "application waits under load:")
		fmt.Fprint(out, rehearsal.LoadTable(rep.Load))
	}
	problems := append([]string{}, rep.Problems...)
	p, err := o.golden.apply(out, rep, o)
	if err != nil {
		return err
	}
	problems = append(problems, p...)
	if o.summary != "" {
		if err := fsutil.WriteFileAtomic(o.summary, []byte(sum.Markdown()), 0o644); err != nil {
			return fmt.Errorf("--summary: %w", err)
		}
		fmt.Fprintf(out, "wrote summary %s\n", o.summary)
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(out, "FAIL "+p)
	}
	if len(problems) > 0 {
		return cli.Exit(cli.ExitMismatch, fmt.Errorf("rehearsal failed: %s", firstLine(problems[0])))
	}
	fmt.Fprintln(out, "rehearsal passed")
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// resolve checks the flags against each other and the files they name,
// fills in the fixture from MIGTEST_FIXTURE, and reads --estimate's snapshot.
func (o *rehearseOpts) resolve() (*snapshot.Snapshot, error) {
	root, _ := fixture.ModuleRoot() // none outside a module: then only --estimate and MIGTEST_PRODUCTION
	prod, file, err := rehearsal.Production(root, o.estimate)
	if err != nil {
		return nil, usageErrorf("--estimate: %v", err)
	}
	o.estimate = file
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

// goldenFile is --golden: none, or the file to compare with or write.
type goldenFile string

// apply writes the golden (update: only when every check passed) or
// compares with it, prints the outcome, and returns the problem a mismatch
// is. With --patch the golden is the patch's change list, as go test's.
func (g goldenFile) apply(out io.Writer, rep *rehearsal.Report, o rehearseOpts) ([]string, error) {
	golden := string(g)
	switch {
	case golden == "":
		return nil, nil
	case o.update && len(rep.Problems) > 0:
		return []string{"not writing golden " + golden + ": the rehearsal failed; --update writes a golden only when every check passes"}, nil
	case o.update && o.patchID != "":
		return nil, writeAndSay(out, golden, rehearsal.WriteChanges(golden, o.patchID, rep.Changes))
	case o.update:
		return nil, writeAndSay(out, golden, rehearsal.WriteGolden(golden, rep.After))
	}
	var lines []string
	if o.patchID != "" {
		m, err := rehearsal.CompareChanges(golden, rep.Changes, compareMode(o.schemaOnly))
		if err != nil {
			return nil, err
		}
		lines = append(m.Lines, m.Words...)
	} else {
		d, err := rehearsal.CompareGolden(golden, rep.After, compareMode(o.schemaOnly))
		if err != nil {
			return nil, err
		}
		if s := d.String(); s != "" {
			lines = strings.Split(s, "\n")
		}
	}
	if len(lines) == 0 {
		fmt.Fprintf(out, "matches golden %s\n", golden)
		return nil, nil
	}
	fmt.Fprintf(out, "differs from golden %s (- golden, + this run):\n", golden)
	writeIndented(out, strings.Join(lines, "\n"))
	fmt.Fprintln(out, "if the change is intended, rewrite the golden with --update and review the diff; a patch missing from the golden's patch list belongs in patches/patches.go")
	return []string{"the result differs from golden " + golden}, nil
}

func writeAndSay(out io.Writer, golden string, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote golden %s: review it (git diff) before you commit it\n", golden)
	return nil
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

// upgradeReport restores the fixture on the old server (--from-image, else
// the default server) and on srv, and prints what the version change changed.
func upgradeReport(ctx context.Context, env *cli.Env, o rehearseOpts, srv server.Server) error {
	oldFlags := o.server
	oldFlags.image = o.fromImage
	old, err := startServer(ctx, env, oldFlags)
	if err != nil {
		return fmt.Errorf("start the old server for the upgrade report: %w", err)
	}
	defer old.Close()
	rep, err := upgrade.Compare(ctx, o.fixture, old, srv)
	if err != nil {
		return fmt.Errorf("rehearse the server upgrade: %w", err)
	}
	fmt.Fprint(env.Stdout(), rep.String())
	return nil
}
