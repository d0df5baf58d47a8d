package frappe_test

import (
	"context"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/frappe"
	"github.com/migtest/migtest/migtest/patch"
)

// TestSyncDocTypeFrappeFiles syncs real DocType files of Frappe onto the
// demo site's tables, which were made like Frappe's.
func TestSyncDocTypeFrappeFiles(t *testing.T) {
	db := site(t)
	var res frappe.SyncResult
	syncFile := func(name string) []string {
		return run(t, db, func(ctx context.Context, pc *patch.Context) error {
			var err error
			res, err = frappe.SyncDocType(ctx, pc, readDocType(t, name), frappe.SyncOptions{})
			return err
		})
	}

	// Has Role: a child table the fixture has as Frappe makes it; its file
	// lists the standard columns as fields, which are not columns of their own.
	if w := syncFile("has_role.json"); res.Created || len(res.Applied)+len(res.Skipped) != 0 || strings.Contains(strings.Join(w, ","), "tabHas Role") {
		t.Errorf("Has Role: %+v, wrote %v; want no change to the table", res, w)
	}

	// ToDo (2019): new fields and Frappe's optional columns are added.
	w := syncFile("todo.json")
	want := []string{"add column `color` varchar(140)", "add column `role` varchar(140)",
		"add column `assigned_by` varchar(140)", "add column `assigned_by_full_name` varchar(140)",
		"add column `sender` varchar(140)", "add column `assignment_rule` varchar(140)",
		"add column `_user_tags` text DEFAULT NULL", "add column `_comments` text DEFAULT NULL", "add column `_assign` text DEFAULT NULL",
		"add column `_liked_by` text DEFAULT NULL", "add column `_seen` text DEFAULT NULL"}
	if !equal(res.Applied, want) || len(res.Skipped) != 0 {
		t.Errorf("ToDo applied\n%s\nwant\n%s\nskipped %v", strings.Join(res.Applied, "\n"), strings.Join(want, "\n"), res.Skipped)
	}
	if !equal(w, []string{"tabDocField", "tabDocType", "tabToDo"}) {
		t.Errorf("ToDo sync wrote %v", w)
	}
	// The DocFields follow the file: 18 fields; allocated_to, gone from it, is deleted.
	if got := query1(t, db, "SELECT COUNT(*) FROM tabDocField WHERE parent = 'ToDo'"); got != "18" {
		t.Errorf("%s ToDo DocFields, want 18", got)
	}
	if got := query1(t, db, "SELECT CONCAT(title_field, '/', module) FROM tabDocType WHERE name = 'ToDo'"); got != "description/Desk" {
		t.Errorf("ToDo DocType row: %q", got)
	}
	if w := syncFile("todo.json"); len(w) != 0 || len(res.Applied) != 0 {
		t.Errorf("a second sync wrote %v, applied %v", w, res.Applied)
	}
}

const emailDocType = `{
 "name": "Customer Email", "module": "Selling", "istable": 1, "custom": 1, "autoname": "hash",
 "fields": [
  {"fieldname": "email_id", "fieldtype": "Data", "label": "Email", "options": "Email", "search_index": 1, "in_list_view": 1},
  {"fieldname": "is_primary", "fieldtype": "Check", "label": "Is Primary", "default": "0"},
  {"fieldname": "code", "fieldtype": "Data", "unique": 1}
 ]}`

