package sqlpatch_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/migtest/sqlpatch"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func patches(t *testing.T, dir string, f sqlpatch.Format) []patch.Patch {
	t.Helper()
	ps, err := sqlpatch.Patches(os.DirFS("testdata"), dir, f)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestRunGooseMySQL runs goose's own MySQL test migrations as patches.
func TestRunGooseMySQL(t *testing.T) {
	_, db := patchtest.NewDatabase(t)
	set := patch.Set{Patches: patches(t, "goose-mysql", sqlpatch.Goose)}
	var stmts []string
	m, err := migrate.New(db, set, migrate.WithStatementHook(func(_ context.Context, q string) error {
		stmts = append(stmts, q)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Up(context.Background(), migrate.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Patches) != 6 {
		t.Errorf("%d patches ran, want 6", len(res.Patches))
	}
	var owners, repos, procs int
	if err := db.QueryRow("SELECT (SELECT COUNT(*) FROM owners), (SELECT COUNT(*) FROM repos), (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = 'insert_repository')").Scan(&owners, &repos, &procs); err != nil {
		t.Fatal(err)
	}
	if owners != 4 || repos != 2 || procs != 1 {
		t.Errorf("owners %d, repos %d, procedures %d; want 4, 2, 1", owners, repos, procs)
	}
	if _, err := db.Exec("CALL insert_repository('octo/cat', 'octo', 'user')"); err != nil {
		t.Errorf("the procedure does not work: %v", err)
	}
	// Every statement went through the runner's hook (log, lint, faults).
	if !strings.Contains(strings.Join(stmts, "\n"), "CREATE UNIQUE INDEX owners_owner_name_idx") {
		t.Error("the statements did not pass the statement hook")
	}
	st, err := m.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 {
		t.Errorf("pending after up: %v", st.Pending)
	}
}

// TestRehearseSQLDirectories rehearses goose, golang-migrate and Flyway
// directories like Go patches: golden snapshot, a second up and a second
// run of each file change nothing, and a run crashed at the first, middle
// and last statement resumes to the same result.
func TestRehearseSQLDirectories(t *testing.T) {
	set := patch.Set{}
	set.Patches = append(set.Patches, patches(t, "goose-txn", sqlpatch.Goose)...)
	set.Patches = append(set.Patches, patches(t, "migrate-mysql", sqlpatch.GolangMigrate)...)
	set.Patches = append(set.Patches, patches(t, "flyway", sqlpatch.Flyway)...)
	migtest.Rehearse(t, set, migtest.Golden("migtest/sqlpatch/testdata/rehearse.snap"), migtest.CrashPoints(8))
}

func TestProgressSurvivesAChangedFile(t *testing.T) {
	_, db := patchtest.NewDatabase(t)
	ps := patches(t, "goose-txn", sqlpatch.Goose)
	m, err := migrate.New(db, patch.Set{Patches: ps})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background(), migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	// The file of a patch that ran lost statements: running it again is refused.
	mig, ok := sqlpatch.Lookup(ps[0].ID)
	if !ok {
		t.Fatal("Lookup does not know a loaded patch")
	}
	mig.Statements = mig.Statements[:1]
	if _, err := db.Exec("DELETE FROM migtest_patch_log WHERE id = ?", ps[0].ID); err != nil {
		t.Fatal(err)
	}
	m2, _ := migrate.New(db, patch.Set{Patches: []patch.Patch{mig.Patch()}})
	_, err = m2.Up(context.Background(), migrate.UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "the file changed after it ran") {
		t.Errorf("up with a shortened file: %v", err)
	}
}
