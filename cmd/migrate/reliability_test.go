package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/migtest/migtest/cmd/migrate/internal/faultpatches"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// The reliability tests drive the built binaries through the worst days of
// issue 8: SIGKILL at random points of an up, a server killed mid-patch, a
// connection killed mid-backup and mid-restore, ten concurrent ups, and a
// rollback after a failed up. RELIABILITY.md lists them with their results.

var (
	faultOnce sync.Once
	faultBin  string
	faultErr  error
)

// faultBinary builds cmd/migrate/internal/faultmigrate (the migrate command
// over the test-only patch sets of faultpatches) once, beside the binary
// TestMain built, which removes it at the end.
func faultBinary(t *testing.T) string {
	t.Helper()
	faultOnce.Do(func() {
		faultBin = filepath.Join(filepath.Dir(binary), "faultmigrate")
		out, err := exec.Command("go", "build", "-o", faultBin, "./internal/faultmigrate").CombinedOutput()
		if err != nil {
			faultErr = fmt.Errorf("build faultmigrate: %w\n%s", err, out)
		}
	})
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	return faultBin
}

// runBin is run for any binary; env adds to the test's environment.
func runBin(t *testing.T, bin, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s %s: %v", filepath.Base(bin), strings.Join(args, " "), err)
	}
	return r
}

// lastLine is the last non-empty line of s: the error line of a failed command.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// mustFailClearly checks a failed command: exit code, and a last stderr line
// that is one "migrate: ..." (or "migtest: ...") line containing every want,
// with no stack trace.
func (r result) mustFailClearly(t *testing.T, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	line := lastLine(r.stderr)
	t.Logf("exit %d: %s", r.code, line)
	if !strings.HasPrefix(line, "migrate: ") && !strings.HasPrefix(line, "migtest: ") {
		t.Errorf("the last stderr line is not the error line %q:\n%s", "migrate: ...", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(line), strings.ToLower(w)) {
			t.Errorf("error line does not say %q:\n%s", w, line)
		}
	}
	for _, bad := range []string{"goroutine ", ".go:", "panic: runtime error"} {
		if strings.Contains(line, bad) && !strings.Contains(line, "--verbose") {
			t.Errorf("error line contains %q (a stack trace?):\n%s", bad, line)
		}
	}
}

// queryInt runs a one-integer query.
func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.Int64
}

