package migrate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
)

// UpOptions tunes one Up.
type UpOptions struct {
	// SkipFailing records a failed patch and goes on with the next; Up then
	// returns an error at the end. Without it the run stops at the first failure.
	SkipFailing bool
	// Only runs just the patch with this ID (if it is not applied yet).
	Only string
	// Wait is how long to wait for another run's lock (0: fail at once with
	// a *LockedError).
	Wait time.Duration
	// BackupFile and BackupSHA256 are recorded in the run log (the backup
	// taken before the run, if any).
	BackupFile, BackupSHA256 string
	// BeforeRun, if set, is called under the lock when there is something
	// to run, with the patches about to run, before any of them does; the
	// CLI takes its backup here. An error stops the up with nothing changed.
	// The file and sum it returns are recorded in the run log.
	BeforeRun func(ctx context.Context, pending []Planned) (backupFile, backupSHA256 string, err error)
	// RunID, if set, is the run's ID (else a new one); a caller that logs
	// before Up sets it so that every log line carries the same ID.
	RunID string
}

// NewRunID returns a new run ID: the UTC time and a random suffix.
func NewRunID() string { return newRunID() }

// PatchResult is what happened to one patch in an Up.
type PatchResult struct {
	ID          string       `json:"id"`
	Description string       `json:"description,omitempty"`
	State       State        `json:"status"`
	Duration    float64      `json:"duration_s"`
	Error       string       `json:"error,omitempty"`
	Steps       []StepResult `json:"steps,omitempty"`

	err    error // the error itself, so callers can errors.Is/As through PatchError
	runErr error // the patch's own error (Run, Verify, panic), without the log's
}

// RunFailed reports whether the patch itself (Run, Verify or a panic)
// failed, as opposed to failing only because its result could not be
// written to the patch log.
func (p PatchResult) RunFailed() bool { return p.runErr != nil }

