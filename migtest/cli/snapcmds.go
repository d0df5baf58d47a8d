package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/rehearsal"
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
  migrate verify --site-config sites/site1/site_config.json --snapshot snapshots/TestWholeSet.snap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var want *snapshot.Snapshot
			if snap != "" {
				s, err := readSnapshot(snap)
				if err != nil {
					return usageErrorf("%v", err)
				}
				want = s
			}
			db, t, err := a.openTarget(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			results, verr := a.verifyChecks(ctx, db, t.name)
			if want != nil {
				got, err := a.inspect(ctx, db, t.name)
				if err != nil {
					return err
				}
				d := snapshot.Compare(want.SchemaOnly(), got.SchemaOnly())
				r := checkResult{Name: "schema matches snapshot", OK: d.Empty(), Detail: snap}
				if !d.Empty() {
					r.Detail = fmt.Sprintf("%s: %d differences", snap, strings.Count(strings.TrimSpace(d.String()), "\n")+1)
					verr = errors.Join(verr, fmt.Errorf("schema differs from %s:\n%s", snap, d.String()))
				}
				results = append(results, r)
				if rows := snapshot.Compare(want, got); !rows.Empty() && d.Empty() {
					results = append(results, checkResult{Name: "row counts", OK: true, Detail: "differ from the snapshot (reported, not checked)"})
				}
			}
			if asJSON {
				_ = writeJSON(a.stdout, results)
			} else {
				for _, r := range results {
					fmt.Fprintln(a.stdout, r)
				}
			}
			if verr != nil {
				return withCode(ExitMismatch, fmt.Errorf("verification failed: %s", firstLine(verr.Error())))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&snap, "snapshot", "", "snapshot `FILE` the schema must equal")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func readSnapshot(path string) (*snapshot.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read snapshot %s: %w", path, err)
	}
	s, err := snapshot.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s is corrupt: %w; write it again with migrate snapshot --out", path, err)
	}
	return s, nil
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
			s, err := a.inspect(ctx, db, t.name)
			if err != nil {
				return err
			}
			if out == "-" {
				_, err = a.stdout.Write(s.Format())
				return err
			}
			return writeBytesAtomic(out, s.Format(), 0o644)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "snapshot `FILE` to write (- for stdout)")
	return cmd
}

