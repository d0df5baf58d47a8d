package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/dsn"
)

// siteFlags are the flags of a command that can run across many sites.
type siteFlags struct {
	file        string
	concurrency int
	failFast    bool
}

func (s *siteFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.file, "sites", "", "run for every site in `FILE`: one DSN or site_config.json path per line (# comments)")
	cmd.Flags().IntVar(&s.concurrency, "concurrency", 4, "with --sites, how many sites at once")
	cmd.Flags().BoolVar(&s.failFast, "fail-fast", false, "with --sites, start no more sites after one fails")
}

// site is one line of a --sites file.
type site struct {
	label      string
	dsn        string
	siteConfig string
}

func readSites(path string) ([]site, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("cannot read --sites %s: %v", path, err)
	}
	defer f.Close()
	var out []site
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var s site
		if strings.HasSuffix(line, ".json") {
			p := line
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			s = site{siteConfig: p, label: siteName(p)}
		} else {
			cfg, err := dsn.Parse(line)
			if err != nil {
				return nil, usageErrorf("--sites %s line %d: %v", path, n, err)
			}
			s = site{dsn: line, label: cfg.DBName + "@" + cfg.Addr}
		}
		if prev, ok := seen[s.label]; ok {
			return nil, usageErrorf("--sites %s line %d: site %s is listed twice (line %d)", path, n, s.label, prev)
		}
		seen[s.label] = n
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, usageErrorf("cannot read --sites %s: %v", path, err)
	}
	if len(out) == 0 {
		return nil, usageErrorf("--sites %s lists no sites", path)
	}
	return out, nil
}

// siteResult is the outcome of one site in a many-sites run.
type siteResult struct {
	site     site
	code     int
	err      error
	output   string
	duration time.Duration
	started  bool
}

// forSites runs fn for every site of the --sites file, at most
// s.concurrency at once, each on its own copy of the app (own target,
// output buffer and log attributes), then prints every site's output and a
// summary table. One site failing does not stop the others unless --fail-fast.
func (a *app) forSites(ctx context.Context, s siteFlags, fn func(ctx context.Context, sa *app, label string) error) error {
	if a.dsn != "" || a.siteConfig != "" {
		return usageErrorf("--sites and --dsn/--site-config contradict each other: give the databases in the sites file only")
	}
	if s.concurrency < 1 {
		return usageErrorf("--concurrency must be at least 1")
	}
	sites, err := readSites(s.file)
	if err != nil {
		return err
	}
	results := make([]siteResult, len(sites))
	sem := make(chan struct{}, s.concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for i, st := range sites {
		results[i].site = st
		sem <- struct{}{}
		mu.Lock()
		stop := s.failFast && failed
		mu.Unlock()
		if stop || ctx.Err() != nil {
			<-sem
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var buf bytes.Buffer
			sa := *a
			sa.dsn, sa.siteConfig = st.dsn, st.siteConfig
			sa.stdout = &lockedWriter{w: &buf}
			sa.quiet = true // no bars from several sites on one terminal
			sa.log = a.log.With("site", st.label)
			start := time.Now()
			err := fn(ctx, &sa, st.label)
			r := &results[i]
			r.started, r.err, r.output, r.duration = true, err, buf.String(), time.Since(start)
			r.code = exitCode(err)
			if err != nil {
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	worst := ExitOK
	for _, r := range results {
		if r.output != "" {
			fmt.Fprintf(a.stdout, "== %s\n%s", r.site.label, r.output)
			if !strings.HasSuffix(r.output, "\n") {
				fmt.Fprintln(a.stdout)
			}
		}
	}
	fmt.Fprintln(a.stdout, "== summary")
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tRESULT\tEXIT\tTIME\tDETAIL")
	var nOK, nFail, nSkip int
	for _, r := range results {
		switch {
		case !r.started:
			nSkip++
			fmt.Fprintf(tw, "%s\tnot run\t-\t-\t--fail-fast after a failure\n", r.site.label)
		case r.err != nil:
			nFail++
			if worst == ExitOK || r.code == ExitFailure {
				worst = r.code
			}
			fmt.Fprintf(tw, "%s\tFAILED\t%d\t%s\t%s\n", r.site.label, r.code, r.duration.Round(time.Millisecond), oneLine(redactError(r.err.Error())))
		default:
			nOK++
			fmt.Fprintf(tw, "%s\tok\t0\t%s\t\n", r.site.label, r.duration.Round(time.Millisecond))
		}
	}
	tw.Flush()
	fmt.Fprintf(a.stdout, "%d sites: %d ok, %d failed, %d not run\n", len(results), nOK, nFail, nSkip)
	if nFail+nSkip > 0 {
		if worst == ExitOK {
			worst = ExitFailure
		}
		return withCode(worst, fmt.Errorf("%d of %d sites failed, %d not run; see the summary", nFail, len(results), nSkip))
	}
	return nil
}

// exitCode is the code Main would exit with for err.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsage(err) {
		return ExitUsage
	}
	return ExitFailure
}

// siteReport inserts the site label into a report path: up.json → up-site1.json.
func siteReport(path, label string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + safeName(strings.ReplaceAll(label, "@", "_")) + ext
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
