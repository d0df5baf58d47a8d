package migtest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/migtest/snapshot"
)

// customerEmails is the child table of the first example patch:
// one row per customer with an email, copied from tabCustomer.email_id.
var emailColumns = []patch.Column{
	{Name: "name", Definition: "varchar(140) NOT NULL"},
	{Name: "parent", Definition: "varchar(140) NOT NULL"},
	{Name: "email_id", Definition: "varchar(140) NOT NULL"},
}

// emailsPatch copies the emails with copySQL; swallow logs a failure and
// returns success, as the patch of the issue did.
func emailsPatch(copySQL string, swallow bool) patch.Patch {
	return patch.Patch{
		ID: "v9_0.customer_emails",
		Run: func(ctx context.Context, pc *patch.Context) error {
			if err := pc.CreateTable(ctx, "tabCustomer Email", emailColumns, "name"); err != nil {
				return err
			}
			if err := pc.AddIndex(ctx, "tabCustomer Email", "email_id", patch.NonUnique, "email_id(20)"); err != nil {
				return err
			}
			if _, err := pc.DB.Exec(ctx, copySQL); err != nil {
				if swallow {
					pc.Log.Warn("copy failed", "err", err)
					return nil
				}
				return err
			}
			return nil
		},
		Rows: []patch.RowChange{{Table: "tabCustomer Email", PerRowOf: "tabCustomer", PerRow: 1, Where: "`email_id` IS NOT NULL AND `email_id` <> ''"}},
	}
}

const copyEmails = "INSERT IGNORE INTO `tabCustomer Email` (name, parent, email_id) SELECT CONCAT(name, '-email'), name, %s FROM tabCustomer WHERE `email_id` IS NOT NULL AND `email_id` <> ''"

// both runs a rehearsal twice, comparing with golden and with -update,
// and returns the two reports; the golden must not have been written.
func both(t *testing.T, set patch.Set, golden string, opts ...migtest.Option) (check, update string) {
	t.Helper()
	opts = append(opts, migtest.Golden(golden))
	check = strings.Join(rehearse(t, set, opts...).errors, "\n")
	migtest.FlagUpdateForTest(t, true)
	update = strings.Join(rehearse(t, set, opts...).errors, "\n")
	migtest.FlagUpdateForTest(t, false)
	if _, err := os.Stat(golden); !errors.Is(err, os.ErrNotExist) {
		b, _ := os.ReadFile(golden)
		t.Errorf("-update wrote the golden of a failing rehearsal:\n%s", b)
	}
	return check, update
}

// TestSwallowedErrorFails: a patch that logs a failing statement and
// returns nil fails go test and -update, naming the statement and the
// server's error; so does a declared Rows change that did not happen.
func TestSwallowedErrorFails(t *testing.T) {
	servertest.Server(t)
	set := patch.Set{Patches: []patch.Patch{emailsPatch(strings.Replace(copyEmails, "%s", "email_address", 1), true)}}
	golden := filepath.Join(t.TempDir(), "emails.snap")
	check, update := both(t, set, golden, migtest.Patch("v9_0.customer_emails"), migtest.Skip(migtest.CrashResume))
	for name, msg := range map[string]string{"go test": check, "-update": update} {
		for _, want := range []string{"patch v9_0.customer_emails swallowed an error", "INSERT IGNORE INTO `tabCustomer Email`", "Unknown column 'email_address'",
			"changed tabCustomer Email by +0 rows", "fewer rows than declared"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the report lacks %q:\n%s", name, want, msg)
			}
		}
	}
	if !strings.Contains(update, "not writing golden") {
		t.Errorf("-update did not say why it wrote no golden:\n%s", update)
	}
	t.Logf("go test said:\n%s", check)
}

// TestRebuildOnProductionFails: a column change that copies tabCustomer is
// an error when production has 3 M customers, even on the 200-row demo
// fixture; the patch passes once it acknowledges the rebuild with a reason.
func TestRebuildOnProductionFails(t *testing.T) {
	servertest.Server(t)
	b, err := os.ReadFile("../snapshots/demo-site.snap")
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
	prodFile := filepath.Join(t.TempDir(), "production.snap")
	if err := os.WriteFile(prodFile, prod.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MIGTEST_PRODUCTION", prodFile)
	rebuild := patch.Patch{
		ID: "v9_0.customer_name_text",
		Run: func(ctx context.Context, pc *patch.Context) error {
			return pc.ModifyColumn(ctx, "tabCustomer", "customer_name", "text")
		},
	}
	golden := filepath.Join(t.TempDir(), "rebuild.snap")
	opts := []migtest.Option{migtest.Patch(rebuild.ID), migtest.Skip(migtest.CrashResume, migtest.Idempotency)}
	check, update := both(t, patch.Set{Patches: []patch.Patch{rebuild}}, golden, opts...)
	for name, msg := range map[string]string{"go test": check, "-update": update} {
		for _, want := range []string{"ddl lint error in patch v9_0.customer_name_text", "[rebuild]", "tabCustomer", "3.0 M rows", `Allow: []patch.Allowance{{Rule: "rebuild", Table: "tabCustomer"`} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the report lacks %q:\n%s", name, want, msg)
			}
		}
	}
	rebuild.Allow = []patch.Allowance{{Rule: "rebuild", Table: "tabCustomer", Why: "runs in the Sunday maintenance window"}}
	migtest.FlagUpdateForTest(t, true)
	r := rehearse(t, patch.Set{Patches: []patch.Patch{rebuild}}, append(opts, migtest.Golden(golden))...)
	migtest.FlagUpdateForTest(t, false)
	if len(r.errors) > 0 {
		t.Errorf("an acknowledged rebuild still failed:\n%s", strings.Join(r.errors, "\n"))
	}
	t.Logf("go test said:\n%s", check)
}