func (a *app) diffCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show the difference of two snapshots (files or DSNs); exit 4 when they differ",
		Example: `  migrate diff snapshots/TestWholeSet.snap site1.snap
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
			fmt.Fprint(a.stdout, d.String())
			return withCode(ExitMismatch, fmt.Errorf("the snapshots differ"))
		},
	}
	return cmd
}

// loadSnapshot reads a snapshot file, or inspects the database a DSN names.
func (a *app) loadSnapshot(ctx context.Context, arg string) (*snapshot.Snapshot, error) {
	if _, err := os.Stat(arg); err == nil {
		s, err := readSnapshot(arg)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		return s, nil
	}
	cfg, err := dsn.Parse(arg)
	if err != nil || cfg.DBName == "" {
		return nil, usageErrorf("%s is neither a snapshot file nor a DSN with a database; give a file or user:pass@tcp(host:3306)/db", dsn.Redact(arg))
	}
	t := &target{cfg: cfg, name: cfg.DBName, site: cfg.DBName}
	cfg.ParseTime = true
	db, err := a.open(ctx, t)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return a.inspect(ctx, db, t.name)
}

func (a *app) rehearseCommand() *cobra.Command {
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
only the schema is compared. A production-sized fixture (4 MiB and up) is
rehearsed in one pass: restored once, the patches run in order with a
snapshot and timing after each, one crash injected inside the largest batch
and resumed, and a second up that must do nothing; the pass is stored in
the pass cache (MIGTEST_CACHE/passes), where the go test rehearsals of the
same fixture find it. --full-checks runs every check per patch instead.
Exit 4 on a mismatch or a failed check.`,
		Example: `  migrate rehearse --fixture fixtures/demo-site.sql.gz --golden snapshots/demo-site.snap
  migrate rehearse --fixture prod-2026-11.sql.gz --golden snapshots/demo-site.snap --schema-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			schemaOnly, _ := cmd.Flags().GetBool("schema-only")
			estimate, _ := cmd.Flags().GetString("estimate")
			full, _ := cmd.Flags().GetBool("full-checks")
			return a.rehearse(cmd.Context(), rehearseOpts{fixture: fixtureFile, golden: golden, patchID: patchID, update: update,
				idem: !noIdem, crash: !noCrash, schemaOnly: schemaOnly, estimate: estimate, fullChecks: full})
		},
	}
	a.providerFlag(cmd)
	fl := cmd.Flags()
	fl.StringVar(&fixtureFile, "fixture", "", "fixture `FILE` to restore (.sql or .sql.gz; default MIGTEST_FIXTURE)")
	fl.StringVar(&golden, "golden", "", "golden snapshot `FILE` to compare with (none: just print the changes)")
	fl.StringVar(&patchID, "patch", "", "rehearse up to this patch `ID` and diff its own changes (default: the whole set)")
	fl.BoolVar(&update, "update", false, "write the golden file instead of comparing")
	fl.BoolVar(&noIdem, "no-idempotency", false, "skip the second-run checks")
	fl.BoolVar(&noCrash, "no-crash-resume", false, "skip the crash-and-resume checks")
	fl.Bool("schema-only", false, "compare only the schema with the golden; check row counts by the patches' declared Rows")
	fl.String("estimate", "", "a snapshot `FILE` of production: estimate each patch's duration there from this rehearsal's timing")
	fl.Bool("full-checks", false, "on a production-sized fixture too, rehearse each patch on its own with every crash point (slow)")
	return cmd
}

// rehearseOpts are the flags of rehearse.
type rehearseOpts struct {
	fixture, golden, patchID, estimate string
	update, idem, crash, schemaOnly    bool
	fullChecks                         bool
}

func (a *app) rehearse(ctx context.Context, o rehearseOpts) error {
	fixtureFile, golden, patchID, update, schemaOnly := o.fixture, o.golden, o.patchID, o.update, o.schemaOnly
	var prod *snapshot.Snapshot
	if o.estimate != "" {
		s, err := readSnapshot(o.estimate)
		if err != nil {
			return usageErrorf("--estimate: %v", err)
		}
		prod = s
	}
	if fixtureFile == "" {
		fixtureFile = os.Getenv(fixture.EnvFixture)
	}
	if fixtureFile == "" {
		return usageErrorf("rehearse needs --fixture FILE (or MIGTEST_FIXTURE)")
	}
	if _, err := os.Stat(fixtureFile); err != nil {
		return usageErrorf("fixture %s cannot be read: %v; give an existing .sql or .sql.gz file", fixtureFile, err)
	}
	if update && golden == "" {
		return usageErrorf("--update needs --golden FILE to write")
	}
	if update && schemaOnly {
		return usageErrorf("--update and --schema-only contradict each other: a golden holds row counts")
	}
	if golden != "" && !update {
		if _, err := os.Stat(golden); err != nil {
			return usageErrorf("golden %s cannot be read: %v; write it with --update and review it", golden, err)
		}
	}
	srv, err := a.startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	a.log.Info("rehearsing", "provider", srv.Provider(), "version", srv.Version(), "fixture", fixtureFile)
	o.fixture = fixtureFile
	rep, err := a.runRehearsal(ctx, o, srv, prod)
	if err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	fmt.Fprintf(a.stdout, "rehearsal of %s on %s (%s, %s): %d statements\n", label(patchID), fixtureFile, srv.Provider(), srv.Version(), rep.Statements)
	fmt.Fprintln(a.stdout, "changes:")
	writeIndented(a.stdout, rep.Changes.String())
	if len(rep.Lint) > 0 {
		fmt.Fprintln(a.stdout, "ddl lint:")
		for _, f := range rep.Lint {
			fmt.Fprintln(a.stdout, "  "+f.String())
		}
	}
	fmt.Fprintln(a.stdout, "timing:")
	writeIndented(a.stdout, rehearsal.TimingTable(rep.Timing))
	if prod != nil {
		fmt.Fprintf(a.stdout, "estimated on %s (linear in the rows of the tables each patch writes):\n", o.estimate)
		for _, e := range rehearsal.Estimates(rep.Timing, rep.Before, prod) {
			fmt.Fprintf(a.stdout, "  %s: %s here × %.0f → about %s\n", e.ID, e.Measured.Round(time.Millisecond), e.Scale, e.Expected.Round(time.Second))
		}
	}
	var problems []string
	problems = append(problems, rep.Problems...)
	switch {
	case golden == "":
	case update:
		if err := rehearsal.WriteGolden(golden, rep.After); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "wrote golden %s\n", golden)
	default:
		d, err := rehearsal.CompareGolden(golden, rep.After, schemaOnly)
		if err != nil {
			return err
		}
		if d.Empty() {
			fmt.Fprintf(a.stdout, "matches golden %s\n", golden)
		} else {
			fmt.Fprintf(a.stdout, "differs from golden %s (- golden, + this run):\n", golden)
			writeIndented(a.stdout, d.String())
			problems = append(problems, "the result differs from golden "+golden)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(a.stdout, "FAIL "+p)
	}
	if len(problems) > 0 {
		return withCode(ExitMismatch, fmt.Errorf("rehearsal failed: %s", problems[0]))
	}
	fmt.Fprintln(a.stdout, "rehearsal passed")
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

// writeBytesAtomic writes b to path through a temporary file and a rename.
func writeBytesAtomic(path string, b []byte, mode os.FileMode) error {
	dir := "."
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir = path[:i]
	}
	f, err := os.CreateTemp(dir, ".migtest-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// rowsOf returns the row counts of s by table, or nil.
func rowsOf(s *snapshot.Snapshot) map[string]int64 {
	if s == nil {
		return nil
	}
	m := make(map[string]int64, len(s.Tables))
	for _, t := range s.Tables {
		m[t.Name] = t.Rows
	}
	return m
}
