package migtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/migtest/migtest/migtest"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// recorder is a testing.TB that records failures instead of failing, so a
// test can check what Rehearse reports.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	logs   []string
	fatal  bool
}

// Logf keeps the line for the test to read (and does not print it).
func (r *recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

// Failed reports whether Rehearse reported a failure.
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

func (r *recorder) Log(...any) {}

// rehearse runs Rehearse on a recorder in its own goroutine (Fatalf ends it).
func rehearse(t *testing.T, set patch.Set, opts ...migtest.Option) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		migtest.Rehearse(r, set, opts...)
	}()
	<-done
	return r
}

func addColumn(def string) patch.Patch {
	return patch.Patch{
		ID:          "v9_0.add_rating",
		Description: "add a rating column",
		Run: func(ctx context.Context, pc *patch.Context) error {
			return pc.AddColumn(ctx, "tabCustomer", "rating", def)
		},
	}
}

func TestRehearseGolden(t *testing.T) {
	servertest.Server(t)
	golden := filepath.Join(t.TempDir(), "rating.snap")
	set := patch.Set{Patches: []patch.Patch{addColumn("int NULL")}}

	r := rehearse(t, set, migtest.Golden(golden))
	if !r.fatal || !strings.Contains(strings.Join(r.errors, "\n"), "-update") {
		t.Fatalf("a missing golden should fail with the command that writes it, got: %q", r.errors)
	}

	flagUpdate(t, true)
	if r := rehearse(t, set, migtest.Golden(golden)); len(r.errors) > 0 {
		t.Fatalf("-update: %q", r.errors)
	}
	flagUpdate(t, false)
	b, err := os.ReadFile(golden)
	if err != nil || !strings.Contains(string(b), "column rating int NULL") {
		t.Fatalf("golden %s after -update: %v\n%s", golden, err, b)
	}
	if r := rehearse(t, set, migtest.Golden(golden)); len(r.errors) > 0 {
		t.Fatalf("the same patch against its golden: %q", r.errors)
	}

	changed := patch.Set{Patches: []patch.Patch{addColumn("bigint NULL")}}
	r = rehearse(t, changed, migtest.Golden(golden))
	msg := strings.Join(r.errors, "\n")
	if r.fatal || !strings.Contains(msg, "differs from golden") || !strings.Contains(msg, "rating") || !strings.Contains(msg, "bigint") {
		t.Errorf("a changed patch should fail with a readable diff, got:\n%s", msg)
	}
}

func TestRehearseCatchesNonIdempotentPatch(t *testing.T) {
	servertest.Server(t)
	golden := filepath.Join(t.TempDir(), "todo.snap")
	p := patch.Patch{
		ID:          "v9_0.add_todo",
		Description: "inserts on every run",
		Run: func(ctx context.Context, pc *patch.Context) error {
			_, err := pc.DB.Exec(ctx, "INSERT INTO `tabToDo` (`name`, `description`) VALUES (UUID(), 'x')")
			return err
		},
	}
	flagUpdate(t, true)
	r := rehearse(t, patch.Set{Patches: []patch.Patch{p}}, migtest.Golden(golden))
	flagUpdate(t, false)
	msg := strings.Join(r.errors, "\n")
	if !strings.Contains(msg, "idempotency") {
		t.Errorf("a patch that inserts on every run passed the idempotency check: %q", r.errors)
	}
	// The crash after its last statement (at the patch log) runs it twice too.
	if !strings.Contains(msg, "crash after the last statement") || !strings.Contains(msg, "rows tabToDo") {
		t.Errorf("the crash at the patch log did not catch the second insert: %q", r.errors)
	}
	if !strings.Contains(msg, "not writing golden") {
		t.Errorf("-update did not refuse to bless the failing rehearsal: %q", r.errors)
	}
	flagUpdate(t, true)
	r = rehearse(t, patch.Set{Patches: []patch.Patch{p}}, migtest.Golden(golden), migtest.Skip(migtest.Idempotency, migtest.CrashResume))
	flagUpdate(t, false)
	if len(r.errors) > 0 {
		t.Errorf("with the checks off: %q", r.errors)
	}
}

func flagUpdate(t *testing.T, on bool) { migtest.FlagUpdateForTest(t, on) }

// TestRehearseOnImage rehearses one ALTER that copies its table on the
// servers of the matrix (.ci/matrix sets MIGTEST_MATRIX_IMAGES): on
// MariaDB 11.8 the lint says the copy is online and that 10.11 blocks
// writes; on 10.11, the reverse.
func TestRehearseOnImage(t *testing.T) {
	images := os.Getenv("MIGTEST_MATRIX_IMAGES")
	if images == "" {
		t.Skip("rehearsals on other server versions run in .ci/matrix (MIGTEST_MATRIX_IMAGES names the images)")
	}
	shrink := patch.Patch{
		ID:          "v9_0.shrink_customer_name",
		Description: "a type change that copies the table",
		Run: func(ctx context.Context, pc *patch.Context) error {
			return pc.ModifyColumn(ctx, "tabCustomer", "customer_name", "varchar(139) DEFAULT NULL")
		},
		// The shrink is the point of the test (the lint's per-version
		// rebuild finding), not a mistake: acknowledged, as a patch would.
		Allow: []patch.Allowance{{Rule: "lossy-type", Table: "tabCustomer", Why: "the test wants a type change that copies the table; no name is that long"}},
	}
	for _, c := range []struct{ image, server, says string }{
		{"migtest/mariadb:11.8", "MariaDB 11.8", "copies the whole table online (ALGORITHM=COPY, LOCK=NONE on MariaDB 11.8"},
		{"migtest/mariadb:10.11", "MariaDB 10.11", "MariaDB 11.2 and later runs ALGORITHM=COPY online"},
	} {
		if !strings.Contains(" "+images+" ", " "+c.image+" ") {
			t.Fatalf("MIGTEST_MATRIX_IMAGES=%s lacks %s", images, c.image)
		}
		t.Run(c.image, func(t *testing.T) {
			golden := filepath.Join(t.TempDir(), "shrink.snap")
			flagUpdate(t, true)
			res := migtest.Rehearse(t, patch.Set{Patches: []patch.Patch{shrink}}, migtest.OnImage(c.image), migtest.Golden(golden),
				migtest.Skip(migtest.CrashResume))
			flagUpdate(t, false)
			if !strings.Contains(res.Server, strings.TrimPrefix(c.server, "MariaDB ")) {
				t.Errorf("rehearsed on %s, want %s", res.Server, c.server)
			}
			found := false
			for _, f := range res.Lint {
				t.Log(f)
				if f.Rule == "rebuild" && strings.HasPrefix(f.Server, c.server) && strings.Contains(f.Message, c.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("no rebuild finding on %s saying %q", c.server, c.says)
			}
		})
	}
}