// tableNames lists the base tables and views of database, sorted.
func tableNames(t *testing.T, db *sql.DB, database string) []string {
	t.Helper()
	rows, err := db.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", database)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// statusEntry is a patch in `status --json`.
type statusEntry struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

// statusJSON is `status --json`.
type statusJSON struct {
	Patches []statusEntry `json:"patches"`
	Unknown []statusEntry `json:"unknown"`
	Applied int           `json:"applied"`
	Pending int           `json:"pending"`
	Failed  int           `json:"failed"`
}

func readStatus(t *testing.T, bin, dir string, env []string) statusJSON {
	t.Helper()
	r := runBin(t, bin, dir, env, "status", "--json").must(t, 0)
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return st
}

// ledgerState reads the double-application detector of faultpatches.Ledger
// (0, 0, 0 before the patch made its tables).
func ledgerState(t *testing.T, db *sql.DB, database string) (applied, rows, wrong int64) {
	t.Helper()
	if !slices.Contains(tableNames(t, db, database), "fault_ledger") {
		return 0, 0, 0
	}
	q := "`" + database + "`."
	applied = queryInt(t, db, "SELECT COALESCE(MAX(applied), 0) FROM "+q+"fault_counter")
	rows = queryInt(t, db, "SELECT COUNT(*) FROM "+q+"fault_ledger")
	wrong = queryInt(t, db, "SELECT COUNT(*) FROM "+q+"fault_ledger WHERE hits > 1")
	return applied, rows, wrong
}

// migrationIndex is tabSingles' System Settings migration_index, bumped by
// the set's AfterMigrate hook once per up that ran patches.
func migrationIndex(t *testing.T, db *sql.DB, database string) int64 {
	t.Helper()
	return queryInt(t, db, "SELECT COALESCE(MAX(CAST(`value` AS UNSIGNED)), 0) FROM `"+database+"`.`tabSingles` WHERE doctype = 'System Settings' AND field = 'migration_index'")
}

// checkBackups checks every backup the run log records: the file is there
// under its final name, its sha256 is the one recorded, and `backup
// --verify` accepts it; and no other .sql.gz lies in dir.
func checkBackups(t *testing.T, db *sql.DB, database, dir string, env []string) {
	t.Helper()
	rows, err := db.Query("SELECT run_id, backup_file, backup_sha256 FROM `" + database + "`.migtest_run_log WHERE backup_file IS NOT NULL AND backup_file <> ''")
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	type rec struct{ run, file, sum string }
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.run, &r.file, &r.sum); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	rows.Close()
	for _, r := range recs {
		recorded[r.file] = true
		b, err := os.ReadFile(r.file)
		if err != nil {
			t.Errorf("run %s recorded backup %s: %v", r.run, r.file, err)
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != r.sum {
			t.Errorf("run %s recorded backup %s with sha256 %s, the file has %x (overwritten by a later backup?)", r.run, r.file, r.sum, sum)
		}
		runBin(t, binary, dir, env, "backup", "--verify", r.file).must(t, 0)
	}
	finals, _ := filepath.Glob(filepath.Join(dir, "*.sql.gz"))
	for _, f := range finals {
		if !recorded[f] {
			t.Errorf("backup %s under its final name is not recorded by any run", f)
		}
	}
}

// matches reports whether a log line holds every &-separated part of
// marker (the logger's field order is not fixed).
func matches(line, marker string) bool {
	for _, part := range strings.Split(marker, "&") {
		if !strings.Contains(line, part) {
			return false
		}
	}
	return true
}

// waitSessionsGone waits until the server has closed the sessions a killed
// process left on database (a session in the middle of a statement lives,
// with the migration lock, until the statement ends).
func waitSessionsGone(t *testing.T, db *sql.DB, database string) {
	t.Helper()
	for range 400 {
		if queryInt(t, db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", database) == 0 {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("sessions of the killed process are still open on %s after 10s", database)
}

// killEvent is where a kill is aimed: after the nth stderr line (of -v
// logs) that matches marker, plus a random delay up to maxDelay.
type killEvent struct {
	phase    string
	marker   string
	maxDelay time.Duration
}

var killEvents = []killEvent{
	{"process start", "", 60 * time.Millisecond},
	{"backup", `msg="backup started"`, 80 * time.Millisecond},
	{"run start", `msg="migration run started"`, 3 * time.Millisecond},
	{"DDL (add_custom_region)", `msg="patch start"&patch=v1_0.add_custom_region`, 15 * time.Millisecond},
	{"DDL (migrate_customer_data)", `msg="patch start"&patch=v1_0.migrate_customer_data`, 20 * time.Millisecond},
	{"per-row batch", `msg="altered table"&patch=v1_0.migrate_customer_data&change="ADD COLUMN ` + "`custom_migration_date`", 50 * time.Millisecond},
	{"between patches", `msg="patch done"`, 0},
	{"ledger setup", `msg="patch start"&patch=v1_0.fault_ledger`, 20 * time.Millisecond},
	{"checkpointed batch (ledger)", `msg="step done"&patch=v1_0.fault_ledger`, 100 * time.Millisecond},
	{"steps (customer_profile)", `msg="patch start"&patch=v1_0.customer_profile`, 30 * time.Millisecond},
	{"after the last patch", `msg="patch done"&patch=v1_0.customer_profile`, 2 * time.Millisecond},
	{"AfterMigrate hook", `msg="after_migrate hook start"`, 40 * time.Millisecond},
	{"verify and report", `msg="migration run finished"`, 30 * time.Millisecond},
}

// killedUp starts `up -v` and SIGKILLs it at ev, returning the phase of
// the last log line seen before the kill, or "" if it finished first.
func killedUp(t *testing.T, bin, dir string, env []string, ev killEvent, nth int, delay time.Duration) (killedAfter string, exited bool) {
	t.Helper()
	cmd := exec.Command(bin, "up", "-v", "--backup-dir", "backups")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = io.Discard
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		last string
	)
	fire := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		seen := 0
		for sc.Scan() {
			l := sc.Text()
			mu.Lock()
			if i := strings.Index(l, "msg="); i >= 0 {
				last = l[i:min(len(l), i+90)]
			}
			mu.Unlock()
			if ev.marker != "" && matches(l, ev.marker) {
				seen++
				if seen == nth {
					close(fire)
				}
			}
		}
	}()
	if ev.marker == "" {
		close(fire)
	}
	select {
	case <-fire:
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
	case <-done:
		exited = true
	}
	<-done
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			exited = false
		} else {
			exited = true
			if ee.ExitCode() != 0 {
				t.Fatalf("up failed by itself (exit %d) before the kill", ee.ExitCode())
			}
		}
	} else if err == nil {
		exited = true
	}
	mu.Lock()
	defer mu.Unlock()
	return last, exited
}

