package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/migtest/migtest/fixtures"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// TestManySites migrates 20 demo sites with --concurrency 4, one of them
// made to fail: the others are done, and the summary says exactly that.
func TestManySites(t *testing.T) {
	if testing.Short() {
		t.Skip("20 databases")
	}
	dir := t.TempDir()
	var lines []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	names := make([]string, 20)
	for i := range 20 {
		d, db := servertest.NewDatabase(t)
		names[i] = d.Name
		lines = append(lines, d.DSN)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fixtures.LoadDemoSite(context.Background(), db); err != nil {
				mu.Lock()
				t.Errorf("load %s: %v", d.Name, err)
				mu.Unlock()
			}
			if i == 7 { // a table in the way of customer_profile
				if _, err := db.Exec("CREATE TABLE `tabCustomer Profile` (x int)"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	sites := filepath.Join(dir, "sites.txt")
	if err := os.WriteFile(sites, []byte("# twenty sites\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, []string{"MIGRATE_DSN="}, "up", "--sites", sites, "--concurrency", "4", "--no-backup", "--report", "up.json").must(t, 1)
	if !strings.Contains(r.stdout, "20 sites: 19 ok, 1 failed, 0 not run") {
		t.Errorf("summary:\n%s", r.stdout)
	}
	failed := regexp.MustCompile(`(?m)^(\S+)\s+FAILED\s+1\s`).FindAllStringSubmatch(r.stdout, -1)
	if len(failed) != 1 || !strings.HasPrefix(failed[0][1], names[7]+"@") {
		t.Errorf("the failed site should be %s, summary says %v:\n%s", names[7], failed, r.stdout)
	}
	reports, _ := filepath.Glob(filepath.Join(dir, "up-*.json"))
	if len(reports) != 20 {
		t.Errorf("%d reports, want one per site", len(reports))
	}
	st := run(t, dir, []string{"MIGRATE_DSN="}, "status", "--sites", sites).must(t, 0)
	if n := strings.Count(st.stdout, ": 4 applied, 0 pending, 0 failed"); n != 19 {
		t.Errorf("%d sites fully applied, want 19:\n%s", n, st.stdout)
	}
	if !strings.Contains(st.stdout, fmt.Sprintf("database %s", names[7])) || !strings.Contains(st.stdout, "1 failed") {
		t.Errorf("status does not show the failed site:\n%s", st.stdout)
	}
	// --fail-fast stops starting sites after the failure.
	ff := run(t, dir, []string{"MIGRATE_DSN="}, "up", "--sites", sites, "--concurrency", "1", "--no-backup", "--fail-fast").must(t, 1)
	if !strings.Contains(ff.stdout, "not run") {
		t.Errorf("--fail-fast summary:\n%s", ff.stdout)
	}
	run(t, dir, nil, "up", "--sites", sites, "--dsn", lines[0], "--no-backup").must(t, 2) // --sites and --dsn contradict
}

// TestNew scaffolds a patch in a copy of the patch set's layout and
// refuses a duplicate.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	mod := "module example.com/site\n\ngo 1.26\n"
	set := `package patches

import (
	"github.com/migtest/migtest/migtest/patch"
)

// Set is the ordered patch set.
var Set = patch.Set{
	Patches: []patch.Patch{},
}
`
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "patches"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "patches", "patches.go"), []byte(set), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, devBinary, dir, nil, "new", "v2_0.add_territory", "--description", "Add territory to Customer").must(t, 0)
	for _, f := range []string{"patches/v2_0/addterritory/patch.go", "patches/v2_0/addterritory/patch_test.go"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("new did not write %s: %v\n%s", f, err, r.stdout)
		}
	}
	if want := "snapshots/patches/v2_0/addterritory/TestRehearse.snap"; !strings.Contains(r.stdout, want) {
		t.Errorf("new does not name the golden the test will write (%s):\n%s", want, r.stdout)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "patches/v2_0/addterritory/patch_test.go")); !strings.Contains(string(b), "func TestMain(m *testing.M)") {
		t.Errorf("the scaffolded test has no TestMain:\n%s", b)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "patches", "patches.go"))
	if !strings.Contains(string(b), "addterritory.Patch") || !strings.Contains(string(b), `"example.com/site/patches/v2_0/addterritory"`) {
		t.Errorf("patches.go does not register the patch:\n%s", b)
	}
	runBin(t, devBinary, dir, nil, "new", "v2_0.add_territory").must(t, 2)
	runBin(t, devBinary, dir, nil, "new", "Bad-Name").must(t, 2)
	run(t, dir, nil, "new", "v2_0.other").mustFailClearly(t, 2, "migtest new") // not in the production binary
}

// TestHelpNamesFilesThatExist reads every command's --help of both
// binaries: each file of this repository it names (snapshots/..., fixtures/...)
// must exist, so an example can be pasted as it is.
func TestHelpNamesFilesThatExist(t *testing.T) {
	repoFile := regexp.MustCompile(`\b(?:snapshots|fixtures)/[\w./-]+\.(?:snap|sql\.gz)\b`)
	named := 0
	for bin, cmds := range map[string][]string{
		binary:    {"", "status", "plan", "up", "mark", "check", "verify", "backup", "restore", "rollback", "snapshot", "diff"},
		devBinary: {"", "rehearse", "sandbox", "new"},
	} {
		for _, c := range cmds {
			args := []string{"--help"}
			if c != "" {
				args = []string{c, "--help"}
			}
			r := runBin(t, bin, t.TempDir(), nil, args...).must(t, 0)
			for _, f := range repoFile.FindAllString(r.stdout, -1) {
				named++
				if _, err := os.Stat(filepath.Join("..", "..", f)); err != nil {
					t.Errorf("%s %s --help names %s, which does not exist", filepath.Base(bin), c, f)
				}
			}
		}
	}
	if named < 3 {
		t.Errorf("the help texts name %d files of the repository; the examples name more (is --help on stdout?)", named)
	}
}
