package rehearsal_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/fixtures"
	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// demo returns the demo fixture and a cache that restores it with the
// fixtures package's own loader, so these tests do not depend on package dump.
func demo(t *testing.T) (string, *fixture.Cache) {
	t.Helper()
	srv := servertest.Server(t)
	root, err := fixture.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	restore := func(ctx context.Context, _ *sql.DB, database string, r io.Reader) error {
		db, err := sql.Open("mysql", srv.DSN(database))
		if err != nil {
			return err
		}
		defer db.Close()
		return fixtures.Load(ctx, db, r)
	}
	return filepath.Join(root, "fixtures", "demo-site.sql.gz"), fixture.NewCache(srv, restore)
}

var addRegion = patch.Patch{
	ID:          "v1.add_region",
	Description: "add a region column and fill it",
	Run: func(ctx context.Context, pc *patch.Context) error {
		if err := pc.AddColumn(ctx, "tabCustomer", "region", "varchar(20) NULL"); err != nil {
			return err
		}
		_, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `region` = 'North' WHERE `region` IS NULL")
		return err
	},
}

// notIdempotent inserts a row on every run.
var notIdempotent = patch.Patch{
	ID:          "v1.add_note",
	Description: "insert a note (wrongly, on every run)",
	Run: func(ctx context.Context, pc *patch.Context) error {
		_, err := pc.DB.Exec(ctx, "INSERT INTO `tabToDo` (`name`, `description`, `creation`, `modified`) VALUES (UUID(), 'call back', NOW(), NOW())")
		return err
	},
}

// notResumable adds a column without checking first, then fills it: after
// a crash between the two, the second run fails on the existing column.
var notResumable = patch.Patch{
	ID:          "v1.add_score",
	Description: "add a score column (wrongly, not resumable)",
	Run: func(ctx context.Context, pc *patch.Context) error {
		if _, err := pc.DB.Exec(ctx, "ALTER TABLE `tabCustomer` ADD COLUMN `score` int NULL"); err != nil {
			return err
		}
		_, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `score` = 1")
		return err
	},
}

// swallowsErrors ignores the errors of its statements.
var swallowsErrors = patch.Patch{
	ID:          "v1.swallow",
	Description: "ignores errors",
	Run: func(ctx context.Context, pc *patch.Context) error {
		_, _ = pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `modified` = `modified`")
		_, _ = pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `modified` = `modified`")
		return nil
	},
}

func TestRunFindsProblems(t *testing.T) {
	fx, cache := demo(t)
	tests := []struct {
		name  string
		p     patch.Patch
		want  string // "" = no problems
		delta string // a line the Changes must contain
	}{
		{"good patch", addRegion, "", "+ column tabCustomer.region"},
		{"not idempotent", notIdempotent, "idempotency: after running the patch's function once more", "rows tabToDo"},
		{"not resumable", notResumable, "the patch cannot resume", "+ column tabCustomer.score"},
		{"swallows errors", swallowsErrors, "must not swallow errors", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := rehearsal.Run(context.Background(), rehearsal.Config{
				Set: patch.Set{Patches: []patch.Patch{tt.p}}, Fixture: fx, Cache: cache,
				Idempotency: true, CrashResume: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			problems := strings.Join(rep.Problems, "\n")
			if tt.want == "" && problems != "" {
				t.Errorf("a good patch got problems:\n%s", problems)
			}
			if tt.want != "" && !strings.Contains(problems, tt.want) {
				t.Errorf("problems do not mention %q:\n%s", tt.want, problems)
			}
			if tt.delta != "" && !strings.Contains(rep.Changes.String(), tt.delta) {
				t.Errorf("changes do not contain %q:\n%s", tt.delta, rep.Changes.String())
			}
		})
	}
}

func TestGolden(t *testing.T) {
	fx, cache := demo(t)
	golden := filepath.Join(t.TempDir(), "golden.snap")
	run := func(p patch.Patch) *rehearsal.Report {
		rep, err := rehearsal.Run(context.Background(), rehearsal.Config{Set: patch.Set{Patches: []patch.Patch{p}}, Fixture: fx, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if _, err := rehearsal.CompareGolden(golden, run(addRegion).After, config.CompareRowCounts); !errors.Is(err, rehearsal.ErrGoldenMissing) {
		t.Fatalf("missing golden: err = %v, want ErrGoldenMissing", err)
	}
	if err := rehearsal.WriteGolden(golden, run(addRegion).After); err != nil {
		t.Fatal(err)
	}
	d, err := rehearsal.CompareGolden(golden, run(addRegion).After, config.CompareRowCounts)
	if err != nil || !d.Empty() {
		t.Fatalf("the same patch differs from its golden: %v\n%s", err, d.String())
	}
	wrong := addRegion
	wrong.Run = func(ctx context.Context, pc *patch.Context) error {
		return pc.AddColumn(ctx, "tabCustomer", "region", "varchar(40) NULL")
	}
	d, err = rehearsal.CompareGolden(golden, run(wrong).After, config.CompareRowCounts)
	if err != nil {
		t.Fatal(err)
	}
	if d.Empty() || !strings.Contains(d.String(), "region") {
		t.Errorf("a changed column type is not in the diff:\n%s", d.String())
	}
	if err := os.WriteFile(golden, []byte("table broken rows=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := rehearsal.CompareGolden(golden, run(addRegion).After, config.CompareRowCounts); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("a corrupt golden: err = %v", err)
	}
}

func TestCrashPoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		total, n int
		want     string
	}{
		{0, 3, "[]"}, {1, 3, "[1]"}, {2, 3, "[1 2]"}, {10, 3, "[1 5 10]"}, {10, 1, "[1]"},
	}
	for _, tt := range tests {
		got := rehearsal.CrashPoints(tt.total, tt.n)
		if fmt.Sprint(got) != tt.want {
			t.Errorf("CrashPoints(%d, %d) = %v, want %s", tt.total, tt.n, got, tt.want)
		}
	}
}

func TestLint(t *testing.T) {
	fx, cache := demo(t)
	drop := patch.Patch{
		ID:          "v1.drop_city",
		Description: "drop a column that has data",
		Run: func(ctx context.Context, pc *patch.Context) error {
			return pc.DropColumn(ctx, "tabAddress", "city")
		},
	}
	rep, err := rehearsal.Run(context.Background(), rehearsal.Config{Set: patch.Set{Patches: []patch.Patch{drop}}, Fixture: fx, Cache: cache, Lint: true})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range rep.Lint {
		if f.Table == "tabAddress" && strings.Contains(f.String(), "city") {
			found = true
		}
	}
	if !found {
		t.Errorf("dropping a column with data gave no lint finding; findings: %v", rep.Lint)
	}
}