// killSeed is the seed of TestKillUp: MIGTEST_KILL_SEED, or the clock.
func killSeed(t *testing.T) uint64 {
	if s := os.Getenv("MIGTEST_KILL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("MIGTEST_KILL_SEED=%q: %v", s, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestKillUp SIGKILLs `migrate up` at 20 seeded random points (each of the
// phases of killEvents at least once) across the
// example set (plus the Ledger patch, which shows any double application)
// on the demo fixture: during the backup, DDL, batches, between patches and
// after the last one. Each time a second up completes, the snapshot equals
// an uninterrupted run's, the ledger shows every effect exactly once, the
// patch log says every patch is done once, the AfterMigrate hook ran as
// often as in an uninterrupted run, and every recorded backup is intact.
func TestKillUp(t *testing.T) {
	if testing.Short() {
		t.Skip("20 killed runs: not in -short")
	}
	bin := faultBinary(t)
	seed := killSeed(t)
	t.Logf("seed %d (repeat with MIGTEST_KILL_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b696c6c))

	// The reference: one uninterrupted up.
	ref, refDB := servertest.NewDatabase(t)
	refDir := t.TempDir()
	refEnv := []string{"MIGRATE_DSN=" + ref.DSN}
	runBin(t, bin, refDir, refEnv, "restore", "--file", fixturePath(t)).must(t, 0)
	runBin(t, bin, refDir, refEnv, "up", "--backup-dir", "backups").must(t, 0)
	runBin(t, bin, refDir, refEnv, "snapshot", "--out", "ref.snap").must(t, 0)
	refSnap := filepath.Join(refDir, "ref.snap")
	refIndex := migrationIndex(t, refDB, ref.Name)
	if a, n, w := ledgerState(t, refDB, ref.Name); a != 1 || n != faultpatches.LedgerRows || w != 0 {
		t.Fatalf("uninterrupted run: ledger applied %d rows %d wrong %d", a, n, w)
	}

	// Every phase once, in a seeded order, then seeded random phases.
	order := rng.Perm(len(killEvents))
	for len(order) < 20 {
		order = append(order, rng.IntN(len(killEvents)))
	}
	phases := map[string]int{}
	for i, k := range order {
		ev := killEvents[k]
		nth := 1
		if ev.marker == `msg="patch done"` {
			nth = 1 + rng.IntN(4)
		}
		var delay time.Duration
		if ev.maxDelay > 0 {
			delay = time.Duration(rng.Int64N(int64(ev.maxDelay)))
		}
		ok := t.Run(fmt.Sprintf("%02d_%s", i, strings.NewReplacer(" ", "_", "(", "", ")", "").Replace(ev.phase)), func(t *testing.T) {
			d, db := servertest.NewDatabase(t)
			dir := t.TempDir()
			// The ledger's 20 chunks and the hook take long enough (100 ms,
			// 50 ms) for a kill to land inside them.
			env := []string{"MIGRATE_DSN=" + d.DSN, "FAULT_HOOK_SLEEP=50ms", "FAULT_CHUNK_SLEEP=5ms"}
			runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)

			last, finished := killedUp(t, bin, dir, env, ev, nth, delay)
			where := "killed after " + last
			if finished {
				where = "finished before the kill"
			}
			if _, n, _ := ledgerState(t, db, d.Name); n > 0 {
				hit := queryInt(t, db, "SELECT COUNT(*) FROM `"+d.Name+"`.fault_ledger WHERE hits = 1")
				where += fmt.Sprintf(" [ledger %d/%d rows]", hit, n)
			}
			t.Logf("aim %s (#%d) +%v: %s", ev.phase, nth, delay.Round(time.Microsecond), where)
			phases[ev.phase]++

			// The log tells the truth before the resume: done patches are a
			// prefix of the set, and a ledger marked done is complete.
			st := readStatus(t, bin, dir, env)
			doneSeen, gap := 0, false
			for _, p := range st.Patches {
				switch {
				case p.Status == "done" && gap:
					t.Errorf("patch %s is done after a patch that is not: %+v", p.ID, st.Patches)
				case p.Status == "done":
					doneSeen++
				default:
					gap = true
				}
				if p.ID == faultpatches.Ledger.ID {
					a, n, w := ledgerState(t, db, d.Name)
					if w != 0 || a > 1 {
						t.Errorf("after the kill, before the resume: a double application (applied %d, %d rows hit twice)", a, w)
					}
					if p.Status == "done" && (a != 1 || n != faultpatches.LedgerRows) {
						t.Errorf("the log says %s is done but its effect is incomplete (applied %d, %d rows)", p.ID, a, n)
					}
				}
			}

			runBin(t, bin, dir, env, "up", "--backup-dir", "backups").must(t, 0)

			st = readStatus(t, bin, dir, env)
			if st.Applied != len(st.Patches) || st.Pending != 0 || st.Failed != 0 || len(st.Unknown) != 0 {
				t.Errorf("after the resume: %d applied of %d, %d pending, %d failed, %d unknown", st.Applied, len(st.Patches), st.Pending, st.Failed, len(st.Unknown))
			}
			for _, p := range st.Patches {
				if p.Status != "done" || p.Attempts < 1 || p.Attempts > 2 {
					t.Errorf("patch %s: status %s after %d attempts (want done after 1 or 2)", p.ID, p.Status, p.Attempts)
				}
			}
			if a, n, w := ledgerState(t, db, d.Name); a != 1 || n != faultpatches.LedgerRows || w != 0 {
				t.Errorf("double application: fault_counter.applied = %d (want 1), %d ledger rows (want %d), %d rows hit more than once", a, n, faultpatches.LedgerRows, w)
			}
			if got := migrationIndex(t, db, d.Name); got != refIndex {
				t.Errorf("migration_index is %d, an uninterrupted run leaves %d: the AfterMigrate hook ran %s", got, refIndex,
					map[bool]string{true: "twice", false: "not at all"}[got > refIndex])
			}
			runBin(t, bin, dir, env, "snapshot", "--out", "after.snap").must(t, 0)
			if r := runBin(t, bin, dir, nil, "diff", refSnap, "after.snap"); r.code != 0 {
				t.Errorf("the snapshot after kill + resume differs from an uninterrupted run's (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
			}
			// The killed run is recorded as interrupted, the resume as done.
			if n := queryInt(t, db, "SELECT COUNT(*) FROM migtest_run_log WHERE kind = 'up' AND status = 'running'"); n != 0 {
				t.Errorf("%d runs still marked running in the run log", n)
			}
			checkBackups(t, db, d.Name, filepath.Join(dir, "backups"), env)
		})
		if !ok && os.Getenv("MIGTEST_KILL_ALL") == "" {
			t.Fatalf("stopping at the first failed kill point (seed %d); set MIGTEST_KILL_ALL=1 to run all", seed)
		}
	}
	t.Logf("kill points by phase (seed %d): %v", seed, phases)
}

// TestKillInAfterMigrate kills an up inside the set's AfterMigrate hook,
// after every patch is done: the next up has no patch to run, and must
// still run the hook the killed run did not finish (at least once, as an
// uninterrupted run does).
func TestKillInAfterMigrate(t *testing.T) {
	bin := faultBinary(t)
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN, "FAULT_HOOK_SLEEP=2s"}
	runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	before := migrationIndex(t, db, d.Name)
	ev := killEvent{"AfterMigrate hook", `msg="after_migrate hook start"`, 0}
	if _, finished := killedUp(t, bin, dir, env, ev, 1, 100*time.Millisecond); finished {
		t.Fatal("up finished before the kill")
	}
	if got := migrationIndex(t, db, d.Name); got != before {
		t.Fatalf("migration_index moved from %d to %d before the hook's sleep ended", before, got)
	}
	up := runBin(t, bin, dir, env, "up", "--no-backup").must(t, 0)
	if got := migrationIndex(t, db, d.Name); got != before+1 {
		t.Errorf("after the resume migration_index is %d, want %d: the AfterMigrate hook of the killed run never ran\n%s%s", got, before+1, up.stdout, up.stderr)
	}
	runBin(t, bin, dir, env, "up", "--no-backup").must(t, 0)
	if got := migrationIndex(t, db, d.Name); got != before+1 {
		t.Errorf("a third up (nothing pending, nothing interrupted) ran the hook again: migration_index %d, want %d", got, before+1)
	}
}

// privateServer is a local MariaDB of the test's own, which it may kill and
// start again on the same datadir and port.
type privateServer struct {
	server.Server
	dataDir string
	argv    []string // the mariadbd command line, read from /proc

	mu    sync.Mutex
	stops []func() // stop the restarted processes, before the server's Close
}

// startPrivateServer starts a local-provider server for this test; it is
// skipped when the local provider cannot start (no mariadbd).
func startPrivateServer(t *testing.T) *privateServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, server.WithProvider(server.ProviderLocal))
	if err != nil {
		if servertest.Required() {
			t.Fatalf("local server: %v", err)
		}
		t.Skipf("no local MariaDB server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	dd, ok := srv.(interface{ DataDir() string })
	if !ok {
		t.Skip("the local provider's server does not expose its DataDir")
	}
	ps := &privateServer{Server: srv, dataDir: dd.DataDir()}
	t.Cleanup(func() {
		ps.mu.Lock()
		defer ps.mu.Unlock()
		for _, stop := range ps.stops {
			stop()
		}
	})
	// A crash test wants the durability of production (the local
	// provider trades it for speed): every commit reaches the redo log.
	admin, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("SET GLOBAL innodb_flush_log_at_trx_commit = 1"); err != nil {
		t.Fatal(err)
	}
	pid := ps.pid(t)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	ps.argv = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return ps
}

// pid finds the mariadbd whose command line names the server's datadir.
func (ps *privateServer) pid(t *testing.T) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("--datadir="+ps.dataDir+"\x00")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		return pid
	}
	t.Fatalf("no mariadbd with --datadir=%s", ps.dataDir)
	return 0
}

