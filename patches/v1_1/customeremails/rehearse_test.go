package customeremails_test

import (
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_1/customeremails"
)

// TestMain stops the test binary's shared MariaDB when the tests end.
func TestMain(m *testing.M) { servertest.Main(m) }

// TestRehearse restores the demo fixture, runs the patches before this one,
// then this one, and compares the result with
// snapshots/patches/v1_1/customeremails/TestRehearse.snap; it also checks
// that the patch is idempotent and resumes after a crash, and the rows the
// Frappe kit wrote.
func TestRehearse(t *testing.T) {
	migtest.Rehearse(t, patches.Set, migtest.Patch(customeremails.Patch.ID), migtest.Check(checkEmails))
}

// checkEmails: one primary email row per customer with an email, each
// matching its customer; the renamed field's column, DocField, Property
// Setter, Custom Field and child DocType rows; no setter names the old field.
func checkEmails(t testing.TB, db *sql.DB) {
	withEmail := count(t, db, "tabCustomer", "email_id IS NOT NULL AND email_id <> ''")
	if got := count(t, db, "tabCustomer Email", "parenttype = 'Customer' AND parentfield = 'email_ids' AND is_primary = 1"); got != withEmail || got == 0 {
		t.Errorf("%d email rows, want %d (one per customer with an email)", got, withEmail)
	}
	if got := count(t, db, "tabCustomer Email", "NOT EXISTS (SELECT 1 FROM tabCustomer c WHERE c.name = parent AND c.email_id = `tabCustomer Email`.email_id)"); got != 0 {
		t.Errorf("%d email rows do not match their customer's email_id", got)
	}
	if got := count(t, db, "tabCustomer", "mobile_number IS NOT NULL"); got == 0 {
		t.Errorf("no mobile numbers after the rename")
	}
	for table, where := range map[string]string{
		"tabDocField":        "parent = 'Customer' AND fieldname = 'mobile_number'",
		"tabProperty Setter": "doc_type = 'Customer' AND field_name = 'mobile_number' AND name LIKE 'Customer-mobile_number-%'",
		"tabCustom Field":    "name = 'Customer-email_ids' AND fieldtype = 'Table' AND options = 'Customer Email'",
		"tabDocType":         "name = 'Customer Email' AND istable = 1",
	} {
		if count(t, db, table, where) == 0 {
			t.Errorf("no %s row where %s", table, where)
		}
	}
	if got := count(t, db, "tabProperty Setter", "field_name = 'mobile_no'"); got != 0 {
		t.Errorf("%d property setters still name mobile_no", got)
	}
}

func count(t testing.TB, db *sql.DB, table, where string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + patch.QuoteIdent(table) + " WHERE " + where).Scan(&n); err != nil {
		t.Fatalf("count %s where %s: %v", table, where, err)
	}
	return n
}

// TestREADMEQuotesThePatch keeps README's "Coming from Frappe" example
// true: each paragraph of its Go block is in patch.go as it stands.
func TestREADMEQuotesThePatch(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("patch.go")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "## Coming from Frappe")
	_, block, ok2 := strings.Cut(sec, "```go\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no Go block under \"Coming from Frappe\"")
	}
	for _, para := range strings.Split(strings.TrimSpace(block), "\n\n") {
		if !strings.Contains(string(src), para) {
			t.Errorf("README quotes what patch.go does not have:\n%s", para)
		}
	}
}
