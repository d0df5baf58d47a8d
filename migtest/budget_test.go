package migtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// TestBigFixtureLockBudget rehearses, on the production-sized dump of
// MIGTEST_FIXTURE (make rehearse-big), a patch that rewrites every GL entry
// in one statement while declaring it holds locks at most 1 s: the
// rehearsal must fail it and name the statement.
func TestBigFixtureLockBudget(t *testing.T) {
	if os.Getenv("MIGTEST_FIXTURE") == "" { // the test asks for a production-sized dump: it reads the variable itself
		t.Skip("needs a production-sized dump in MIGTEST_FIXTURE (make rehearse-big sets it)")
	}
	servertest.Server(t)
	p := patch.Patch{
		ID:          "v9_0.touch_gl_entries",
		Description: "rewrite every GL entry in one statement",
		MaxLock:     time.Second,
		Run: func(ctx context.Context, pc *patch.Context) error {
			_, err := pc.DB.Exec(ctx, "UPDATE `tabGL Entry` SET `modified` = `modified` + INTERVAL 1 SECOND")
			return err
		},
	}
	golden := filepath.Join(t.TempDir(), "budget.snap")
	r := rehearse(t, patch.Set{Patches: []patch.Patch{p}}, migtest.Golden(golden), migtest.Skip(migtest.CrashResume, migtest.Idempotency))
	msg := strings.Join(r.errors, "\n")
	if !strings.Contains(msg, "over its MaxLock 1s") || !strings.Contains(msg, "tabGL Entry") {
		t.Errorf("the broken lock budget was not reported; rehearsal said:\n%s", msg)
	}
}
