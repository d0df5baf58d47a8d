package rehearsal_test

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/migtest/migtest/migtest/internal/sqltext"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/patches"
)

// everyHelper calls each schema and data helper of package patch once, so
// that the statements they send are captured too.
var everyHelper = patch.Patch{
	ID:          "v9.every_helper",
	Description: "call every helper",
	Run: func(ctx context.Context, pc *patch.Context) error {
		const t = "tabCustomer"
		steps := []func() error{
			func() error { return pc.AddColumn(ctx, t, "zz_note", "varchar(20) NULL") },
			func() error { return pc.ModifyColumn(ctx, t, "zz_note", "varchar(40) NULL") },
			func() error { return pc.RenameColumn(ctx, t, "zz_note", "zz_memo") },
			func() error { return pc.AddIndex(ctx, t, "zz_memo_idx", patch.NonUnique, "zz_memo") },
			func() error { return pc.DropIndex(ctx, t, "zz_memo_idx") },
			func() error {
				_, err := pc.Batch(ctx, patch.Batch{Table: t, Set: "zz_memo = 'x'", Where: "zz_memo IS NULL", Size: 100})
				return err
			},
			func() error {
				_, err := pc.CopyTable(ctx, "tabAddress")
				return err
			},
			func() error { return pc.DropColumn(ctx, t, "zz_memo") },
			func() error {
				return pc.Step(ctx, "rename aside", patch.Critical, func(ctx context.Context) (string, error) {
					_, err := pc.DB.Exec(ctx, "CREATE TABLE `zz tmp` LIKE `tabToDo`")
					if err == nil {
						_, err = pc.DB.Exec(ctx, "RENAME TABLE `zz tmp` TO `zz kept`")
					}
					return "", err
				})
			},
			func() error {
				_, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` c JOIN `tabAddress` a ON a.`link_name` = c.`name` SET a.`country` = 'Zland'")
				return err
			},
			func() error {
				_, err := pc.DB.Exec(ctx, "DELETE d FROM `tabToDo` d JOIN `tabUser` u ON u.`name` = d.`owner`")
				return err
			},
		}
		for i, s := range steps {
			if err := s(); err != nil {
				return fmt.Errorf("helper %d: %w", i, err)
			}
		}
		return nil
	},
}

// state is each base table's CREATE TABLE and checksum.
func state(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, n := range names {
		var name, create string
		var sum sql.NullInt64
		if err := db.QueryRowContext(ctx, "SHOW CREATE TABLE "+sqltext.QuoteIdent(n)).Scan(&name, &create); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+sqltext.QuoteIdent(n)).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		out[n] = fmt.Sprintf("%s\n%d", create, sum.Int64)
	}
	return out
}

// TestTablesWrittenOnARealRun runs the example patches and a patch that
// calls every helper on the demo fixture, captures every statement they
// send with the statement hook, and checks TablesWritten against the
// server: every table whose definition or checksum changed (or that
// appeared or went) is among the tables the statements were found to
// write, and every statement that writes names tables that exist before
// or after.
func TestTablesWrittenOnARealRun(t *testing.T) {
	fx, cache := demo(t)
	ctx := context.Background()
	d, err := cache.Database(ctx, fx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Drop(context.Background()) })
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := state(t, db)

	var mu sync.Mutex
	var stmts []string
	hook := func(_ context.Context, q string) error {
		mu.Lock()
		defer mu.Unlock()
		stmts = append(stmts, q)
		return nil
	}
	set := patches.Set
	set.Patches = append(append([]patch.Patch(nil), set.Patches...), everyHelper)
	m, err := migrate.New(db, set, migrate.WithStatementHook(hook))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	after := state(t, db)

	created := map[string]bool{} // transient tables a statement creates and a later one renames or drops
	for _, q := range stmts {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "CREATE") {
			for _, n := range rehearsal.TablesWritten(q) {
				created[n] = true
			}
		}
	}
	written := map[string]bool{}
	for _, q := range stmts {
		names := rehearsal.TablesWritten(q)
		for _, n := range names {
			written[n] = true
			if _, ok := before[n]; !ok {
				if _, ok := after[n]; !ok && !created[n] {
					t.Errorf("TablesWritten(%q) names %q, which exists neither before nor after nor is created by the run", q, n)
				}
			}
		}
		if verb := strings.ToUpper(strings.Fields(q + " x")[0]); len(names) == 0 && strings.Contains(" INSERT REPLACE UPDATE DELETE ALTER CREATE DROP RENAME TRUNCATE ", " "+verb+" ") {
			t.Errorf("TablesWritten(%q) = none for a writing statement", q)
		}
	}
	var changed []string
	for n := range union(before, after) {
		if before[n] != after[n] && !strings.HasPrefix(n, "migtest_") {
			changed = append(changed, n)
		}
	}
	sort.Strings(changed)
	if len(changed) < 5 {
		t.Fatalf("only %v changed: the run did not exercise the helpers", changed)
	}
	for _, n := range changed {
		if !written[n] {
			t.Errorf("table %q changed, but no statement's TablesWritten names it", n)
		}
	}
	t.Logf("%d statements captured; changed tables %v", len(stmts), changed)
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
