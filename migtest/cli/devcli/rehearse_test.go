package devcli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/cli/devcli"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/migtest/snapshot"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearseLintErrorExit4: migtest rehearse fails with exit 4 on a
// rebuild of a table that has 3 M rows in the production profile, writes
// the Markdown summary, and passes once the patch acknowledges it.
func TestRehearseLintErrorExit4(t *testing.T) {
	srv := servertest.Server(t)
	t.Setenv("MIGTEST_DSN", srv.DSN(""))
	b, err := os.ReadFile("../../../snapshots/demo-site.snap")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := snapshot.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range prod.Tables {
		if prod.Tables[i].Name == "tabCustomer" {
			prod.Tables[i].Rows = 3_000_000
		}
	}
	dir := t.TempDir()
	prodFile, summary := filepath.Join(dir, "production.snap"), filepath.Join(dir, "rehearsal.md")
	if err := os.WriteFile(prodFile, prod.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := patch.Patch{
		ID: "v9_0.customer_name_text",
		Run: func(ctx context.Context, pc *patch.Context) error {
			return pc.ModifyColumn(ctx, "tabCustomer", "customer_name", "text")
		},
	}
	run := func(p patch.Patch) (int, string) {
		var out, errb bytes.Buffer
		code := devcli.Main(context.Background(), patch.Set{Patches: []patch.Patch{p}}, []string{"-q", "rehearse", "--provider", "dsn",
			"--fixture", "../../../fixtures/demo-site.sql.gz", "--patch", p.ID, "--estimate", prodFile, "--summary", summary, "--no-crash-resume"}, &out, &errb)
		return code, out.String() + errb.String()
	}
	code, out := run(p)
	if code != 4 || !strings.Contains(out, "ddl lint error in patch v9_0.customer_name_text") || !strings.Contains(out, "3.0 M rows") {
		t.Errorf("exit %d, want 4 with the lint error:\n%s", code, out)
	}
	md, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(md), "**Failed**") || !strings.Contains(string(md), "| error | v9_0.customer_name_text | rebuild |") ||
		!strings.Contains(string(md), "#### Estimated in production") {
		t.Errorf("the Markdown summary (%v):\n%s", err, md)
	}
	p.Allow = []patch.Allowance{{Rule: "rebuild", Table: "tabCustomer", Why: "Sunday maintenance window"}}
	if code, out := run(p); code != 0 || !strings.Contains(out, "allowed by the patch: Sunday maintenance window") || !strings.Contains(out, "rehearsal passed") {
		t.Errorf("acknowledged: exit %d, want 0:\n%s", code, out)
	}
}
