package migtest_test

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
	"github.com/migtest/migtest/patches/v1_0/addcustomregion"
	"github.com/migtest/migtest/patches/v1_0/customerprofile"
)

// paddedDemo writes the demo fixture followed by a gzip member of random SQL
// comments, so that the file is production-sized by its size while it
// restores as fast as the demo (and has the demo's row counts).
func paddedDemo(t *testing.T) string {
	t.Helper()
	root, err := fixture.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	demo, err := os.ReadFile(filepath.Join(root, migtest.DefaultFixture))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "padded-demo.sql.gz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(demo); err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.NoCompression)
	buf := make([]byte, 3000)
	for written := 0; written < rehearsal.BigFixtureBytes; written += 4000 {
		_, _ = rand.Read(buf)
		if _, err := zw.Write([]byte("-- " + base64.StdEncoding.EncodeToString(buf) + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !rehearsal.BigFixture(p) {
		t.Fatalf("%s is not big", p)
	}
	return p
}

// TestRehearseBigFixtureOnePass: on a production-sized fixture the whole-set
// rehearsal and the per-patch one come from one pass, stored in the pass
// cache, and match the same goldens as the per-patch sweep on the demo.
func TestRehearseBigFixtureOnePass(t *testing.T) {
	servertest.Server(t)
	t.Setenv("MIGTEST_CACHE", t.TempDir())
	t.Setenv(fixture.EnvFixture, "")
	fx := paddedDemo(t)
	if r := rehearse(t, patches.Set, migtest.Fixture(fx), migtest.Golden("snapshots/demo-site.snap")); len(r.errors) > 0 {
		t.Fatalf("the whole set on the big fixture: %q", r.errors)
	}
	entries, _ := filepath.Glob(filepath.Join(os.Getenv("MIGTEST_CACHE"), "passes", "*.json"))
	if len(entries) != len(patches.Set.Patches) {
		t.Fatalf("%d pass cache entries, want one per prefix of the set (%d)", len(entries), len(patches.Set.Patches))
	}
	for _, e := range entries { // the per-patch rehearsal must read them, not make a pass of its own
		if err := os.Chtimes(e, time.Time{}, time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if r := rehearse(t, patches.Set, migtest.Patch(customerprofile.Patch.ID), migtest.Fixture(fx), migtest.Golden("snapshots/patches/v1_0/customerprofile/TestRehearse.snap")); len(r.errors) > 0 {
		t.Fatalf("patch %s on the big fixture: %q", customerprofile.Patch.ID, r.errors)
	}
	for _, e := range entries {
		if st, err := os.Stat(e); err != nil || st.ModTime().Unix() != 1 {
			t.Errorf("pass cache entry %s was rewritten: the per-patch rehearsal made its own pass", e)
		}
	}

	// Check assertions run on the database the pass kept right after their
	// patch: the earlier patch's column is there, the later patch's table
	// is not; an assertion that fails fails the rehearsal. The first such
	// rehearsal makes the pass again (the one above kept no databases); the
	// second reads it.
	seen := func(db *sql.DB) string {
		var cols, tables int
		_ = db.QueryRow("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tabCustomer' AND COLUMN_NAME = 'custom_region'").Scan(&cols)
		_ = db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tabCustomer Profile'").Scan(&tables)
		return fmt.Sprintf("region column %t, profile table %t", cols == 1, tables == 1)
	}
	var saw string
	r := rehearse(t, patches.Set, migtest.Patch(addcustomregion.Patch.ID), migtest.Fixture(fx), migtest.Golden("snapshots/patches/v1_0/addcustomregion/TestRehearse.snap"),
		migtest.Check(func(t testing.TB, db *sql.DB) { saw = seen(db); t.Errorf("planted failure") }))
	if want := "region column true, profile table false"; saw != want {
		t.Errorf("the assertions after %s saw %q, want %q", addcustomregion.Patch.ID, saw, want)
	}
	if !strings.Contains(strings.Join(r.errors, "\n"), "planted failure") {
		t.Errorf("a failing assertion did not fail the rehearsal: %q", r.errors)
	}
	if !strings.Contains(strings.Join(r.logs, "\n"), "the assertions ran on the database it kept after "+addcustomregion.Patch.ID) {
		t.Errorf("the rehearsal does not say its assertions ran on the kept database: %q", r.logs)
	}
	for _, e := range entries {
		if err := os.Chtimes(e, time.Time{}, time.Unix(1, 0)); err != nil {
			t.Fatal(err)
		}
	}
	r = rehearse(t, patches.Set, migtest.Patch(customerprofile.Patch.ID), migtest.Fixture(fx), migtest.Golden("snapshots/patches/v1_0/customerprofile/TestRehearse.snap"),
		migtest.Check(func(t testing.TB, db *sql.DB) { saw = seen(db) }))
	if want := "region column true, profile table true"; saw != want || len(r.errors) > 0 {
		t.Errorf("the assertions after %s saw %q (errors %q), want %q", customerprofile.Patch.ID, saw, r.errors, want)
	}
	for _, e := range entries {
		if st, err := os.Stat(e); err != nil || st.ModTime().Unix() != 1 {
			t.Errorf("pass cache entry %s was rewritten: the rehearsal with assertions made its own pass", e)
		}
	}

	locks := patch.Patch{ID: "v9_0.touch_customers", Description: "one statement over every customer", MaxLock: time.Nanosecond,
		Run: func(ctx context.Context, pc *patch.Context) error {
			_, err := pc.DB.Exec(ctx, "UPDATE `tabCustomer` SET `modified` = `modified` + INTERVAL 1 SECOND")
			return err
		}}
	golden := filepath.Join(t.TempDir(), "touch.snap")
	flagUpdate(t, true)
	rehearse(t, patch.Set{Patches: []patch.Patch{locks}}, migtest.Fixture(fx), migtest.Golden(golden))
	flagUpdate(t, false)
	r = rehearse(t, patch.Set{Patches: []patch.Patch{locks}}, migtest.Fixture(fx), migtest.Golden(golden))
	if msg := strings.Join(r.errors, "\n"); !strings.Contains(msg, "over its MaxLock 1ns") {
		t.Errorf("a broken lock budget on the big fixture was not reported: %q", r.errors)
	}
}
