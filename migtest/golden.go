package migtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/snapshot"
)

// golden is the golden file of one rehearsal: a per-patch change list
// (rehearsal.FormatChanges) when a patch is rehearsed, the full schema and
// row counts when the whole set is.
type golden struct {
	path, rel string
	patchID   string
	mode      CompareMode
	set       patch.Set
}

// rerun is the command that rewrites the golden of t.
func rerun(t testing.TB) string {
	return fmt.Sprintf("go test %s -run '^%s$' -update", pkgPattern(), strings.SplitN(t.Name(), "/", 2)[0])
}

// write writes the golden (-update), but only when every check passed: a
// golden blesses what it records.
func (g golden) write(t testing.TB, rep *rehearsal.Report) {
	t.Helper()
	switch {
	case t.Failed() || len(rep.Problems) > 0:
		t.Fatalf("rehearse: not writing golden %s: the rehearsal failed (see above); -update writes a golden only when every check passes, so fix the patch first", g.rel)
	case g.mode == RowChanges:
		t.Fatalf("rehearse: -update on a production fixture (MIGTEST_FIXTURE or migtest.ProductionFixture) would write its row counts into %s; update goldens on the golden's own fixture", g.rel)
	}
	if g.patchID == "" {
		if d, err := rehearsal.CompareGolden(g.path, rep.After, RowCounts); err == nil {
			if missing := removedPatches(d); len(missing) > 0 {
				t.Fatalf("rehearse: not writing golden %s: it records patches the set does not run: %s; add each to the Set in patches/patches.go (in order), "+
					"and rebuild a prebuilt migrate/migtest binary (make build); applied patches are never removed from a set", g.rel, strings.Join(missing, ", "))
			}
		}
	}
	var err error
	if g.patchID != "" {
		err = rehearsal.WriteChanges(g.path, g.patchID, rep.Changes)
	} else {
		err = rehearsal.WriteGolden(g.path, rep.After)
	}
	if err != nil {
		t.Fatalf("rehearse: %v", err)
	}
	fmt.Fprintf(os.Stderr, "wrote golden %s: review it (git diff) before you commit it\n", g.rel)
}

// compare compares the rehearsal with the golden and fails t with what
// changed and the fix that fits.
func (g golden) compare(t testing.TB, rep *rehearsal.Report) {
	t.Helper()
	if g.patchID != "" {
		m, err := rehearsal.CompareChanges(g.path, rep.Changes, g.mode)
		if g.missing(t, err) || m.Empty() {
			return
		}
		words := ""
		for _, w := range m.Words {
			words += "\n  " + w
		}
		t.Errorf("rehearse: patch %s changed the database differently than its golden %s records (- golden, + this run):\n%s%s\n"+
			"if the change is intended, rewrite the golden with: %s and review the diff; if not, the patch has regressed: fix the patch, not the golden",
			g.patchID, g.rel, indent(strings.Join(m.Lines, "\n")), words, rerun(t))
		return
	}
	d, err := rehearsal.CompareGolden(g.path, rep.After, g.mode)
	if g.missing(t, err) || d.Empty() {
		return
	}
	if missing := removedPatches(d); len(missing) > 0 {
		t.Errorf("rehearse: the golden %s records patches the set does not run: %s; add each to the Set in patches/patches.go (in order), "+
			"and rebuild a prebuilt migrate/migtest binary (make build); do not -update, which would drop them from the golden; the differences (- golden, + this run):\n%s",
			g.rel, strings.Join(missing, ", "), indent(d.String()))
		return
	}
	t.Errorf("rehearse: the database differs from golden %s (- golden, + this run):\n%s\nif the change is intended, rewrite the golden with: %s and review the diff",
		g.rel, indent(d.String()), rerun(t))
}

// missing fails t on a golden that cannot be read and reports whether it did.
func (g golden) missing(t testing.TB, err error) bool {
	t.Helper()
	switch {
	case errors.Is(err, rehearsal.ErrGoldenMissing):
		t.Fatalf("rehearse: golden file %s does not exist; create it with: %s, then review and commit it", g.rel, rerun(t))
	case err != nil:
		t.Fatalf("rehearse: %v", err)
	}
	return err != nil
}

// removedPatches are the patch IDs the golden has and this run has not.
func removedPatches(d snapshot.Diff) []string {
	var out []string
	for _, c := range d.Changes {
		if c.Kind == "patch" && c.Op == snapshot.Removed {
			out = append(out, c.Name)
		}
	}
	return out
}

// printSummary prints the rehearsal's summary once, on the test binary's
// stderr: `go test` shows it for a failing package, with -v, and when run
// in a package's directory (go test hides all output of a passing package
// in package-list mode, t.Log included).
func printSummary(t testing.TB, s rehearsal.Summary) {
	fmt.Fprintf(os.Stderr, "=== %s\n%s", t.Name(), s.Text())
}

// relTo is path relative to root for messages ("" stays "").
func relTo(root, path string) string {
	if path == "" {
		return ""
	}
	if r, err := filepath.Rel(root, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return path
}
