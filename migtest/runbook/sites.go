package runbook

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/migtest/migtest/migtest/dsn"
)

// Site is one database of a many-sites run: a DSN or a Frappe
// site_config.json, with the label its logs and reports carry.
type Site struct {
	Label      string // site directory name, or database@host
	DSN        string // set for a DSN line
	SiteConfig string // set for a site_config.json line (absolute or relative to the sites file)
}

// Target resolves the site's connection settings.
func (s Site) Target() (Target, error) {
	if s.SiteConfig != "" {
		return SiteConfig(s.SiteConfig)
	}
	cfg, err := dsn.Parse(s.DSN)
	if err != nil {
		return Target{}, inputErrorf("invalid DSN of site %s: %v", s.Label, err)
	}
	return Target{Config: cfg}, nil
}

// ReadSites reads a sites file: one DSN or site_config.json path per line,
// blank lines and # comments skipped. A site listed twice, a bad DSN or an
// empty list is an *InputError naming the line.
func ReadSites(path string) ([]Site, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, inputErrorf("cannot read --sites %s: %v", path, err)
	}
	defer f.Close()
	var out []Site
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var s Site
		if strings.HasSuffix(line, ".json") {
			p := line
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			s = Site{SiteConfig: p, Label: SiteName(p)}
		} else {
			cfg, err := dsn.Parse(line)
			if err != nil {
				return nil, inputErrorf("--sites %s line %d: %v", path, n, err)
			}
			s = Site{DSN: line, Label: cfg.DBName + "@" + cfg.Addr}
		}
		if prev, ok := seen[s.Label]; ok {
			return nil, inputErrorf("--sites %s line %d: site %s is listed twice (line %d)", path, n, s.Label, prev)
		}
		seen[s.Label] = n
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, inputErrorf("cannot read --sites %s: %v", path, err)
	}
	if len(out) == 0 {
		return nil, inputErrorf("--sites %s lists no sites", path)
	}
	return out, nil
}

// SitesOptions configure ForSites.
type SitesOptions struct {
	// Concurrency is how many sites run at once (at least 1).
	Concurrency int
	// FailFast starts no more sites after one fails.
	FailFast bool
}

// Validate reports what is wrong with o, or nil.
func (o SitesOptions) Validate() error {
	if o.Concurrency < 1 {
		return inputErrorf("--concurrency must be at least 1")
	}
	return nil
}

// SiteResult is the outcome of one site of ForSites.
type SiteResult struct {
	Site     Site
	Started  bool          // false: not run (FailFast after a failure, or ctx ended)
	Err      error         // fn's error
	Duration time.Duration // how long fn took
}

// ForSites runs fn for every site, at most o.Concurrency at once, and
// returns each site's result in the order of sites. One site failing does
// not stop the others unless o.FailFast.
func ForSites(ctx context.Context, sites []Site, o SitesOptions, fn func(ctx context.Context, s Site) error) ([]SiteResult, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	results := make([]SiteResult, len(sites))
	sem := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for i, st := range sites {
		results[i].Site = st
		sem <- struct{}{}
		mu.Lock()
		stop := o.FailFast && failed
		mu.Unlock()
		if stop || ctx.Err() != nil {
			<-sem
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			err := fn(ctx, st)
			results[i] = SiteResult{Site: st, Started: true, Err: err, Duration: time.Since(start)}
			if err != nil {
				mu.Lock()
				failed = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results, nil
}
