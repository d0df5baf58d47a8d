package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/runbook"
)

// siteFlags are the flags of a command that can run across many sites.
type siteFlags struct {
	file string
	opts runbook.SitesOptions
}

func (s *siteFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.file, "sites", "", "run for every site in `FILE`: one DSN or site_config.json path per line (# comments)")
	cmd.Flags().IntVar(&s.opts.Concurrency, "concurrency", 4, "with --sites, how many sites at once")
	cmd.Flags().BoolVar(&s.opts.FailFast, "fail-fast", false, "with --sites, start no more sites after one fails")
}

// forSites runs fn for every site of the --sites file (runbook.ForSites),
// each on its own copy of the app (own target, output buffer and log
// attributes), then prints every site's output and a summary table.
func (a *app) forSites(ctx context.Context, s siteFlags, fn func(ctx context.Context, sa *app, label string) error) error {
	if a.dsn != "" || a.siteConfig != "" {
		return usageErrorf("--sites and --dsn/--site-config contradict each other: give the databases in the sites file only")
	}
	if err := s.opts.Validate(); err != nil {
		return err
	}
	sites, err := runbook.ReadSites(s.file)
	if err != nil {
		return err
	}
	outputs := make([]bytes.Buffer, len(sites))
	index := make(map[string]int, len(sites))
	for i, st := range sites {
		index[st.Label] = i
	}
	results, err := runbook.ForSites(ctx, sites, s.opts, func(ctx context.Context, st runbook.Site) error {
		sa := *a
		sa.dsn, sa.siteConfig = st.DSN, st.SiteConfig
		sa.stdout = &lockedWriter{w: &outputs[index[st.Label]]}
		sa.quiet = true // no bars from several sites on one terminal
		sa.log = a.log.With("site", st.Label)
		return fn(ctx, &sa, st.Label)
	})
	if err != nil {
		return err
	}
	for i, r := range results {
		if out := outputs[i].String(); out != "" {
			fmt.Fprintf(a.stdout, "== %s\n", r.Site.Label)
			writeLines(a.stdout, out)
		}
	}
	return printSummary(a.stdout, results)
}

// printSummary prints the table that ends a many-sites run and returns the
// run's error: the worst exit code of the sites that failed.
func printSummary(w io.Writer, results []runbook.SiteResult) error {
	fmt.Fprintln(w, "== summary")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tRESULT\tEXIT\tTIME\tDETAIL")
	worst := ExitOK
	var nOK, nFail, nSkip int
	for _, r := range results {
		switch code := exitCode(r.Err); {
		case !r.Started:
			nSkip++
			fmt.Fprintf(tw, "%s\tnot run\t-\t-\t--fail-fast after a failure\n", r.Site.Label)
		case r.Err != nil:
			nFail++
			if worst == ExitOK || code == ExitFailure {
				worst = code
			}
			fmt.Fprintf(tw, "%s\tFAILED\t%d\t%s\t%s\n", r.Site.Label, code, r.Duration.Round(time.Millisecond), oneLine(redactError(r.Err.Error())))
		default:
			nOK++
			fmt.Fprintf(tw, "%s\tok\t0\t%s\t\n", r.Site.Label, r.Duration.Round(time.Millisecond))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d sites: %d ok, %d failed, %d not run\n", len(results), nOK, nFail, nSkip)
	if nFail+nSkip > 0 {
		if worst == ExitOK {
			worst = ExitFailure
		}
		return withCode(worst, fmt.Errorf("%d of %d sites failed, %d not run; see the summary", nFail, len(results), nSkip))
	}
	return nil
}

// siteReport inserts the site label into a report path: up.json → up-site1.json.
func siteReport(path, label string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + runbook.SafeFileName(strings.ReplaceAll(label, "@", "_")) + ext
}

// lockedWriter serialises the writes of one site's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