// UpResult is the outcome of an Up, for the CLI to print as text or JSON.
type UpResult struct {
	RunID    string        `json:"run_id"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	State    string        `json:"status"` // "done", "failed" or "nothing" (nothing pending)
	Patches  []PatchResult `json:"patches"`
	// Remaining counts the patches still not applied after the run.
	Remaining int `json:"remaining"`
}

// PatchError is the error of a failed patch (or hook).
type PatchError struct {
	ID  string
	Err error
}

func (e *PatchError) Error() string { return fmt.Sprintf("patch %s failed: %v", e.ID, e.Err) }
func (e *PatchError) Unwrap() error { return e.Err }

func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:4])
}

// Up takes the lock and runs the pending patches in order: each is logged
// running, then done or failed with its error, steps and duration. A failure
// (an error, a failed Verify or a panic) stops the run with a *PatchError
// unless SkipFailing; the next Up retries it. If another run holds the lock,
// Up returns a *LockedError. The result is returned also with an error.
func (m *Migrator) Up(ctx context.Context, o UpOptions) (*UpResult, error) {
	res := &UpResult{RunID: o.RunID, Started: m.now().UTC(), State: "nothing", Patches: []PatchResult{}}
	if res.RunID == "" {
		res.RunID = newRunID()
	}
	if o.Only != "" {
		if _, ok := m.set.Lookup(o.Only); !ok {
			return res, fmt.Errorf("patch %s is not in the patch set: check the ID with 'migrate plan'", o.Only)
		}
	}
	if err := m.ensureTables(ctx); err != nil {
		return res, err
	}
	lk, err := m.acquire(ctx, o.Wait)
	if err != nil {
		return res, err
	}
	defer lk.release()
	bg := context.WithoutCancel(ctx)

	if o.BeforeRun != nil {
		pending, err := m.Plan(ctx)
		if err != nil {
			return res, err
		}
		if o.Only != "" {
			var only []Planned
			for _, p := range pending {
				if p.ID == o.Only {
					only = append(only, p)
				}
			}
			pending = only
		}
		if len(pending) > 0 {
			file, sum, err := o.BeforeRun(ctx, pending)
			if err != nil {
				return res, fmt.Errorf("before the run (nothing was changed): %w", err)
			}
			o.BackupFile, o.BackupSHA256 = file, sum
		}
	}

	// Runs still marked running hold no lock: they died.
	if _, err := m.db.ExecContext(ctx, "UPDATE "+m.q(m.runTable)+" SET status = 'interrupted' WHERE status = 'running'"); err != nil {
		return res, fmt.Errorf("run log %s: %w", m.runTable, err)
	}
	if _, err := m.db.ExecContext(ctx, "INSERT INTO "+m.q(m.runTable)+
		" (run_id, kind, status, started, backup_file, backup_sha256, host, pid, tool_version) VALUES (?, 'up', 'running', ?, ?, ?, ?, ?, ?)",
		res.RunID, fmtTime(res.Started), o.BackupFile, o.BackupSHA256, m.host, m.pid, m.toolVersion); err != nil {
		return res, fmt.Errorf("run log %s: %w", m.runTable, err)
	}
	m.log.Info("migration run started", "run_id", res.RunID, "host", m.host, "pid", m.pid)

	runErr := m.runPending(ctx, o, res)

	res.Finished = m.now().UTC()
	if entries, err := m.entries(bg); err == nil {
		for _, p := range m.set.Patches {
			if e := entries[p.ID]; e == nil || !e.State.applied() {
				res.Remaining++
			}
		}
	}
	status := res.State
	var ran []string
	for _, p := range res.Patches {
		ran = append(ran, p.ID)
	}
	ranJSON, _ := json.Marshal(ran)
	errText := ""
	if runErr != nil {
		errText = runErr.Error()
	}
	if _, err := m.db.ExecContext(bg, "UPDATE "+m.q(m.runTable)+" SET status = ?, finished = ?, patches_run = ?, patches = ?, error = ? WHERE run_id = ?",
		status, fmtTime(res.Finished), len(res.Patches), string(ranJSON), errText, res.RunID); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("run log %s: %w", m.runTable, err))
	}
	m.log.Info("migration run finished", "run_id", res.RunID, "status", status, "patches_run", len(res.Patches),
		"remaining", res.Remaining, "duration", res.Finished.Sub(res.Started).Round(time.Millisecond))
	return res, runErr
}

// runPending runs the pending patches and the hooks, filling res.
func (m *Migrator) runPending(ctx context.Context, o UpOptions, res *UpResult) error {
	entries, err := m.entries(ctx)
	if err != nil {
		return err
	}
	var todo []patch.Patch
	for _, p := range m.set.Patches {
		if o.Only != "" && p.ID != o.Only {
			continue
		}
		e := entries[p.ID]
		if e != nil && e.State.applied() {
			continue
		}
		if e != nil && e.State == StateRunning {
			m.log.Warn("patch was interrupted in an earlier run, running it again", "patch", p.ID, "run_id", e.RunID)
		}
		todo = append(todo, p)
	}
	hookOwed := false
	if len(todo) == 0 {
		if m.set.AfterMigrate != nil {
			// A run that ran patches and died (or failed) before its
			// AfterMigrate hook finished leaves its note: run the hook now.
			var n int
			if err := m.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+m.q(m.runTable)+" WHERE kind = 'up' AND note = ? AND run_id <> ?", hookPendingNote, res.RunID).Scan(&n); err != nil {
				return fmt.Errorf("run log %s: %w", m.runTable, err)
			}
			hookOwed = n > 0
		}
		if !hookOwed {
			m.log.Info("nothing to do: every patch is applied")
			return nil
		}
		m.log.Warn("every patch is applied, but an earlier run ended before its after_migrate hook finished: running the hook now")
	}
	res.State = "done"
	if m.set.AfterMigrate != nil && !hookOwed {
		if _, err := m.db.ExecContext(ctx, "UPDATE "+m.q(m.runTable)+" SET note = ? WHERE run_id = ?", hookPendingNote, res.RunID); err != nil {
			res.State = "failed"
			return fmt.Errorf("run log %s: %w", m.runTable, err)
		}
	}
	if h := m.set.BeforeMigrate; h != nil {
		if err := m.runHook(ctx, "before_migrate", h); err != nil {
			res.State = "failed"
			return err
		}
	}
	var failed []error
	for _, p := range todo {
		if err := ctx.Err(); err != nil {
			res.State = "failed"
			return errors.Join(append(failed, err)...)
		}
		pr := m.runPatch(ctx, p, res.RunID)
		res.Patches = append(res.Patches, pr)
		if pr.State == StateFailed {
			res.State = "failed"
			perr := pr.err
			if perr == nil {
				perr = errors.New(pr.Error)
			}
			failed = append(failed, &PatchError{ID: p.ID, Err: perr})
			if !o.SkipFailing {
				return failed[0]
			}
		}
	}
	if h := m.set.AfterMigrate; h != nil {
		if err := m.runHook(ctx, "after_migrate", h); err != nil {
			res.State = "failed"
			failed = append(failed, err)
		} else if _, err := m.db.ExecContext(context.WithoutCancel(ctx), "UPDATE "+m.q(m.runTable)+" SET note = NULL WHERE note = ?", hookPendingNote); err != nil {
			res.State = "failed"
			failed = append(failed, fmt.Errorf("after_migrate ran, but the run log %s could not record it (the next up runs it again): %w", m.runTable, err))
		}
	}
	return errors.Join(failed...)
}

// hookPendingNote marks, in the run log's note, an up that ran patches and
// has not finished its AfterMigrate hook yet; the next up runs the hook if
// the run died or failed before it did.
const hookPendingNote = "after_migrate pending"

func (m *Migrator) runHook(ctx context.Context, name string, h patch.Hook) error {
	pc := patchrt.NewContext[*patch.Context](name, patchrt.NewDB[*patch.DB](m.db, m.hook), patchrt.Config{Logger: m.log, Progress: m.progress})
	ctx = patchrt.ContextWithID(ctx, name)
	if err := safely(func() error { return h(ctx, pc) }); err != nil {
		m.log.Error("hook failed", "hook", name, "err", err)
		return &PatchError{ID: name, Err: err}
	}
	return nil
}

// safely calls fn, turning a panic into an error with its stack.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn()
}

// runPatch runs one patch and records it.
func (m *Migrator) runPatch(ctx context.Context, p patch.Patch, runID string) PatchResult {
	bg := context.WithoutCancel(ctx)
	pr := PatchResult{ID: p.ID, Description: p.Description}
	start := m.now().UTC()
	log := m.log.With("patch", p.ID)
	log.Info("patch start", "description", p.Description)
	_, err := m.db.ExecContext(ctx, "INSERT INTO "+m.q(m.patchTable)+
		" (id, status, description, attempts, started, run_id, host, tool_version) VALUES (?, 'running', ?, 1, ?, ?, ?, ?)"+
		" ON DUPLICATE KEY UPDATE status = 'running', description = VALUES(description), attempts = attempts + 1, started = VALUES(started),"+
		" finished = NULL, duration_s = NULL, error = NULL, steps = NULL, run_id = VALUES(run_id), host = VALUES(host), tool_version = VALUES(tool_version)",
		p.ID, p.Description, fmtTime(start), runID, m.host, m.toolVersion)
	if err != nil {
		pr.State, pr.Error = StateFailed, fmt.Sprintf("patch log %s: %v", m.patchTable, err)
		return pr
	}
	cfg := patchrt.Config{Logger: m.log, Store: store{m}, Progress: m.progress}
	db := patchrt.NewDB[*patch.DB](m.db, m.hook)
	ctx = patchrt.ContextWithID(ctx, p.ID)
	var pc *patch.Context
	err = safely(func() error {
		if !p.InTx {
			pc = patchrt.NewContext[*patch.Context](p.ID, db, cfg)
			return p.Run(ctx, pc)
		}
		return db.Tx(ctx, func(tx *patch.DB) error {
			pc = patchrt.NewContext[*patch.Context](p.ID, tx, cfg)
			return p.Run(ctx, pc)
		})
	})
	if err == nil && p.Verify != nil {
		vc := patchrt.NewContext[*patch.Context](p.ID, db, cfg)
		if verr := safely(func() error { return p.Verify(ctx, vc) }); verr != nil {
			err = fmt.Errorf("verify: %w", verr)
		}
	}
	if pc != nil {
		pr.Steps = patchrt.Steps(pc)
	}
	fin := m.now().UTC()
	pr.Duration = fin.Sub(start).Seconds()
	pr.State = StateDone
	if err != nil {
		pr.State, pr.Error, pr.err, pr.runErr = StateFailed, err.Error(), err, err
	}
	var steps any
	if len(pr.Steps) > 0 {
		b, _ := json.Marshal(pr.Steps)
		steps = string(b)
	}
	var errText any
	if pr.Error != "" {
		errText = pr.Error
	}
	if _, uerr := m.db.ExecContext(bg, "UPDATE "+m.q(m.patchTable)+" SET status = ?, finished = ?, duration_s = ?, error = ?, steps = COALESCE(?, steps) WHERE id = ?",
		string(pr.State), fmtTime(fin), pr.Duration, errText, steps, p.ID); uerr != nil {
		pr.State = StateFailed
		pr.err = errors.Join(err, fmt.Errorf("patch log %s: %w", m.patchTable, uerr))
		pr.Error = pr.err.Error()
	}
	if pr.State == StateFailed {
		log.Error("patch failed", "err", pr.Error, "duration", time.Duration(pr.Duration*float64(time.Second)).Round(time.Millisecond))
	} else {
		log.Info("patch done", "duration", time.Duration(pr.Duration*float64(time.Second)).Round(time.Millisecond))
	}
	return pr
}

// Status is the state of every patch of the set and of the log.
type Status struct {
	ServerVersion string `json:"server_version"`
	Database      string `json:"database"`
	// Patches are the set's patches in order, each with its log entry
	// (State pending and nothing else when it has none).
	Patches []Entry `json:"patches"`
	// Unknown are log entries of patches no longer in the set.
	Unknown                  []Entry `json:"unknown"`
	Applied, Pending, Failed int     `json:"-"`
	LastRun                  *Run    `json:"last_run,omitempty"`
}

// Status reads the patch and run logs; it changes nothing (missing log
// tables mean nothing has run).
func (m *Migrator) Status(ctx context.Context) (*Status, error) {
	st := &Status{Patches: []Entry{}, Unknown: []Entry{}}
	var db any
	if err := m.db.QueryRowContext(ctx, "SELECT VERSION(), COALESCE(DATABASE(), '')").Scan(&st.ServerVersion, &db); err != nil {
		return nil, fmt.Errorf("read server version: %w", err)
	}
	st.Database = fmt.Sprintf("%s", db)
	entries, err := m.entries(ctx)
	if err != nil {
		return nil, err
	}
	inSet := map[string]bool{}
	for _, p := range m.set.Patches {
		inSet[p.ID] = true
		e := Entry{ID: p.ID, State: StatePending}
		if le := entries[p.ID]; le != nil {
			e = *le
		}
		e.Description = p.Description
		switch {
		case e.State.applied():
			st.Applied++
		case e.State == StateFailed:
			st.Failed++
		default:
			st.Pending++
		}
		st.Patches = append(st.Patches, e)
	}
	for _, e := range entries {
		if !inSet[e.ID] {
			st.Unknown = append(st.Unknown, *e)
		}
	}
	sortEntries(st.Unknown)
	if st.LastRun, err = m.lastRun(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// MarshalJSON adds the counts to the JSON form.
func (s *Status) MarshalJSON() ([]byte, error) {
	type plain Status
	return json.Marshal(struct {
		*plain
		Applied int `json:"applied"`
		Pending int `json:"pending"`
		Failed  int `json:"failed"`
	}{(*plain)(s), s.Applied, s.Pending, s.Failed})
}

func sortEntries(es []Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].ID < es[j-1].ID; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// Planned is a patch Up would run.
type Planned struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	State       State  `json:"status"` // pending, failed (a retry) or running (interrupted)
	Attempts    int    `json:"attempts"`
	InTx        bool   `json:"in_tx"`
}

// Plan lists, in order, the patches Up would run. It changes nothing, and
// does not create the log tables.
func (m *Migrator) Plan(ctx context.Context) ([]Planned, error) {
	entries, err := m.entries(ctx)
	if err != nil {
		return nil, err
	}
	out := []Planned{}
	for _, p := range m.set.Patches {
		pl := Planned{ID: p.ID, Description: p.Description, State: StatePending, InTx: p.InTx}
		if e := entries[p.ID]; e != nil {
			if e.State.applied() {
				continue
			}
			pl.State, pl.Attempts = e.State, e.Attempts
		}
		out = append(out, pl)
	}
	return out, nil
}

// Mark sets a patch's state by hand, under the lock, with a reason kept in
// the patch log's note and in an audit row of the run log: StateDone records
// it as skipped (applied without running), StatePending forgets its result
// and checkpoint so the next Up runs it from the start.
func (m *Migrator) Mark(ctx context.Context, id string, state State, reason string) error {
	if state != StateDone && state != StatePending {
		return fmt.Errorf("mark %s: state %q: use done or pending", id, state)
	}
	if _, ok := m.set.Lookup(id); !ok && state == StateDone {
		return fmt.Errorf("mark %s: not in the patch set: check the ID with 'migrate status'", id)
	}
	if err := m.ensureTables(ctx); err != nil {
		return err
	}
	lk, err := m.acquire(ctx, 0)
	if err != nil {
		return err
	}
	defer lk.release()
	now := fmtTime(m.now())
	desc := ""
	if p, ok := m.set.Lookup(id); ok {
		desc = p.Description
	}
	st := "skipped"
	if state == StatePending {
		st = "pending"
	}
	_, err = m.db.ExecContext(ctx, "INSERT INTO "+m.q(m.patchTable)+" (id, status, description, finished, host, tool_version, note) VALUES (?, ?, ?, ?, ?, ?, ?)"+
		" ON DUPLICATE KEY UPDATE status = VALUES(status), finished = VALUES(finished), error = NULL, checkpoint = NULL, note = VALUES(note), host = VALUES(host)",
		id, st, desc, now, m.host, m.toolVersion, reason)
	if err != nil {
		return fmt.Errorf("mark %s: patch log %s: %w", id, m.patchTable, err)
	}
	ids, _ := json.Marshal([]string{id})
	_, err = m.db.ExecContext(ctx, "INSERT INTO "+m.q(m.runTable)+" (run_id, kind, status, started, finished, patches, host, pid, tool_version, note) VALUES (?, 'mark', ?, ?, ?, ?, ?, ?, ?, ?)",
		newRunID(), string(state), now, now, string(ids), m.host, m.pid, m.toolVersion, reason)
	if err != nil {
		return fmt.Errorf("mark %s: run log %s: %w", id, m.runTable, err)
	}
	m.log.Info("patch marked", "patch", id, "state", state, "reason", reason)
	return nil
}