// kill SIGKILLs the server and waits until it is gone.
func (ps *privateServer) kill(t *testing.T) {
	t.Helper()
	pid := ps.pid(t)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || bytes.Contains(b, []byte(") Z ")) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("mariadbd %d still alive after SIGKILL", pid)
}

// restart starts mariadbd again with the same command line (datadir, port,
// socket) and the extra options, waits until it answers, and stops it when the test ends. It
// gets SIGKILL if the test process dies.
func (ps *privateServer) restart(t *testing.T, extra ...string) {
	t.Helper()
	started := make(chan error, 1)
	exited := make(chan struct{})
	cmd := exec.Command(ps.argv[0], append(ps.argv[1:len(ps.argv):len(ps.argv)], extra...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	go func() {
		// Pdeathsig fires when the thread that started the process exits:
		// keep this goroutine on its thread until the server is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	ps.mu.Lock()
	ps.stops = append(ps.stops, func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	ps.mu.Unlock()
	// The restarted server starts with its command-line settings again.
	defer func() {
		if db, err := sql.Open("mysql", ps.DSN("")); err == nil {
			_, _ = db.Exec("SET GLOBAL innodb_flush_log_at_trx_commit = 1")
			db.Close()
		}
	}()
	db, err := sql.Open("mysql", ps.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("mariadbd exited during the restart: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mariadbd did not answer within 60s of the restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startUp starts `up -v` and returns it with a channel closed once a
// stderr line contains marker, and a function that waits for the exit.
func startUp(t *testing.T, bin, dir string, env []string, marker string, args ...string) (seen <-chan struct{}, wait func() result) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"up", "-v"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var so, se bytes.Buffer
	cmd.Stdout = &so
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		fired := false
		for sc.Scan() {
			se.WriteString(sc.Text() + "\n")
			if !fired && matches(sc.Text(), marker) {
				fired = true
				close(ch)
			}
		}
	}()
	return ch, func() result {
		<-done
		err := cmd.Wait()
		r := result{stdout: so.String(), stderr: se.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		}
		return r
	}
}

// within waits for ch or fails the test after d.
func within(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
	}
}

// TestServerLostMidPatch loses the server in the middle of the ledger's
// checkpointed batch, twice over: once the mariadbd process is SIGKILLed
// and started again on the same datadir, once the run's connections are
// KILLed from another session. Each time the run fails with one clear line,
// status tells what happened when the server answers again, and the next up
// resumes after the last committed chunk: the final snapshot equals an
// uninterrupted run's and nothing is applied twice.
func TestServerLostMidPatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a private server: not in -short")
	}
	bin := faultBinary(t)
	ps := startPrivateServer(t)
	ctx := context.Background()
	newDB := func(t *testing.T) (*server.Database, *sql.DB, string, []string) {
		d, err := ps.NewDatabase(ctx)
		if err != nil {
			t.Fatal(err)
		}
		db, err := d.Open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dir := t.TempDir()
		env := []string{"MIGRATE_DSN=" + d.DSN}
		runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
		return d, db, dir, env
	}

	// The reference, uninterrupted, on the same server.
	_, _, refDir, refEnv := newDB(t)
	runBin(t, bin, refDir, refEnv, "up", "--no-backup").must(t, 0)
	runBin(t, bin, refDir, refEnv, "snapshot", "--out", "ref.snap").must(t, 0)
	refSnap := filepath.Join(refDir, "ref.snap")

	for _, how := range []string{"server killed and restarted", "connections killed"} {
		t.Run(strings.ReplaceAll(how, " ", "_"), func(t *testing.T) {
			d, db, dir, env := newDB(t)
			env = append(env, "FAULT_CHUNK_SLEEP=50ms")
			seen, wait := startUp(t, bin, dir, env, `msg="step done"&patch=v1_0.fault_ledger`, "--backup-dir", "backups")
			within(t, seen, time.Minute, "ledger batch start")
			time.Sleep(300 * time.Millisecond) // about 6 of the 20 chunks
			switch how {
			case "server killed and restarted":
				ps.kill(t)
			default:
				admin, err := sql.Open("mysql", ps.DSN(""))
				if err != nil {
					t.Fatal(err)
				}
				defer admin.Close()
				ids, err := admin.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", d.Name)
				if err != nil {
					t.Fatal(err)
				}
				var kill []int64
				for ids.Next() {
					var id int64
					_ = ids.Scan(&id)
					kill = append(kill, id)
				}
				ids.Close()
				for _, id := range kill {
					_, _ = admin.Exec(fmt.Sprintf("KILL %d", id))
				}
				t.Logf("killed %d connections of the run", len(kill))
			}
			r := wait()
			t.Logf("the interrupted up: exit %d: %s", r.code, lastLine(r.stderr))
			if r.code == 0 {
				t.Fatalf("up succeeded although its server went away:\n%s", r.stderr)
			}
			r.mustFailClearly(t, 1, "v1_0.fault_ledger", "connection to the server was lost", "run migrate up again")
			if how == "server killed and restarted" {
				// While the server is down, commands fail with one clear line.
				runBin(t, bin, dir, env, "status").mustFailClearly(t, 1, "cannot reach the server")
				ps.restart(t)
			}
			st := readStatus(t, bin, dir, env)
			for _, p := range st.Patches {
				if p.ID == faultpatches.Ledger.ID {
					t.Logf("status after the server is back: %s %s (attempts %d) %s", p.ID, p.Status, p.Attempts, p.Error)
					if p.Status == "done" {
						t.Errorf("status says %s is done, but the run died in it", p.ID)
					}
				}
			}
			a, n, w := ledgerState(t, db, d.Name)
			hit := queryInt(t, db, "SELECT COUNT(*) FROM `"+d.Name+"`.fault_ledger WHERE hits = 1")
			t.Logf("ledger after the loss: applied %d, %d of %d rows done", a, hit, n)
			if w != 0 || a > 1 {
				t.Errorf("double application already: applied %d, %d rows hit twice", a, w)
			}

			runBin(t, bin, dir, env, "up", "--backup-dir", "backups").must(t, 0)
			if a, n, w := ledgerState(t, db, d.Name); a != 1 || n != faultpatches.LedgerRows || w != 0 {
				t.Errorf("after the resume: applied %d (want 1), %d rows (want %d), %d hit twice", a, n, faultpatches.LedgerRows, w)
			}
			st = readStatus(t, bin, dir, env)
			if st.Applied != len(st.Patches) {
				t.Errorf("after the resume %d of %d patches are applied", st.Applied, len(st.Patches))
			}
			runBin(t, bin, dir, env, "snapshot", "--out", "after.snap").must(t, 0)
			if r := runBin(t, bin, dir, nil, "diff", refSnap, "after.snap"); r.code != 0 {
				t.Errorf("snapshot after the resume differs from an uninterrupted run's:\n%s%s", r.stdout, r.stderr)
			}
			checkBackups(t, db, d.Name, filepath.Join(dir, "backups"), env)
		})
	}
}

// killConnections KILLs, from another session, every connection whose
// default database is database, once one of them is busy; it gives up
// after the timeout. It returns how many it killed.
func killConnections(t *testing.T, admin *sql.DB, database string, busy func() bool, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if busy() {
			rows, err := admin.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", database)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for rows.Next() {
				var id int64
				_ = rows.Scan(&id)
				ids = append(ids, id)
			}
			rows.Close()
			for _, id := range ids {
				_, _ = admin.Exec(fmt.Sprintf("KILL %d", id))
			}
			if len(ids) > 0 {
				return len(ids)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}

// TestConnectionLostMidBackupAndRestore KILLs the connections of a
// running backup and of a running restore from another session: each
// fails with one clear line; the backup leaves no file under its final name
// (nor a manifest or a temporary file), and the restore leaves no target
// that looks complete.
func TestConnectionLostMidBackupAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 300,000-row table: not in -short")
	}
	src, srcDB := servertest.NewDatabase(t)
	dir := t.TempDir()
	for _, q := range []string{
		"CREATE TABLE big (id int NOT NULL PRIMARY KEY, pad varchar(255) NOT NULL, n double NULL) ENGINE=InnoDB",
		"INSERT INTO big SELECT seq, REPEAT(SHA2(seq, 256), 3), seq / 7 FROM seq_1_to_300000",
		"CREATE TABLE small (id int NOT NULL PRIMARY KEY) ENGINE=InnoDB",
		"INSERT INTO small VALUES (1), (2), (3)",
	} {
		if _, err := srcDB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	srcEnv := []string{"MIGRATE_DSN=" + src.DSN}
	admin, err := sql.Open("mysql", servertest.Server(t).DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	busyIn := func(database string) func() bool {
		return func() bool {
			return queryInt(t, admin, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND = 'Query' AND ID <> CONNECTION_ID()", database) > 0
		}
	}

	t.Run("backup", func(t *testing.T) {
		out := filepath.Join(dir, "cut", "big.sql.gz")
		cmd := exec.Command(binary, "backup", "--out", out)
		cmd.Env = append(os.Environ(), srcEnv...)
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Aim at the data: the dump has written part of the big table.
		dumping := func() bool {
			tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".big.sql.gz.tmp-*"))
			for _, f := range tmps {
				if st, err := os.Stat(f); err == nil && st.Size() > 256<<10 {
					return busyIn(src.Name)()
				}
			}
			return false
		}
		n := killConnections(t, admin, src.Name, dumping, time.Minute)
		err := cmd.Wait()
		r := result{stderr: se.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		}
		t.Logf("killed %d connections; backup: exit %d: %s", n, r.code, lastLine(r.stderr))
		if n == 0 {
			t.Skip("the backup finished before a connection could be killed")
		}
		r.mustFailClearly(t, 1, "backup")
		left, _ := os.ReadDir(filepath.Dir(out))
		for _, e := range left {
			t.Errorf("the failed backup left %s in its directory", e.Name())
		}
	})

	// A good backup to restore.
	good := filepath.Join(dir, "good.sql.gz")
	runBin(t, binary, dir, srcEnv, "backup", "--out", good).must(t, 0)

	t.Run("restore", func(t *testing.T) {
		d, db := servertest.NewDatabase(t)
		cmd := exec.Command(binary, "restore", "--file", good)
		cmd.Env = append(os.Environ(), "MIGRATE_DSN="+d.DSN)
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Aim at the data: rows of the big table are being inserted.
		loading := func() bool {
			return queryInt(t, admin, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'INSERT INTO `big`%'", d.Name) > 0
		}
		n := killConnections(t, admin, d.Name, loading, time.Minute)
		err := cmd.Wait()
		r := result{stderr: se.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		}
		t.Logf("killed %d connections; restore: exit %d: %s", n, r.code, lastLine(r.stderr))
		if n == 0 {
			t.Skip("the restore finished before a connection could be killed")
		}
		r.mustFailClearly(t, 1, "restore")
		names := tableNames(t, db, d.Name)
		if len(names) > 0 {
			rows := queryInt(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'big'", d.Name)
			t.Errorf("the failed restore left tables %v (big present: %d): a target that may look complete", names, rows)
		}
	})
}

// startAll starts n copies of bin with args at once and returns their
// results, in start order.
func startAll(t *testing.T, n int, bin, dir string, env []string, args ...string) []result {
	t.Helper()
	out := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), env...)
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			err := cmd.Run()
			out[i] = result{stdout: so.String(), stderr: se.String()}
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				out[i].code = ee.ExitCode()
			case err != nil:
				out[i].code = -1
				out[i].stderr += err.Error()
			}
		}()
	}
	wg.Wait()
	return out
}

