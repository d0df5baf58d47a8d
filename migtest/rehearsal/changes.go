package rehearsal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/snapshot"
)

// changesHeader starts a per-patch golden: what one patch changed, not the
// whole schema (the whole set's golden holds that).
const changesHeader = "# migtest changes v1: what patch %s changed on its fixture; `go test -update` rewrites this file.\n" +
	"# + added  - removed  ~ changed  rows TABLE before → after\n"

// FormatChanges is the per-patch golden of patch id: a two-line header and
// the change list (schema delta, row counts including new tables', the
// patch log's new rows), one change a line.
func FormatChanges(id string, d snapshot.Diff) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, changesHeader, id)
	if s := d.String(); s != "" {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// IsChanges reports whether b is a per-patch changes golden.
func IsChanges(b []byte) bool { return bytes.HasPrefix(b, []byte("# migtest changes ")) }

// WriteChanges writes the per-patch golden of patch id to path.
func WriteChanges(path, id string, d snapshot.Diff) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write golden: %w", err)
	}
	if err := os.WriteFile(path, FormatChanges(id, d), 0o644); err != nil {
		return fmt.Errorf("write golden: %w", err)
	}
	return nil
}

// ChangesMismatch is how a patch's changes differ from its golden.
type ChangesMismatch struct {
	// Lines are the differing change lines: "- " in the golden only,
	// "+ " in this run only.
	Lines []string
	// Words say in a sentence each what changed in row counts, e.g. that
	// the patch now changes fewer rows of a table than the golden records.
	Words []string
}

// Empty reports whether the changes match.
func (m ChangesMismatch) Empty() bool { return len(m.Lines) == 0 }

// CompareChanges compares what a patch changed (d) with its per-patch golden
// at path. With config.CompareRowChanges row counts are left out.
func CompareChanges(path string, d snapshot.Diff, mode config.Compare) (ChangesMismatch, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ChangesMismatch{}, fmt.Errorf("%w: %s", ErrGoldenMissing, path)
	}
	if err != nil {
		return ChangesMismatch{}, fmt.Errorf("read golden: %w", err)
	}
	if !IsChanges(b) {
		return ChangesMismatch{}, fmt.Errorf("golden %s holds a whole schema (the layout before per-patch change lists); rewrite it once with -update and review that it lists only this patch's changes", path)
	}
	keep := func(l string) bool {
		return l != "" && !strings.HasPrefix(l, "#") && (mode != config.CompareRowChanges || !strings.HasPrefix(l, "rows "))
	}
	var want, got []string
	for _, l := range strings.Split(string(b), "\n") {
		if keep(l) {
			want = append(want, l)
		}
	}
	for _, l := range strings.Split(d.String(), "\n") {
		if keep(l) {
			got = append(got, l)
		}
	}
	return diffLines(want, got), nil
}

// diffLines lists the lines only in want ("- ") and only in got ("+ "),
// and puts row count changes of one table into words.
func diffLines(want, got []string) ChangesMismatch {
	var m ChangesMismatch
	in := func(xs []string) map[string]bool {
		s := map[string]bool{}
		for _, x := range xs {
			s[x] = true
		}
		return s
	}
	w, g := in(want), in(got)
	for _, l := range want {
		if !g[l] {
			m.Lines = append(m.Lines, "- "+l)
		}
	}
	for _, l := range got {
		if !w[l] {
			m.Lines = append(m.Lines, "+ "+l)
		}
	}
	rows := func(xs []string) map[string][2]int64 {
		out := map[string][2]int64{}
		for _, l := range xs {
			if t, b, a, ok := parseRows(l); ok {
				out[t] = [2]int64{b, a}
			}
		}
		return out
	}
	wr, gr := rows(want), rows(got)
	for _, l := range want {
		t, _, _, ok := parseRows(l)
		if !ok {
			continue
		}
		was := wr[t][1] - wr[t][0]
		now, there := gr[t]
		switch {
		case !there:
			m.Words = append(m.Words, fmt.Sprintf("the patch no longer changes the row count of %s; the golden records %+d rows", t, was))
		case now[1]-now[0] < was:
			m.Words = append(m.Words, fmt.Sprintf("the patch now changes %s by %+d rows, fewer than the %+d the golden records: did a statement fail, or a WHERE stop matching?", t, now[1]-now[0], was))
		case now[1]-now[0] > was:
			m.Words = append(m.Words, fmt.Sprintf("the patch now changes %s by %+d rows, more than the %+d the golden records", t, now[1]-now[0], was))
		}
	}
	return m
}

// parseRows reads "rows TABLE B → A" (with " (new table)" after a new one).
func parseRows(l string) (table string, before, after int64, ok bool) {
	l, isRows := strings.CutPrefix(l, "rows ")
	if !isRows {
		return "", 0, 0, false
	}
	l = strings.TrimSuffix(l, " (new table)")
	head, a, found := strings.Cut(l, " → ")
	i := strings.LastIndexByte(head, ' ')
	if !found || i < 0 {
		return "", 0, 0, false
	}
	b, err1 := strconv.ParseInt(head[i+1:], 10, 64)
	n, err2 := strconv.ParseInt(a, 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, 0, false
	}
	return head[:i], b, n, true
}
