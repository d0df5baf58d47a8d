package migtest_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// productionFixture writes the demo fixture with two more error log rows:
// a dump whose row counts the golden does not know.
func productionFixture(t *testing.T) string {
	t.Helper()
	root, err := fixture.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	demo, err := os.ReadFile(filepath.Join(root, migtest.DefaultFixture))
	if err != nil {
		t.Fatal(err)
	}
	var extra bytes.Buffer
	zw := gzip.NewWriter(&extra)
	zw.Write([]byte("INSERT INTO `tabError Log` (`name`, `method`) VALUES ('zz-prod-1', 'x'), ('zz-prod-2', 'y');\n"))
	zw.Close()
	p := filepath.Join(t.TempDir(), "prod.sql.gz")
	if err := os.WriteFile(p, append(demo, extra.Bytes()...), 0o600); err != nil { // two gzip members read as one stream
		t.Fatal(err)
	}
	return p
}

// TestProductionFixtureComparesRowChanges: a production fixture compares
// the schema and declared row changes however it is given — the option or
// MIGTEST_FIXTURE — while the same file given as the golden's own fixture
// compares absolute counts and fails on the two extra rows.
func TestProductionFixtureComparesRowChanges(t *testing.T) {
	servertest.Server(t)
	t.Setenv(fixture.EnvFixture, "")
	golden := filepath.Join(t.TempDir(), "rating.snap")
	set := patch.Set{Patches: []patch.Patch{addColumn("int NULL")}}
	flagUpdate(t, true)
	if r := rehearse(t, set, migtest.Golden(golden), migtest.Skip(migtest.CrashResume)); len(r.errors) > 0 {
		t.Fatalf("-update: %q", r.errors)
	}
	flagUpdate(t, false)
	prod := productionFixture(t)

	r := rehearse(t, set, migtest.Golden(golden), migtest.Fixture(prod), migtest.Skip(migtest.CrashResume))
	if msg := strings.Join(r.errors, "\n"); !strings.Contains(msg, "tabError Log") {
		t.Errorf("Fixture(prod) compares absolute counts and must fail on tabError Log; got %q", msg)
	}
	if r := rehearse(t, set, migtest.Golden(golden), migtest.ProductionFixture(prod), migtest.Skip(migtest.CrashResume)); len(r.errors) > 0 {
		t.Errorf("ProductionFixture(prod): %q", r.errors)
	}
	if r := rehearse(t, set, migtest.Golden(golden), migtest.Fixture(prod), migtest.Compare(migtest.RowChanges), migtest.Skip(migtest.CrashResume)); len(r.errors) > 0 {
		t.Errorf("Fixture(prod) with Compare(RowChanges): %q", r.errors)
	}
	t.Setenv(fixture.EnvFixture, prod)
	if r := rehearse(t, set, migtest.Golden(golden), migtest.Skip(migtest.CrashResume)); len(r.errors) > 0 {
		t.Errorf("MIGTEST_FIXTURE=prod: %q", r.errors)
	}
	// an explicit option wins over the environment
	r = rehearse(t, set, migtest.Golden(golden), migtest.Fixture(migtest.DefaultFixture), migtest.Skip(migtest.CrashResume))
	if len(r.errors) > 0 {
		t.Errorf("Fixture(default) under MIGTEST_FIXTURE=prod: %q", r.errors)
	}
}

// TestBadOptions: an option given a bad value fails the rehearsal with an
// error naming the option and the fix, before anything runs.
func TestBadOptions(t *testing.T) {
	set := patch.Set{Patches: []patch.Patch{addColumn("int NULL")}}
	tests := []struct {
		opt  migtest.Option
		want string
	}{
		{migtest.CrashPoints(0), "migtest.CrashPoints(0): want 1 or more"},
		{migtest.Fixture(""), "migtest.Fixture(\"\"): the path is empty"},
		{migtest.ProductionFixture(""), "migtest.ProductionFixture(\"\")"},
		{migtest.Golden(""), "migtest.Golden(\"\")"},
		{migtest.Patch(""), "migtest.Patch(\"\")"},
		{migtest.Check(nil), "migtest.Check(nil)"},
		{migtest.Server(nil), "migtest.Server(nil)"},
		{migtest.Skip(migtest.Builtin(9)), "migtest.Skip(Builtin(9)): not a built-in check"},
		{migtest.Compare(migtest.CompareMode(0)), "migtest.Compare(auto): not a mode; use migtest.RowCounts or migtest.RowChanges"},
	}
	for _, tt := range tests {
		r := rehearse(t, set, tt.opt)
		if msg := strings.Join(r.errors, "\n"); !r.fatal || !strings.Contains(msg, tt.want) {
			t.Errorf("want a fatal %q, got fatal=%v %q", tt.want, r.fatal, msg)
		}
	}
}