// TestConcurrentUp runs ten ups at once on one database: exactly one
// applies the patches and the nine others exit 3 naming the lock; with
// --wait the nine wait and then find nothing to do. Ups on two databases
// run side by side. The ledger patch is slowed down (2 s) so that every
// up contends for the lock while the first holds it.
func TestConcurrentUp(t *testing.T) {
	if testing.Short() {
		t.Skip("ten processes at once: not in -short")
	}
	bin := faultBinary(t)
	slow := "FAULT_CHUNK_SLEEP=100ms"
	prepare := func(t *testing.T) (*sql.DB, string, string, []string) {
		d, db := servertest.NewDatabase(t)
		dir := t.TempDir()
		env := []string{"MIGRATE_DSN=" + d.DSN, slow}
		runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
		return db, d.Name, dir, env
	}
	checkOnce := func(t *testing.T, db *sql.DB, name, dir string, env []string) {
		t.Helper()
		st := readStatus(t, bin, dir, env)
		for _, p := range st.Patches {
			if p.Status != "done" || p.Attempts != 1 {
				t.Errorf("patch %s: %s after %d attempts, want done after 1", p.ID, p.Status, p.Attempts)
			}
		}
		if a, n, w := ledgerState(t, db, name); a != 1 || n != faultpatches.LedgerRows || w != 0 {
			t.Errorf("ledger: applied %d, %d rows, %d hit twice", a, n, w)
		}
		backups, _ := filepath.Glob(filepath.Join(dir, "backups", "*.sql.gz"))
		if len(backups) != 1 {
			t.Errorf("%d backups written, want 1: %v", len(backups), backups)
		}
	}

	t.Run("ten_on_one_database", func(t *testing.T) {
		db, name, dir, env := prepare(t)
		res := startAll(t, 10, bin, dir, env, "up", "--backup-dir", "backups")
		applied, locked := 0, 0
		for i, r := range res {
			switch {
			case r.code == 0 && strings.Contains(r.stdout, "done: 5 patches run"):
				applied++
			case r.code == 3:
				locked++
				r.mustFailClearly(t, 3, "another migration holds the lock", "--wait")
			default:
				t.Errorf("up #%d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
			}
		}
		if applied != 1 || locked != 9 {
			t.Errorf("%d ups applied the patches and %d exited 3; want 1 and 9", applied, locked)
		}
		checkOnce(t, db, name, dir, env)
		if n := queryInt(t, db, "SELECT COUNT(*) FROM migtest_run_log WHERE kind = 'up'"); n != 1 {
			t.Errorf("%d up runs in the run log, want 1 (the others never held the lock)", n)
		}
	})

	t.Run("ten_with_wait", func(t *testing.T) {
		db, name, dir, env := prepare(t)
		res := startAll(t, 10, bin, dir, env, "up", "--backup-dir", "backups", "--wait", "2m")
		applied, nothing := 0, 0
		for i, r := range res {
			switch {
			case r.code == 0 && strings.Contains(r.stdout, "done: 5 patches run"):
				applied++
			case r.code == 0 && strings.Contains(r.stdout, "nothing to do"):
				nothing++
			default:
				t.Errorf("up --wait #%d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
			}
		}
		if applied != 1 || nothing != 9 {
			t.Errorf("%d ups applied the patches and %d found nothing to do; want 1 and 9", applied, nothing)
		}
		checkOnce(t, db, name, dir, env)
		if n := queryInt(t, db, "SELECT COUNT(*) FROM migtest_run_log WHERE kind = 'up' AND status = 'done'"); n != 1 {
			t.Errorf("%d runs done in the run log, want 1", n)
		}
	})

	t.Run("two_databases_side_by_side", func(t *testing.T) {
		dbA, nameA, dirA, envA := prepare(t)
		dbB, nameB, dirB, envB := prepare(t)
		var wg sync.WaitGroup
		var ra, rb result
		wg.Add(2)
		go func() { defer wg.Done(); ra = runBin(t, bin, dirA, envA, "up", "--backup-dir", "backups") }()
		go func() { defer wg.Done(); rb = runBin(t, bin, dirB, envB, "up", "--backup-dir", "backups") }()
		wg.Wait()
		ra.must(t, 0)
		rb.must(t, 0)
		checkOnce(t, dbA, nameA, dirA, envA)
		checkOnce(t, dbB, nameB, dirB, envB)
		span := func(db *sql.DB) (start, end time.Time) {
			if err := db.QueryRow("SELECT started, finished FROM migtest_run_log WHERE kind = 'up'").Scan(&start, &end); err != nil {
				t.Fatal(err)
			}
			return start, end
		}
		sa, ea := span(dbA)
		sb, eb := span(dbB)
		if !sa.Before(eb) || !sb.Before(ea) {
			t.Errorf("the runs on two databases did not overlap (A %v–%v, B %v–%v): one waited for the other", sa, ea, sb, eb)
		}
	})
}

// TestRollbackAfterFailedUp fails an up three ways — a patch returns an
// error after three patches succeeded, a patch with an SQL syntax error
// after one, and a SIGKILL in the middle of the ledger's batch — and rolls
// back: every table's CHECKSUM TABLE equals its value before the up, no
// table was added or lost, and the patches are pending again.
func TestRollbackAfterFailedUp(t *testing.T) {
	bin := faultBinary(t)
	for _, tc := range []struct{ name, set string }{
		{"patch_error", "error"},
		{"sql_syntax_error", "badsql"},
		{"sigkill_mid_batch", "ledger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, db := servertest.NewDatabase(t)
			dir := t.TempDir()
			env := []string{"MIGRATE_DSN=" + d.DSN, "FAULT_SET=" + tc.set, "FAULT_CHUNK_SLEEP=20ms"}
			runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
			beforeSums := checksums(t, db, d.Name)
			beforeTables := tableNames(t, db, d.Name)

			if tc.set == "ledger" {
				ev := killEvent{"ledger batch", `msg="step done"&patch=v1_0.fault_ledger`, 0}
				if _, finished := killedUp(t, bin, dir, env, ev, 1, 100*time.Millisecond); finished {
					t.Fatal("up finished before the kill")
				}
				waitSessionsGone(t, db, d.Name)
			} else {
				runBin(t, bin, dir, env, "up", "--backup-dir", "backups").mustFailClearly(t, 1, "failed")
			}
			if fmt.Sprint(checksums(t, db, d.Name)) == fmt.Sprint(beforeSums) {
				t.Fatal("the failed up changed nothing: nothing to roll back")
			}

			runBin(t, bin, dir, env, "rollback", "--yes", "--backup-dir", "backups").must(t, 0)
			var after []string
			for _, n := range tableNames(t, db, d.Name) {
				if !strings.HasPrefix(n, "migtest_") {
					after = append(after, n)
				}
			}
			if fmt.Sprint(after) != fmt.Sprint(beforeTables) {
				t.Errorf("tables after the rollback %v, before the up %v", after, beforeTables)
			}
			if got := checksums(t, db, d.Name); fmt.Sprint(got) != fmt.Sprint(beforeSums) {
				for n, v := range beforeSums {
					if got[n] != v {
						t.Errorf("CHECKSUM TABLE %s: %d before the up, %d after the rollback", n, v, got[n])
					}
				}
			}
			st := readStatus(t, bin, dir, env)
			if st.Applied != 0 || st.Pending != len(st.Patches) {
				t.Errorf("after the rollback %d patches applied and %d pending, want 0 and %d", st.Applied, st.Pending, len(st.Patches))
			}
		})
	}
}

// TestRollbackWhileUpRuns starts a rollback while an up holds the lock in
// the middle of a patch: the rollback must not restore under the running
// up's feet; it exits 3 like a second up, and the up finishes.
func TestRollbackWhileUpRuns(t *testing.T) {
	bin := faultBinary(t)
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN, "FAULT_CHUNK_SLEEP=100ms"}
	runBin(t, bin, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	// A first, complete up leaves a backup for the rollback to find; then
	// mark the ledger pending so that a second up runs it again slowly.
	runBin(t, bin, dir, env, "up", "--backup-dir", "backups").must(t, 0)
	if _, err := db.Exec("UPDATE fault_counter SET applied = 0"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE fault_ledger SET hits = 0"); err != nil {
		t.Fatal(err)
	}
	runBin(t, bin, dir, env, "mark", faultpatches.Ledger.ID, "--pending", "--reason", "test: run it again").must(t, 0)

	seen, wait := startUp(t, bin, dir, env, `msg="step done"&patch=v1_0.fault_ledger`, "--backup-dir", "backups")
	within(t, seen, time.Minute, "ledger batch start")
	rb := runBin(t, bin, dir, env, "rollback", "--yes", "--backup-dir", "backups")
	up := wait()
	up.must(t, 0)
	rb.mustFailClearly(t, 3, "another migration holds the lock")
	if a, n, w := ledgerState(t, db, d.Name); a != 1 || n != faultpatches.LedgerRows || w != 0 {
		t.Errorf("ledger after the up: applied %d, %d rows, %d hit twice", a, n, w)
	}
}
