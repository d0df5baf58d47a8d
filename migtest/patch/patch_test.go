package patch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

func TestQuoteIdentAndBackupName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{{"tabSales Invoice", "`tabSales Invoice`"}, {"a`b", "`a``b`"}} {
		if got := patch.QuoteIdent(c.in); got != c.want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := patch.BackupName("tabCustomer", "v1_0.customer_profile"); got != "_backup_tabCustomer_v1_0_customer_profile" {
		t.Errorf("BackupName = %s", got)
	}
	if got := patch.BackupName(strings.Repeat("x", 60), "v1_0.p"); len(got) > 64 {
		t.Errorf("BackupName too long: %d", len(got))
	}
}

func TestSetValidate(t *testing.T) {
	t.Parallel()
	run := func(context.Context, *patch.Context) error { return nil }
	for _, c := range []struct {
		name string
		set  patch.Set
		want string
	}{
		{"ok", patch.Set{Patches: []patch.Patch{{ID: "a", Run: run}, {ID: "b", Run: run}}}, ""},
		{"dup", patch.Set{Patches: []patch.Patch{{ID: "a", Run: run}, {ID: "a", Run: run}}}, "appears twice"},
		{"empty id", patch.Set{Patches: []patch.Patch{{Run: run}}}, "has no ID"},
		{"no run", patch.Set{Patches: []patch.Patch{{ID: "a"}}}, "no Run"},
	} {
		err := c.set.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: Validate() = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestSchemaHelpersIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	if _, err := db.Exec("CREATE TABLE `tab Odd``Name` (name varchar(140) PRIMARY KEY, x int)"); err != nil {
		t.Fatal(err)
	}
	pc := patch.NewContext("t", patch.NewDB(db, nil), patch.Config{})
	tbl := "tab Odd`Name"
	for range 2 { // twice: the second round must be a no-op
		for _, step := range []func() error{
			func() error { return pc.AddColumn(ctx, tbl, "new col", "varchar(10) DEFAULT NULL") },
			func() error { return pc.AddIndex(ctx, tbl, "idx x", patch.NonUnique, "x", "new col") },
			func() error { return pc.RenameColumn(ctx, tbl, "x", "y") },
			func() error { return pc.ModifyColumn(ctx, tbl, "new col", "varchar(20) DEFAULT NULL") },
		} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ok, _ := pc.HasColumn(ctx, tbl, "y"); !ok {
		t.Error("column not renamed")
	}
	if ok, _ := pc.HasIndex(ctx, tbl, "idx x"); !ok {
		t.Error("index missing")
	}
	for range 2 {
		if err := pc.DropIndex(ctx, tbl, "idx x"); err != nil {
			t.Fatal(err)
		}
		if err := pc.DropColumn(ctx, tbl, "new col"); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := pc.HasColumn(ctx, tbl, "new col"); ok {
		t.Error("column not dropped")
	}
}

func TestBatchPerRowCompositeKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := patchtest.NewDatabase(t)
	for _, q := range []string{
		"CREATE TABLE t (a varchar(10) NOT NULL, b int NOT NULL, v int NULL, PRIMARY KEY (a, b))",
		"INSERT INTO t (a, b) SELECT CONCAT('k', seq MOD 13), seq FROM seq_1_to_1000",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	pc := patch.NewContext("t", patch.NewDB(db, nil), patch.Config{})
	var progressed int64
	pc2 := patch.NewContext("t2", patch.NewDB(db, nil), patch.Config{Progress: func(name string, done, total int64) { progressed = done }})
	row := func(ctx context.Context, tx *patch.DB, r patch.Record) error {
		if r.Key[1].(int64)%100 == 0 { // 10 failing rows
			return errors.New("bad row")
		}
		_, err := tx.Exec(ctx, "UPDATE t SET v = b * 2 WHERE a = ? AND b = ?", r.Key...)
		return err
	}
	_, err := pc.Batch(ctx, patch.Batch{Table: "t", Row: row, MaxErrors: 9, Size: 37})
	if err == nil || !strings.Contains(err.Error(), "10 rows failed") {
		t.Fatalf("with 10 bad rows and MaxErrors 9: %v", err)
	}
	res, err := pc2.Batch(ctx, patch.Batch{Table: "t", Row: row, MaxErrors: 10, Size: 37})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 1000 || res.Changed != 990 || res.Errors != 10 || progressed != 1000 {
		t.Errorf("result %+v, progress %d", res, progressed)
	}
	var n int
	db.QueryRow("SELECT COUNT(*) FROM t WHERE v = b * 2").Scan(&n)
	if n != 990 {
		t.Errorf("%d rows updated, want 990", n)
	}
	// Finished: a second call in the same patch is a no-op.
	res, err = pc2.Batch(ctx, patch.Batch{Table: "t", Row: func(context.Context, *patch.DB, patch.Record) error { return fmt.Errorf("ran again") }})
	if err != nil || !res.Skipped {
		t.Errorf("second batch: %+v, %v", res, err)
	}
}
