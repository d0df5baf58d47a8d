package rehearsal_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// BenchmarkCIRehearsal times the CI rehearsal as CI runs it, `make
// rehearse-big` (the one pass by migtest rehearse, then go test of every
// patch package, whose assertions run on the databases the pass kept;
// migtest's own lock-budget test is make test-big, not timed here), against the work it rehearses done once: one
// restore and one plain up of the same fixture file. Cold: an empty
// fixture and pass cache (the server's empty data directory stays cached,
// as after make test in CI); warm: the fixture's tablespaces are in the
// cache, no pass is. The fixture file is made before the timer starts.
func BenchmarkCIRehearsal(b *testing.B) {
	if testing.Short() {
		b.Skip("runs make rehearse-big: not in -short")
	}
	if _, err := exec.LookPath("make"); err != nil {
		b.Skip("needs make: " + err.Error())
	}
	root, err := fixture.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	scale := benchScale(b)
	mk := func(b *testing.B, cache string, args ...string) {
		b.Helper()
		cmd := exec.Command("make", append([]string{"-s", fmt.Sprintf("BIG_SCALE=%d", scale)}, args...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "MIGTEST_CACHE="+cache)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("make %v: %v\n%s", args, err, tail(out.Bytes(), 4000))
		}
	}
	shared := fixture.CacheDir()
	srv := servertest.Server(b) // makes the server's empty data directory in the real cache
	fx := filepath.Join(root, ".cache", fmt.Sprintf("big-site-s%d.sql.gz", scale))
	mk(b, shared, "build", ".cache/"+filepath.Base(fx))
	// a cache of the fixture and passes only: the data directory is shared
	cacheWith := func(b *testing.B) string {
		dir := b.TempDir()
		if err := os.Symlink(filepath.Join(shared, "datadir"), filepath.Join(dir, "datadir")); err != nil {
			b.Fatal(err)
		}
		return dir
	}
	ctx := context.Background()
	b.Run("baseline-restore-up", func(b *testing.B) { restoreUp(b, srv, fx) })
	b.Run("make-rehearse-big-cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dir := cacheWith(b)
			b.StartTimer()
			mk(b, dir, "rehearse-big")
		}
	})
	warm := cacheWith(b)
	b.Setenv("MIGTEST_CACHE", warm)
	d, err := fixture.NewCache(srv, dumpRestore).Database(ctx, fx) // the fixture's tablespaces into warm
	if err != nil {
		b.Fatal(err)
	}
	_ = d.Drop(ctx)
	b.Run("make-rehearse-big-warm", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if err := os.RemoveAll(filepath.Join(warm, "passes")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			mk(b, warm, "rehearse-big")
		}
	})
}

// tail is the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
