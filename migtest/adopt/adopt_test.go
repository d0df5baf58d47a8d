package adopt_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	gmigrate "github.com/golang-migrate/migrate/v4"
	gmysql "github.com/golang-migrate/migrate/v4/database/mysql"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/pressly/goose/v3"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/adopt"
	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/dump/sqlsplit"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
	"github.com/migtest/migtest/migtest/sqlpatch"
)

func TestMain(m *testing.M) { patchtest.Main(m) }

// addCurrency is the first Go patch after the SQL history.
var addCurrency = patch.Patch{
	ID:          "v2.order_currency",
	Description: "Add orders.currency, EUR for the old orders",
	Run: func(ctx context.Context, pc *patch.Context) error {
		if err := pc.AddColumn(ctx, "orders", "currency", "char(3) NULL"); err != nil {
			return err
		}
		_, err := pc.Batch(ctx, patch.Batch{Table: "orders", Set: "currency = 'EUR'", Where: "currency IS NULL"})
		return err
	},
}

// database returns a fresh database, its DSN (with parseTime, which goose
// needs) and a handle.
func database(t *testing.T) (string, *sql.DB) {
	t.Helper()
	name, _ := patchtest.NewDatabase(t)
	dsn := patchtest.DSN(t, name)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "parseTime=true&multiStatements=true"
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// broken returns the files of dir in testdata with the last statement of
// file made to fail, as a migration that stopped half-way.
func broken(t *testing.T, dir, file string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == file {
			b = bytes.Replace(b, []byte("note VARCHAR(200) NULL;"), []byte("note VARCHAR(200) NULL NOT_A_TYPE;"), 1)
		}
		fsys[e.Name()] = &fstest.MapFile{Data: b}
	}
	return fsys
}

