package frappe_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/migtest/migtest/fixtures"
	"github.com/migtest/migtest/migtest/frappe"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/migtest/rehearsal"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// site returns a fresh copy of the demo site.
func site(t *testing.T) *sql.DB {
	t.Helper()
	_, db := patchtest.NewDatabase(t)
	if err := fixtures.LoadDemoSite(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// run runs fn as a patch through the runner (as up does) and returns the
// tables its statements wrote, as `rollback --touched` records them.
func run(t *testing.T, db *sql.DB, fn func(ctx context.Context, pc *patch.Context) error) []string {
	t.Helper()
	var mu sync.Mutex
	written := map[string]bool{}
	hook := func(_ context.Context, q string) error {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range rehearsal.TablesWritten(q) {
			if !strings.HasPrefix(n, "migtest_") {
				written[n] = true
			}
		}
		return nil
	}
	id := fmt.Sprintf("test.%s.%d", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), seq.Add())
	m, err := migrate.New(db, patch.Set{Patches: []patch.Patch{{ID: id, Run: fn}}}, migrate.WithStatementHook(hook))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background(), migrate.UpOptions{}); err != nil {
		t.Fatalf("up: %v", err)
	}
	out := make([]string, 0, len(written))
	for n := range written {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) Add() int { c.mu.Lock(); defer c.mu.Unlock(); c.n++; return c.n }

var seq counter

func colType(t *testing.T, db *sql.DB, table, col string) string {
	t.Helper()
	var ct sql.NullString
	err := db.QueryRow("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", table, col).Scan(&ct)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return ct.String
}

func query1(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil && err != sql.ErrNoRows {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func equal(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

func TestCreateCustomFields(t *testing.T) {
	db := site(t)
	fields := map[string][]frappe.Field{
		"Customer": {
			{Fieldname: "custom_tax_id", Label: "Tax ID", Fieldtype: "Data", Unique: "1", InsertAfter: "customer_name"},
			{Fieldname: "custom_credit_days", Fieldtype: "Int", Default: "30", InsertAfter: "custom_tax_id"},
			{Fieldname: "custom_notes", Fieldtype: "Small Text", SearchIndex: "1"}, // text: no index, as in Frappe
			{Fieldname: "custom_segment", Fieldtype: "Link", Options: "Customer Group", SearchIndex: "1"},
			{Fieldname: "custom_more", Fieldtype: "Section Break"},
		},
		"System Settings": {{Fieldname: "custom_banner", Fieldtype: "Data"}}, // a Single: no table
	}
	create := func(ctx context.Context, pc *patch.Context) error { return frappe.CreateCustomFields(ctx, pc, fields) }
	written := run(t, db, create)
	if want := []string{"tabCustom Field", "tabCustomer"}; !equal(written, want) {
		t.Errorf("wrote %v, want %v", written, want)
	}
	for col, want := range map[string]string{"custom_tax_id": "varchar(140)", "custom_credit_days": "int(11)", "custom_notes": "text", "custom_segment": "varchar(140)", "custom_more": ""} {
		if got := colType(t, db, "tabCustomer", col); got != want {
			t.Errorf("column %s: %q, want %q", col, got, want)
		}
	}
	if got := query1(t, db, "SELECT COLUMN_DEFAULT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tabCustomer' AND COLUMN_NAME = 'custom_credit_days'"); got != "30" {
		t.Errorf("custom_credit_days default %q, want 30", got)
	}
	if got := query1(t, db, "SELECT GROUP_CONCAT(CONCAT(INDEX_NAME, ':', NON_UNIQUE) ORDER BY INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tabCustomer' AND COLUMN_NAME LIKE 'custom%'"); got != "custom_segment_index:1,custom_tax_id:0" {
		t.Errorf("indexes %q, want custom_segment_index:1,custom_tax_id:0", got)
	}
	if got := query1(t, db, "SELECT GROUP_CONCAT(CONCAT(name, '/', fieldtype, '/', insert_after) ORDER BY name) FROM `tabCustom Field` WHERE dt IN ('Customer', 'System Settings')"); got != "Customer-custom_credit_days/Int/custom_tax_id,Customer-custom_more/Section Break/,Customer-custom_notes/Small Text/,Customer-custom_segment/Link/,Customer-custom_tax_id/Data/customer_name,System Settings-custom_banner/Data/" {
		t.Errorf("custom field rows: %s", got)
	}
	if w := run(t, db, create); len(w) != 0 {
		t.Errorf("a second run wrote %v, want nothing", w)
	}
	// A changed label updates the row, and only the row.
	fields["Customer"][0].Label = "Tax Number"
	if w := run(t, db, create); !equal(w, []string{"tabCustom Field"}) {
		t.Errorf("a changed label wrote %v, want only tabCustom Field", w)
	}
	if got := query1(t, db, "SELECT label FROM `tabCustom Field` WHERE name = 'Customer-custom_tax_id'"); got != "Tax Number" {
		t.Errorf("label %q after the update", got)
	}
}

func TestRenameField(t *testing.T) {
	db := site(t)
	mobiles := query1(t, db, "SELECT COUNT(mobile_no) FROM tabCustomer")
	run(t, db, func(ctx context.Context, pc *patch.Context) error {
		return frappe.CreateCustomFields(ctx, pc, map[string][]frappe.Field{"Customer": {{Fieldname: "custom_whatsapp", Fieldtype: "Phone", InsertAfter: "mobile_no"}}})
	})
	rename := func(ctx context.Context, pc *patch.Context) error {
		return frappe.RenameField(ctx, pc, "Customer", "mobile_no", "mobile_number")
	}
	written := run(t, db, rename)
	if want := []string{"tabCustom Field", "tabCustomer", "tabDocField", "tabProperty Setter"}; !equal(written, want) {
		t.Errorf("wrote %v, want %v", written, want)
	}
	if colType(t, db, "tabCustomer", "mobile_no") != "" || colType(t, db, "tabCustomer", "mobile_number") != "varchar(140)" {
		t.Error("the column was not renamed")
	}
	if got := query1(t, db, "SELECT COUNT(mobile_number) FROM tabCustomer"); got != mobiles {
		t.Errorf("%s mobile numbers after the rename, want %s", got, mobiles)
	}
	if got := query1(t, db, "SELECT COUNT(*) FROM tabDocField WHERE parent = 'Customer' AND fieldname = 'mobile_number'"); got != "1" {
		t.Errorf("%s DocField rows name mobile_number, want 1", got)
	}
	if got := query1(t, db, "SELECT GROUP_CONCAT(name ORDER BY name) FROM `tabProperty Setter` WHERE doc_type = 'Customer' AND field_name = 'mobile_number'"); got != "Customer-mobile_number-bold,Customer-mobile_number-in_list_view" {
		t.Errorf("property setters %q", got)
	}
	if got := query1(t, db, "SELECT insert_after FROM `tabCustom Field` WHERE name = 'Customer-custom_whatsapp'"); got != "mobile_number" {
		t.Errorf("custom field placed after %q, want mobile_number", got)
	}
	if w := run(t, db, rename); len(w) != 0 {
		t.Errorf("a second run wrote %v, want nothing", w)
	}

	// A Custom Field renamed: its row and name follow.
	run(t, db, func(ctx context.Context, pc *patch.Context) error {
		return frappe.RenameField(ctx, pc, "Customer", "custom_whatsapp", "custom_wa")
	})
	if got := query1(t, db, "SELECT CONCAT(name, '/', fieldname) FROM `tabCustom Field` WHERE dt = 'Customer' AND fieldtype = 'Phone'"); got != "Customer-custom_wa/custom_wa" {
		t.Errorf("custom field row %q", got)
	}

	// Frappe's own case: the DocType was synced with the new field already;
	// the values are copied.
	run(t, db, func(ctx context.Context, pc *patch.Context) error {
		if err := pc.AddColumn(ctx, "tabCustomer", "email", "varchar(140) DEFAULT NULL"); err != nil {
			return err
		}
		return frappe.RenameField(ctx, pc, "Customer", "email_id", "email")
	})
	if got := query1(t, db, "SELECT COUNT(*) FROM tabCustomer WHERE NOT (email <=> email_id)"); got != "0" {
		t.Errorf("%s customers with email different from email_id", got)
	}

	// A Single's field lives in tabSingles.
	if w := run(t, db, func(ctx context.Context, pc *patch.Context) error {
		return frappe.RenameField(ctx, pc, "System Settings", "time_zone", "time_zone_name")
	}); !equal(w, []string{"tabDocField", "tabSingles"}) {
		t.Errorf("renaming a Single's field wrote %v", w)
	}
	if got := query1(t, db, "SELECT value FROM tabSingles WHERE doctype = 'System Settings' AND field = 'time_zone_name'"); got != "Asia/Kolkata" {
		t.Errorf("time_zone_name = %q", got)
	}

	// A field that never was is an error, not a silent success.
	_, err := upErr(db, func(ctx context.Context, pc *patch.Context) error {
		return frappe.RenameField(ctx, pc, "Customer", "no_such_field", "other")
	})
	if err == nil || !contains(err.Error(), "no such column") {
		t.Errorf("renaming a missing field: %v", err)
	}
}

func upErr(db *sql.DB, fn func(ctx context.Context, pc *patch.Context) error) (*migrate.UpResult, error) {
	m, err := migrate.New(db, patch.Set{Patches: []patch.Patch{{ID: fmt.Sprintf("test.err.%d", seq.Add()), Run: fn}}})
	if err != nil {
		return nil, err
	}
	return m.Up(context.Background(), migrate.UpOptions{})
}

func TestSingleValues(t *testing.T) {
	db := site(t)
	var got string
	var ok bool
	written := run(t, db, func(ctx context.Context, pc *patch.Context) error {
		if err := frappe.SetSingleValue(ctx, pc, "System Settings", "country", "Sweden"); err != nil {
			return err
		}
		if err := frappe.SetSingleValue(ctx, pc, "Selling Settings", "so_required", true); err != nil {
			return err
		}
		var err error
		got, ok, err = frappe.GetSingleValue(ctx, pc, "System Settings", "country")
		return err
	})
	if got != "Sweden" || !ok || !equal(written, []string{"tabSingles"}) {
		t.Errorf("got %q %v, wrote %v", got, ok, written)
	}
	if v := query1(t, db, "SELECT value FROM tabSingles WHERE doctype = 'Selling Settings' AND field = 'so_required'"); v != "1" {
		t.Errorf("so_required = %q, want 1", v)
	}
	if w := run(t, db, func(ctx context.Context, pc *patch.Context) error {
		return frappe.SetSingleValue(ctx, pc, "System Settings", "country", "Sweden")
	}); len(w) != 0 {
		t.Errorf("setting the same value wrote %v", w)
	}
	// Duplicate rows (tabSingles has no unique key) end as one.
	if _, err := db.Exec("INSERT INTO tabSingles VALUES ('System Settings', 'country', 'Norway')"); err != nil {
		t.Fatal(err)
	}
	run(t, db, func(ctx context.Context, pc *patch.Context) error {
		if err := frappe.SetSingleValue(ctx, pc, "System Settings", "country", "Sweden"); err != nil {
			return err
		}
		_, ok, err := frappe.GetSingleValue(ctx, pc, "System Settings", "no_such_field")
		if ok || err != nil {
			return fmt.Errorf("missing field: ok %v err %w", ok, err)
		}
		return nil
	})
	if n := query1(t, db, "SELECT COUNT(*) FROM tabSingles WHERE doctype = 'System Settings' AND field = 'country'"); n != "1" {
		t.Errorf("%s country rows, want 1", n)
	}
}

func readDocType(t *testing.T, name string) frappe.DocType {
	t.Helper()
	dt, err := frappe.ReadDocType(os.DirFS("testdata"), name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}
