package rehearsal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/snapshot"
	"github.com/migtest/migtest/patches"
)

// TestPassEqualsPerPatchRuns: the one pass over the example set gives each
// patch the same before and after snapshots as a separate rehearsal of that
// patch (restore, the earlier patches, then it), and the same lock-taking
// statements.
func TestPassEqualsPerPatchRuns(t *testing.T) {
	fx, cache := demo(t)
	ctx := context.Background()
	pr, err := rehearsal.Pass(ctx, rehearsal.PassConfig{Set: patches.Set, Fixture: fx, Cache: cache, Lint: true, RowChanges: true, Crash: true, SecondUp: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := pr.Problems(); len(p) > 0 {
		t.Errorf("the example set has problems in one pass:\n%s", strings.Join(p, "\n"))
	}
	if len(pr.Steps) != len(patches.Set.Patches) {
		t.Fatalf("%d steps for %d patches", len(pr.Steps), len(patches.Set.Patches))
	}
	for _, p := range patches.Set.Patches {
		want, err := rehearsal.Run(ctx, rehearsal.Config{Set: patches.Set, PatchID: p.ID, Fixture: fx, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		got, err := pr.Report(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what      string
			want, got *snapshot.Snapshot
		}{{"before", want.Before, got.Before}, {"after", want.After, got.After}} {
			c.got.Patches, c.want.Patches = nil, nil
			if d := snapshot.Compare(c.want, c.got); !d.Empty() {
				t.Errorf("patch %s %s: the pass differs from its own rehearsal (- own, + pass):\n%s", p.ID, c.what, d.String())
			}
		}
		if got.Statements == 0 || len(got.Timing) != 1 || got.Timing[0].ID != p.ID {
			t.Errorf("patch %s: statements %d, timing %+v", p.ID, got.Statements, got.Timing)
		}
	}
	whole, err := pr.Report("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(whole.Changes.String(), "tabCustomer Profile") || len(whole.Timing) != len(patches.Set.Patches) {
		t.Errorf("whole-set report: changes\n%s\ntiming %v", whole.Changes.String(), whole.Timing)
	}
	var names []string
	for _, c := range pr.Checks {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "crash-resume,second up" {
		t.Errorf("checks that ran: %s, want crash-resume (in the first, largest batch) and second up\n%s", got, pr.ChecksTable())
	}
	if _, err := pr.Report("v9.nope"); err == nil {
		t.Error("a patch not in the pass gave a report")
	}
	table := pr.PassTable(pr.Start)
	if !strings.Contains(table, "v1_0.customer_profile") || !strings.Contains(table, "×1.0") {
		t.Errorf("pass table:\n%s", table)
	}
}

// batched walks tabCustomer ten rows a chunk after an ALTER that is only
// safe to run again when guarded.
func batched(id string, guarded bool, swallow bool) patch.Patch {
	return patch.Patch{
		ID: id, Description: "add a column and fill it in chunks",
		Run: func(ctx context.Context, pc *patch.Context) error {
			var err error
			if guarded {
				err = pc.AddColumn(ctx, "tabCustomer", "tier", "varchar(20) NULL")
			} else {
				_, err = pc.DB.Exec(ctx, "ALTER TABLE `tabCustomer` ADD COLUMN `tier` varchar(20) NULL")
			}
			if err != nil {
				return err
			}
			_, err = pc.Batch(ctx, patch.Batch{Table: "tabCustomer", Size: 10, MaxSize: 10,
				Chunk: func(ctx context.Context, tx *patch.DB, c patch.Chunk) (int64, error) {
					r, err := tx.Exec(ctx, "UPDATE `tabCustomer` SET `tier` = 'gold' WHERE "+c.Where, c.Args...)
					if err != nil {
						if swallow {
							return 0, nil
						}
						return 0, err
					}
					return r.RowsAffected()
				}})
			if swallow {
				return nil
			}
			return err
		},
	}
}

func TestPassCrashInsideLargestBatch(t *testing.T) {
	fx, cache := demo(t)
	tests := []struct {
		name string
		p    patch.Patch
		want string // "" = passes
	}{
		{"resumable", batched("v1.tier", true, false), ""},
		{"not resumable", batched("v1.tier", false, false), "the patch cannot resume"},
		{"swallows errors", batched("v1.tier", true, true), "must not swallow errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr, err := rehearsal.Pass(context.Background(), rehearsal.PassConfig{
				Set: patch.Set{Patches: []patch.Patch{tt.p}}, Fixture: fx, Cache: cache, Crash: true, SecondUp: true, RowChanges: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(pr.Checks) == 0 || pr.Checks[0].Name != "crash-resume" || !strings.Contains(pr.Checks[0].Detail, "rows of batch tabCustomer") {
				t.Fatalf("no crash inside the batch:\n%s", pr.ChecksTable())
			}
			problems := strings.Join(pr.Problems(), "\n")
			if tt.want == "" && problems != "" {
				t.Errorf("a resumable patch got problems:\n%s", problems)
			}
			if tt.want != "" && !strings.Contains(problems, tt.want) {
				t.Errorf("problems do not mention %q:\n%s", tt.want, problems)
			}
			if tt.want == "" && !strings.Contains(pr.Checks[0].Detail, "resumed, first progress at row") {
				t.Errorf("the resume did not walk the batch on: %s", pr.Checks[0].Detail)
			}
		})
	}
}

// TestCachedPass: the first rehearsal of a go test run makes the pass, the
// others (here: goroutines; in go test: other packages' test binaries)
// read it; a prefix of the set is served by the same pass; another set
// (a changed description) gets its own.
func TestCachedPass(t *testing.T) {
	fx, cache := demo(t)
	t.Setenv("MIGTEST_CACHE", t.TempDir())
	ctx := context.Background()
	cfg := rehearsal.PassConfig{Set: patches.Set, Fixture: fx, Cache: cache, Crash: true, SecondUp: true, RowChanges: true}
	type result struct {
		rep    *rehearsal.PassReport
		cached bool
		err    error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			rep, cached, err := rehearsal.CachedPass(ctx, cfg, "v1", "")
			results <- result{rep, cached, err}
		}()
	}
	a, b := <-results, <-results
	if a.err != nil || b.err != nil {
		t.Fatal(a.err, b.err)
	}
	if a.cached == b.cached {
		t.Fatalf("two concurrent rehearsals: cached %t and %t, want one pass and one read", a.cached, b.cached)
	}
	for i, s := range a.rep.Steps {
		if d := snapshot.Compare(s.After, b.rep.Steps[i].After); !d.Empty() || strings.Join(s.After.Patches, ",") != strings.Join(b.rep.Steps[i].After.Patches, ",") {
			t.Errorf("step %s: the cached pass differs:\n%s", s.ID, d.String())
		}
		if s.Timing.LongestLock != b.rep.Steps[i].Timing.LongestLock {
			t.Errorf("step %s: timing %v cached as %v", s.ID, s.Timing, b.rep.Steps[i].Timing)
		}
	}
	prefix := cfg
	prefix.Set.Patches = patches.Set.Patches[:2]
	rep, cached, err := rehearsal.CachedPass(ctx, prefix, "v1", "")
	if err != nil || !cached || len(rep.Steps) != 2 {
		t.Fatalf("a prefix of the set: cached %t, %d steps, err %v", cached, len(rep.Steps), err)
	}
	for _, c := range rep.Checks {
		if c.Name == "second up" {
			t.Error("the prefix carries the whole set's second up")
		}
	}
	changed := cfg
	changed.Set.Patches = append([]patch.Patch(nil), patches.Set.Patches...)
	changed.Set.Patches[2].Description += " (changed)"
	if _, cached, err := rehearsal.CachedPass(ctx, changed, "v1", ""); err != nil || cached {
		t.Errorf("a changed patch: cached %t, err %v; want a new pass", cached, err)
	}
	if _, cached, err := rehearsal.CachedPass(ctx, cfg, "v2", ""); err != nil || cached {
		t.Errorf("another server version: cached %t, err %v; want a new pass", cached, err)
	}
}