func columns(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", table).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}

func actions(rep *adopt.Report) string {
	var out []string
	for _, e := range rep.Entries {
		out = append(out, e.PatchID+"="+string(e.Action))
	}
	return strings.Join(out, " ")
}

// rehearseFrom backs db up as a fixture and rehearses set on it: the
// adopted files are in its patch log, so the rehearsal runs what is pending.
func rehearseFrom(t *testing.T, db *sql.DB, set patch.Set, golden string) {
	t.Helper()
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	fixture := filepath.Join(t.TempDir(), "adopted.sql.gz")
	if _, err := dump.Backup(context.Background(), db, name, fixture); err != nil {
		t.Fatal(err)
	}
	migtest.Rehearse(t, set, migtest.Fixture(fixture), migtest.Golden(golden))
}

// TestAdoptGoose migrates a database with goose for real, the third file
// stopping half-way (NO TRANSACTION), adopts it with `migrate adopt`, and
// goes on with migtest: the rest of the goose directory and a Go patch,
// rehearsed, then run.
func TestAdoptGoose(t *testing.T) {
	ctx := context.Background()
	dsn, db := database(t)
	gp, err := goose.NewProvider(goose.DialectMySQL, db, broken(t, "goose", "00003_customer_index.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gp.Up(ctx); err == nil {
		t.Fatal("goose up of the broken file succeeded")
	}

	// The patch set: the goose directory (go:embed works the same), then Go patches.
	set := patch.Set{Patches: append(sqlpatch.MustPatches(os.DirFS("testdata"), "goose", sqlpatch.Goose), addCurrency)}

	var out, errOut bytes.Buffer
	code := cli.Main(ctx, set, []string{"adopt", "--from", "goose", "--dsn", dsn, "--reason", "moving from goose to migtest"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("migrate adopt: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	printed := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"goose goose_db_version: 2 of 3 goose files adopted", "goose:00001_create_orders 1 adopted applied 20",
		"goose:00003_customer_index 3 pending not applied by goose"} {
		if !strings.Contains(printed, want) {
			t.Errorf("adopt output lacks %q:\n%s", want, out.String())
		}
	}
	m, err := migrate.New(db, set)
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Applied != 2 || st.Pending != 2 || !strings.Contains(st.Patches[0].Note, "adopted from goose goose_db_version version 1") || !strings.Contains(st.Patches[0].Note, "moving from goose to migtest") {
		t.Errorf("status after adopt: %d applied, %d pending, note %q", st.Applied, st.Pending, st.Patches[0].Note)
	}
	// Adopting again changes nothing.
	rep, err := adopt.Read(ctx, db, m, set, adopt.Options{From: sqlpatch.Goose})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(rep); got != "goose:00001_create_orders=done already goose:00002_order_status=done already goose:00003_customer_index=pending" {
		t.Errorf("second read: %s", got)
	}

	// goose stopped half-way in 00003 (NO TRANSACTION): the index is there.
	// Undo it by hand, as the report says, then rehearse and run.
	if _, err := db.Exec("DROP INDEX orders_customer ON orders"); err != nil {
		t.Fatal(err)
	}
	rehearseFrom(t, db, set, "migtest/adopt/testdata/goose.snap")
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := columns(t, db, "orders"); got != "id,customer,total,status,note,currency" {
		t.Errorf("orders has %s", got)
	}
}

// TestAdoptGolangMigrate migrates with golang-migrate for real; its third
// file fails half-way and leaves the version dirty, which adopt reports
// and does not adopt.
func TestAdoptGolangMigrate(t *testing.T) {
	ctx := context.Background()
	_, db := database(t)
	src, err := iofs.New(broken(t, "migrate", "000003_customer_index.up.sql"), ".")
	if err != nil {
		t.Fatal(err)
	}
	drv, err := gmysql.WithInstance(db, &gmysql.Config{})
	if err != nil {
		t.Fatal(err)
	}
	gm, err := gmigrate.NewWithInstance("iofs", src, "mysql", drv)
	if err != nil {
		t.Fatal(err)
	}
	if err := gm.Up(); err == nil {
		t.Fatal("golang-migrate up of the broken file succeeded")
	}
	if v, dirty, _ := gm.Version(); v != 3 || !dirty {
		t.Fatalf("golang-migrate left version %d dirty=%v, want 3 dirty", v, dirty)
	}

	set := patch.Set{Patches: append(sqlpatch.MustPatches(os.DirFS("testdata"), "migrate", sqlpatch.GolangMigrate), addCurrency)}
	m, err := migrate.New(db, set)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := adopt.Read(ctx, db, m, set, adopt.Options{From: sqlpatch.GolangMigrate})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(rep); got != "golang-migrate:000001_create_orders=adopt golang-migrate:000002_order_status=adopt golang-migrate:000003_customer_index=dirty" {
		t.Errorf("actions: %s", got)
	}
	if p := rep.Problems(); len(p) != 1 || !strings.Contains(p[0], "golang-migrate:000003_customer_index (version 3): dirty") {
		t.Errorf("problems: %q", p)
	}
	ids, err := adopt.Record(ctx, db, m, rep, "moving from golang-migrate")
	if err != nil || len(ids) != 2 {
		t.Fatalf("recorded %v, %v", ids, err)
	}

	// The dirty file's first statement ran; undo it and let migtest run it.
	if _, err := db.Exec("DROP INDEX orders_customer ON orders"); err != nil {
		t.Fatal(err)
	}
	rehearseFrom(t, db, set, "migtest/adopt/testdata/golang-migrate.snap")
	res, err := m.Up(ctx, migrate.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Patches) != 2 || columns(t, db, "orders") != "id,customer,total,status,note,currency" {
		t.Errorf("up ran %d patches; orders has %s", len(res.Patches), columns(t, db, "orders"))
	}
}

// flyway applies files as Flyway would (their statements, then a history
// row), with rows given as (file, success, checksum adjustment).
func flyway(t *testing.T, db *sql.DB, rows ...flywayRow) {
	t.Helper()
	ddl, err := os.ReadFile("testdata/flyway_schema_history.sql")
	if err != nil {
		t.Fatal(err)
	}
	sc := sqlsplit.NewScanner(bytes.NewReader(ddl))
	for sc.Scan() {
		if p := sc.Piece(); p.Kind == sqlsplit.Statement {
			if _, err := db.Exec(string(p.Text)); err != nil {
				t.Fatal(err)
			}
		}
	}
	migs, err := sqlpatch.Load(os.DirFS("testdata"), "flyway", sqlpatch.Flyway)
	if err != nil {
		t.Fatal(err)
	}
	byVersion := map[string]sqlpatch.Migration{}
	for _, m := range migs {
		byVersion[m.Version] = m
	}
	for i, r := range rows {
		m := byVersion[r.version]
		typ, script, sum := "SQL", filepath.Base(m.File), any(m.Checksum+r.checksumDelta)
		if r.baseline {
			typ, script, sum = "BASELINE", "<< Flyway Baseline >>", nil
		} else if r.success {
			for _, q := range m.Statements {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := db.Exec("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (?, ?, ?, ?, ?, ?, 'flyway', 12, ?)",
			i+1, r.version, m.Description, typ, script, sum, r.success); err != nil {
			t.Fatal(err)
		}
	}
}

type flywayRow struct {
	version       string
	success       bool
	checksumDelta int32
	baseline      bool
}

func TestAdoptFlyway(t *testing.T) {
	ctx := context.Background()
	set := patch.Set{Patches: append(sqlpatch.MustPatches(os.DirFS("testdata"), "flyway", sqlpatch.Flyway), addCurrency)}

	t.Run("clean", func(t *testing.T) {
		_, db := database(t)
		flyway(t, db, flywayRow{version: "1", success: true}, flywayRow{version: "1.1", success: true})
		m, _ := migrate.New(db, set)
		rep, err := adopt.Read(ctx, db, m, set, adopt.Options{From: sqlpatch.Flyway})
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(rep); got != "flyway:V1__create_orders=adopt flyway:V1.1__order_status=adopt flyway:V2__customer_index=pending" || len(rep.Problems()) != 0 {
			t.Errorf("actions %s, problems %q", got, rep.Problems())
		}
		if _, err := adopt.Record(ctx, db, m, rep, "moving from Flyway"); err != nil {
			t.Fatal(err)
		}
		rehearseFrom(t, db, set, "migtest/adopt/testdata/flyway.snap")
		if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := columns(t, db, "orders"); got != "id,customer,total,status,note,currency" {
			t.Errorf("orders has %s", got)
		}
	})

	t.Run("problems", func(t *testing.T) {
		_, db := database(t)
		if _, err := db.Exec("CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(140) NOT NULL, total DECIMAL(12,2) NOT NULL DEFAULT 0)"); err != nil {
			t.Fatal(err)
		}
		// A baseline at 1 (the table existed before Flyway), 1.1 run from
		// another file than ours, 2 failed.
		flyway(t, db, flywayRow{version: "1", baseline: true}, flywayRow{version: "1.1", success: true, checksumDelta: 7}, flywayRow{version: "2", success: false})
		m, _ := migrate.New(db, set)
		rep, err := adopt.Read(ctx, db, m, set, adopt.Options{From: sqlpatch.Flyway})
		if err != nil {
			t.Fatal(err)
		}
		if got := actions(rep); got != "flyway:V1__create_orders=adopt flyway:V1.1__order_status=checksum mismatch flyway:V2__customer_index=failed" {
			t.Errorf("actions %s", got)
		}
		if p := rep.Problems(); len(p) != 2 || !strings.Contains(p[0], "Flyway ran a file with checksum") {
			t.Errorf("problems %q", p)
		}
		var out, errOut bytes.Buffer
		dsn := patchtest.DSN(t, dbName(t, db))
		code := cli.Main(ctx, set, []string{"adopt", "--from", "flyway", "--dsn", dsn, "--reason", "moving from Flyway"}, &out, &errOut)
		if code != cli.ExitFailure || !strings.Contains(errOut.String(), "2 migrations not adopted") {
			t.Errorf("adopt with problems: exit %d\n%s%s", code, out.String(), errOut.String())
		}
		st, _ := m.Status(ctx)
		if st.Applied != 1 {
			t.Errorf("%d patches applied after adopting with problems, want 1 (the baseline)", st.Applied)
		}
	})

	t.Run("no history", func(t *testing.T) {
		_, db := database(t)
		m, _ := migrate.New(db, set)
		_, err := adopt.Read(ctx, db, m, set, adopt.Options{From: sqlpatch.Flyway})
		if err == nil || !strings.Contains(err.Error(), "no table flyway_schema_history in this database") {
			t.Errorf("no history table: %v", err)
		}
		_, err = adopt.Read(ctx, db, m, set, adopt.Options{From: sqlpatch.Goose})
		if err == nil || !strings.Contains(err.Error(), "the patch set has no goose files") {
			t.Errorf("no goose files: %v", err)
		}
		if _, err := adopt.Record(ctx, db, m, &adopt.Report{}, " "); err == nil {
			t.Error("Record without a reason")
		}
		var out, errOut bytes.Buffer
		if code := cli.Main(ctx, set, []string{"adopt", "--from", "liquibase", "--dsn", patchtest.DSN(t, dbName(t, db))}, &out, &errOut); code != cli.ExitUsage || !strings.Contains(errOut.String(), "goose, golang-migrate or flyway") {
			t.Errorf("--from liquibase: exit %d %s", code, errOut.String())
		}
	})
}

func dbName(t *testing.T, db *sql.DB) string {
	t.Helper()
	var n string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestREADMEQuotesTheTest keeps README's adoption example true: its Go
// lines are in TestAdoptGoose.
func TestREADMEQuotesTheTest(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("adopt_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(readme), "## Coming from goose / golang-migrate / Flyway")
	_, sec, _ = strings.Cut(sec, "TestAdoptGoose")
	_, block, ok := strings.Cut(sec, "```go\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README has no Go block after naming TestAdoptGoose")
	}
	n := 0
	for _, line := range strings.Split(block, "\n") {
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		n++
		if !strings.Contains(string(src), "\t"+line+"\n") {
			t.Errorf("README quotes a line TestAdoptGoose does not have: %s", line)
		}
	}
	if n < 2 {
		t.Errorf("README's example has %d lines of code", n)
	}
}
