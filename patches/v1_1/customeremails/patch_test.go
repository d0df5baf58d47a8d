package customeremails_test

import (
	"os"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/internal/rehearse"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func TestCustomerEmails(t *testing.T) {
	db := rehearse.Fixture(t, patchtest.NewDatabase)
	withEmail := rehearse.Count(t, db, "tabCustomer", "email_id IS NOT NULL AND email_id <> ''")
	mobiles := rehearse.Count(t, db, "tabCustomer", "mobile_no IS NOT NULL")
	rehearse.Up(t, db, patches.Set)

	if got := rehearse.Count(t, db, "tabCustomer Email", "parenttype = 'Customer' AND parentfield = 'email_ids' AND is_primary = 1"); got != withEmail || got == 0 {
		t.Errorf("%d email rows, want %d (one per customer with an email)", got, withEmail)
	}
	if got := rehearse.Count(t, db, "tabCustomer Email", "NOT EXISTS (SELECT 1 FROM tabCustomer c WHERE c.name = parent AND c.email_id = `tabCustomer Email`.email_id)"); got != 0 {
		t.Errorf("%d email rows do not match their customer's email_id", got)
	}
	if got := rehearse.Count(t, db, "tabCustomer", "mobile_number IS NOT NULL"); got != mobiles {
		t.Errorf("%d mobile numbers after the rename, want %d", got, mobiles)
	}
	for table, where := range map[string]string{
		"tabDocField":        "parent = 'Customer' AND fieldname = 'mobile_number'",
		"tabProperty Setter": "doc_type = 'Customer' AND field_name = 'mobile_number' AND name LIKE 'Customer-mobile_number-%'",
		"tabCustom Field":    "name = 'Customer-email_ids' AND fieldtype = 'Table' AND options = 'Customer Email'",
		"tabDocType":         "name = 'Customer Email' AND istable = 1",
	} {
		if rehearse.Count(t, db, table, where) == 0 {
			t.Errorf("no %s row where %s", table, where)
		}
	}
	if got := rehearse.Count(t, db, "tabProperty Setter", "field_name = 'mobile_no'"); got != 0 {
		t.Errorf("%d property setters still name mobile_no", got)
	}
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
