package snapshot_test

import (
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/snapshot"
)

// TestRenameAmongEqualColumns: a column renamed in place while other
// columns of the same definition are added (the whole example set: the
// Frappe kit renames mobile_no to mobile_number, earlier patches append
// custom_* varchar(140) columns) is shown as the rename it is, not as a
// rename to the first added column of that type.
func TestRenameAmongEqualColumns(t *testing.T) {
	col := func(name string) snapshot.Column {
		return snapshot.Column{Name: name, Type: "varchar(140)", Nullable: true}
	}
	before := &snapshot.Snapshot{Tables: []snapshot.Table{{Name: "tabCustomer",
		Columns: []snapshot.Column{col("name"), col("mobile_no"), col("email_id")}}}}
	after := &snapshot.Snapshot{Tables: []snapshot.Table{{Name: "tabCustomer",
		Columns: []snapshot.Column{col("name"), col("mobile_number"), col("email_id"), col("custom_full_name"), col("custom_region")}}}}
	got := snapshot.Compare(before, after).String()
	if !strings.Contains(got, "mobile_no renamed to mobile_number") {
		t.Errorf("want mobile_no renamed to mobile_number (same place, same definition), got:\n%s", got)
	}
	for _, c := range []string{"+ column tabCustomer.custom_full_name", "+ column tabCustomer.custom_region"} {
		if !strings.Contains(got, c) {
			t.Errorf("want %q among the changes, got:\n%s", c, got)
		}
	}
}