func parse(t *testing.T, s string) frappe.DocType {
	t.Helper()
	dt, err := frappe.ParseDocType([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func TestSyncDocTypeCreateAndAlter(t *testing.T) {
	db := site(t)
	var res frappe.SyncResult
	syncDoc := func(dt frappe.DocType, opts frappe.SyncOptions) []string {
		return run(t, db, func(ctx context.Context, pc *patch.Context) error {
			var err error
			res, err = frappe.SyncDocType(ctx, pc, dt, opts)
			return err
		})
	}
	dt := parse(t, emailDocType)
	if w := syncDoc(dt, frappe.SyncOptions{}); !res.Created || !equal(w, []string{"tabCustomer Email", "tabDocField", "tabDocType"}) {
		t.Fatalf("create: %+v, wrote %v", res, w)
	}
	var table, ddl string
	if err := db.QueryRow("SHOW CREATE TABLE `tabCustomer Email`").Scan(&table, &ddl); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`name` varchar(140) NOT NULL", "`creation` datetime(6) DEFAULT NULL", "`docstatus` int(1) NOT NULL DEFAULT 0",
		"`idx` int(8) NOT NULL DEFAULT 0", "`email_id` varchar(140) DEFAULT NULL", "`is_primary` int(1) NOT NULL DEFAULT 0",
		"`parent` varchar(140) DEFAULT NULL", "`parentfield` varchar(140)", "`parenttype` varchar(140)", "PRIMARY KEY (`name`)",
		"UNIQUE KEY `code` (`code`)", "KEY `email_id` (`email_id`)", "KEY `parent` (`parent`)", "utf8mb4_unicode_ci"} {
		if !strings.Contains(ddl, want) {
			t.Errorf("the created table lacks %s:\n%s", want, ddl)
		}
	}
	if strings.Contains(ddl, "_user_tags") || strings.Contains(ddl, "KEY `creation`") {
		t.Errorf("a child table got a parent's columns:\n%s", ddl)
	}
	if w := syncDoc(dt, frappe.SyncOptions{}); res.Created || len(w) != 0 {
		t.Errorf("second sync: %+v, wrote %v", res, w)
	}

	// Widening applies; narrowing and dropped indexes wait for the option.
	dt.Fields[0].Length = "255"     // varchar(140) → varchar(255)
	dt.Fields[0].SearchIndex = "0"  // drop the index
	dt.Fields[1].Fieldtype = "Data" // int(1) → varchar(140): not a widening
	dt.Fields[2].Unique = "0"       // drop the unique index
	dt.Fields = append(dt.Fields, frappe.Field{Fieldname: "verified_on", Fieldtype: "Datetime", SearchIndex: "1"})
	syncDoc(dt, frappe.SyncOptions{})
	wantApplied := []string{"modify column `email_id` varchar(140) → varchar(255)", "add column `verified_on` datetime(6)", "add index `verified_on_index`"}
	wantSkipped := []string{"drop index `email_id`", "modify column `is_primary` int(1) → varchar(140) DEFAULT '0'", "drop unique index `code`"}
	if !equal(res.Applied, wantApplied) || !equal(res.Skipped, wantSkipped) {
		t.Errorf("applied %q\nskipped %q\nwant %q\nand %q", res.Applied, res.Skipped, wantApplied, wantSkipped)
	}
	if got := colType(t, db, "tabCustomer Email", "email_id"); got != "varchar(255)" {
		t.Errorf("email_id is %s after widening", got)
	}
	syncDoc(dt, frappe.SyncOptions{AllowNarrowing: true})
	if !equal(res.Applied, wantSkipped) || len(res.Skipped) != 0 {
		t.Errorf("with AllowNarrowing applied %q skipped %q", res.Applied, res.Skipped)
	}
	if got := colType(t, db, "tabCustomer Email", "is_primary"); got != "varchar(140)" {
		t.Errorf("is_primary is %s with AllowNarrowing", got)
	}
	if got := query1(t, db, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tabCustomer Email' AND INDEX_NAME IN ('code', 'email_id')"); got != "0" {
		t.Errorf("%s dropped indexes remain", got)
	}
}

func TestSyncDocTypeSingleAndAutoincrement(t *testing.T) {
	db := site(t)
	single := parse(t, `{"name": "Frappe Kit Settings", "module": "Core", "issingle": 1, "fields": [{"fieldname": "enabled", "fieldtype": "Check"}]}`)
	auto := parse(t, `{"name": "Kit Log", "module": "Core", "autoname": "autoincrement", "track_seen": 1, "fields": [{"fieldname": "message", "fieldtype": "Long Text"}]}`)
	w := run(t, db, func(ctx context.Context, pc *patch.Context) error {
		if _, err := frappe.SyncDocType(ctx, pc, single, frappe.SyncOptions{}); err != nil {
			return err
		}
		_, err := frappe.SyncDocType(ctx, pc, auto, frappe.SyncOptions{NoMeta: true})
		return err
	})
	if !equal(w, []string{"tabDocField", "tabDocType", "tabKit Log"}) {
		t.Errorf("wrote %v: a Single has no table; NoMeta writes no meta rows", w)
	}
	if colType(t, db, "tabKit Log", "name") != "bigint(20)" || colType(t, db, "tabKit Log", "_seen") != "text" {
		t.Errorf("autoincrement name %q, _seen %q", colType(t, db, "tabKit Log", "name"), colType(t, db, "tabKit Log", "_seen"))
	}
	if got := query1(t, db, "SELECT COUNT(*) FROM tabDocType WHERE name = 'Kit Log'"); got != "0" {
		t.Error("NoMeta wrote a DocType row")
	}
}

// TestRenameTableField: renaming a Table field moves its child rows'
// parentfield, as rename_field does.
func TestRenameTableField(t *testing.T) {
	db := site(t)
	run(t, db, func(ctx context.Context, pc *patch.Context) error {
		if _, err := frappe.SyncDocType(ctx, pc, parse(t, emailDocType), frappe.SyncOptions{}); err != nil {
			return err
		}
		if err := frappe.CreateCustomFields(ctx, pc, map[string][]frappe.Field{"Customer": {{Fieldname: "emails", Fieldtype: "Table", Options: "Customer Email"}}}); err != nil {
			return err
		}
		_, err := pc.DB.Exec(ctx, "INSERT INTO `tabCustomer Email` (name, parent, parentfield, parenttype, email_id) VALUES ('e1', 'CUST-000001', 'emails', 'Customer', 'a@x'), ('e2', 'X', 'emails', 'Supplier', 'b@x')")
		return err
	})
	w := run(t, db, func(ctx context.Context, pc *patch.Context) error {
		return frappe.RenameField(ctx, pc, "Customer", "emails", "email_addresses")
	})
	if !equal(w, []string{"tabCustom Field", "tabCustomer Email"}) {
		t.Errorf("wrote %v", w)
	}
	if got := query1(t, db, "SELECT GROUP_CONCAT(CONCAT(name, ':', parentfield) ORDER BY name) FROM `tabCustomer Email`"); got != "e1:email_addresses,e2:emails" {
		t.Errorf("child rows %q: only Customer's rows move", got)
	}
	if colType(t, db, "tabCustomer", "emails") != "" || colType(t, db, "tabCustomer", "email_addresses") != "" {
		t.Error("a Table field got a column")
	}
}