// TestUnregisteredPatchFails: a patch left out of the set fails its own
// rehearsal and the whole set's, with and without -update, saying to add
// it to patches/patches.go, never to -update.
func TestUnregisteredPatchFails(t *testing.T) {
	servertest.Server(t)
	first := addColumn("varchar(140) DEFAULT NULL")
	second := emailsPatch(strings.Replace(copyEmails, "%s", "email_id", 1), false)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.snap")
	migtest.FlagUpdateForTest(t, true)
	if r := rehearse(t, patch.Set{Patches: []patch.Patch{first, second}}, migtest.Golden(whole), migtest.Skip(migtest.CrashResume)); len(r.errors) > 0 {
		t.Fatalf("the whole set with both patches: %s", strings.Join(r.errors, "\n"))
	}
	migtest.FlagUpdateForTest(t, false)
	before, _ := os.ReadFile(whole)
	onlyFirst := patch.Set{Patches: []patch.Patch{first}}
	for _, update := range []bool{false, true} {
		migtest.FlagUpdateForTest(t, update)
		msg := strings.Join(rehearse(t, onlyFirst, migtest.Golden(whole), migtest.Skip(migtest.CrashResume)).errors, "\n")
		own := strings.Join(rehearse(t, onlyFirst, migtest.Golden(filepath.Join(dir, "own.snap")), migtest.Patch(second.ID)).errors, "\n")
		for _, m := range []string{msg, own} {
			if !strings.Contains(m, "v9_0.customer_emails") || !strings.Contains(m, "patches/patches.go") || !strings.Contains(m, "make build") {
				t.Errorf("update=%v: the report does not name the patch and patches/patches.go:\n%s", update, m)
			}
		}
		if strings.Contains(msg, "if the change is intended") {
			t.Errorf("update=%v: the report offers -update for a missing patch:\n%s", update, msg)
		}
		t.Logf("update=%v, whole set said:\n%s\nits own rehearsal said:\n%s", update, msg, own)
	}
	migtest.FlagUpdateForTest(t, false)
	if after, _ := os.ReadFile(whole); string(after) != string(before) {
		t.Errorf("-update rewrote the whole-set golden without the missing patch")
	}
}

// TestFewerRowsInWords: a patch that now copies fewer rows than its golden
// records is told so in a sentence, with -update offered only if intended.
func TestFewerRowsInWords(t *testing.T) {
	servertest.Server(t)
	golden := filepath.Join(t.TempDir(), "emails.snap")
	good := emailsPatch(strings.Replace(copyEmails, "%s", "email_id", 1), false)
	good.Rows = nil
	migtest.FlagUpdateForTest(t, true)
	if r := rehearse(t, patch.Set{Patches: []patch.Patch{good}}, migtest.Golden(golden), migtest.Patch(good.ID)); len(r.errors) > 0 {
		t.Fatalf("write the golden: %s", strings.Join(r.errors, "\n"))
	}
	migtest.FlagUpdateForTest(t, false)
	b, _ := os.ReadFile(golden)
	if !strings.Contains(string(b), "rows `tabCustomer Email` 0 → ") || strings.Contains(string(b), "table tabCustomer rows=") {
		t.Errorf("the per-patch golden is not a change list with the new table's count:\n%s", b)
	}
	fewer := emailsPatch(strings.Replace(copyEmails, "%s", "email_id", 1)+" AND name < 'CUST-000100'", false)
	fewer.Rows = nil
	msg := strings.Join(rehearse(t, patch.Set{Patches: []patch.Patch{fewer}}, migtest.Golden(golden), migtest.Patch(fewer.ID)).errors, "\n")
	for _, want := range []string{"changed the database differently than its golden", "the patch now changes `tabCustomer Email` by", "fewer than the", "if the change is intended", "fix the patch, not the golden"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the report lacks %q:\n%s", want, msg)
		}
	}
	t.Logf("go test said:\n%s", msg)
}
