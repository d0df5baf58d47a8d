package migrate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/internal/sqltext"
)

const timeLayout = "2006-01-02 15:04:05.000000"

func fmtTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, err := time.ParseInLocation(timeLayout, s.String, time.UTC)
	if err != nil {
		return time.Time{}
	}
	return t
}

// timeCol reads a datetime column as text, whatever the DSN's parseTime.
func timeCol(col string) string {
	return "DATE_FORMAT(" + col + ", '%Y-%m-%d %H:%i:%s.%f')"
}

func (m *Migrator) q(name string) string { return sqltext.QuoteIdent(name) }

// ensureTables creates the log tables if they are missing.
func (m *Migrator) ensureTables(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + m.q(m.patchTable) + ` (
  id varchar(255) NOT NULL,
  status varchar(16) NOT NULL,
  description text NULL,
  attempts int NOT NULL DEFAULT 0,
  started datetime(6) NULL,
  finished datetime(6) NULL,
  duration_s double NULL,
  error text NULL,
  steps longtext NULL,
  checkpoint longblob NULL,
  run_id varchar(32) NULL,
  host varchar(255) NULL,
  tool_version varchar(64) NULL,
  note text NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='migtest: one row per patch'`,
		`CREATE TABLE IF NOT EXISTS ` + m.q(m.runTable) + ` (
  run_id varchar(32) NOT NULL,
  kind varchar(16) NOT NULL DEFAULT 'up',
  status varchar(16) NOT NULL,
  started datetime(6) NOT NULL,
  finished datetime(6) NULL,
  patches_run int NOT NULL DEFAULT 0,
  patches text NULL,
  error text NULL,
  backup_file text NULL,
  backup_sha256 varchar(64) NULL,
  host varchar(255) NULL,
  pid int NULL,
  tool_version varchar(64) NULL,
  note text NULL,
  PRIMARY KEY (run_id),
  KEY started (started)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='migtest: one row per up'`,
	}
	for _, s := range stmts {
		if _, err := m.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create log table: %w (the user needs CREATE privilege on the database)", err)
		}
	}
	return nil
}

// tablesExist reports whether the patch log and run log tables exist.
func (m *Migrator) tablesExist(ctx context.Context) (patchLog, runLog bool, err error) {
	rows, err := m.db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?)", m.patchTable, m.runTable)
	if err != nil {
		return false, false, fmt.Errorf("look for log tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return false, false, err
		}
		patchLog = patchLog || n == m.patchTable
		runLog = runLog || n == m.runTable
	}
	return patchLog, runLog, rows.Err()
}

// Entry is one patch's row in the patch log.
type Entry struct {
	ID          string          `json:"id"`
	State       State           `json:"status"`
	Description string          `json:"description,omitempty"`
	Attempts    int             `json:"attempts"`
	Started     time.Time       `json:"started,omitzero"`
	Finished    time.Time       `json:"finished,omitzero"`
	Duration    float64         `json:"duration_s"`
	Error       string          `json:"error,omitempty"`
	Steps       []StepResult    `json:"steps,omitempty"`
	Checkpoint  json.RawMessage `json:"checkpoint,omitempty"`
	RunID       string          `json:"run_id,omitempty"`
	Host        string          `json:"host,omitempty"`
	ToolVersion string          `json:"tool_version,omitempty"`
	Note        string          `json:"note,omitempty"`
}

// entries reads the patch log, by ID. A missing table is an empty log.
func (m *Migrator) entries(ctx context.Context) (map[string]*Entry, error) {
	ok, _, err := m.tablesExist(ctx)
	if err != nil || !ok {
		return map[string]*Entry{}, err
	}
	rows, err := m.db.QueryContext(ctx, `SELECT id, status, COALESCE(description,''), attempts, `+timeCol("started")+`, `+timeCol("finished")+`,
  COALESCE(duration_s,0), COALESCE(error,''), COALESCE(steps,''), checkpoint, COALESCE(run_id,''), COALESCE(host,''), COALESCE(tool_version,''), COALESCE(note,'')
FROM `+m.q(m.patchTable))
	if err != nil {
		return nil, fmt.Errorf("read patch log %s: %w", m.patchTable, err)
	}
	defer rows.Close()
	out := map[string]*Entry{}
	for rows.Next() {
		var e Entry
		var st string
		var started, finished sql.NullString
		var steps string
		var cp []byte
		if err := rows.Scan(&e.ID, &st, &e.Description, &e.Attempts, &started, &finished, &e.Duration, &e.Error, &steps, &cp, &e.RunID, &e.Host, &e.ToolVersion, &e.Note); err != nil {
			return nil, fmt.Errorf("read patch log %s: %w", m.patchTable, err)
		}
		e.State = State(st)
		e.Started, e.Finished = parseTime(started), parseTime(finished)
		if steps != "" {
			_ = json.Unmarshal([]byte(steps), &e.Steps)
		}
		if len(cp) > 0 && json.Valid(cp) {
			e.Checkpoint = cp
		}
		out[e.ID] = &e
	}
	return out, rows.Err()
}

// Run is one row of the run log.
type Run struct {
	RunID        string    `json:"run_id"`
	Kind         string    `json:"kind"`
	State        string    `json:"status"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished,omitzero"`
	PatchesRun   int       `json:"patches_run"`
	Patches      []string  `json:"patches,omitempty"`
	Error        string    `json:"error,omitempty"`
	BackupFile   string    `json:"backup_file,omitempty"`
	BackupSHA256 string    `json:"backup_sha256,omitempty"`
	Host         string    `json:"host,omitempty"`
	PID          int       `json:"pid,omitempty"`
	ToolVersion  string    `json:"tool_version,omitempty"`
	Note         string    `json:"note,omitempty"`
}

// lastRun returns the newest run-log row of kind "up" with one of the
// states given (any when none), or nil.
func (m *Migrator) lastRun(ctx context.Context, states ...string) (*Run, error) {
	return m.lastRunWhere(ctx, "", states...)
}

// LastBackup returns the newest up run that took a backup, or nil: the
// backup a rollback restores.
func (m *Migrator) LastBackup(ctx context.Context) (*Run, error) {
	return m.lastRunWhere(ctx, "backup_file IS NOT NULL AND backup_file <> ''")
}

func (m *Migrator) lastRunWhere(ctx context.Context, where string, states ...string) (*Run, error) {
	_, ok, err := m.tablesExist(ctx)
	if err != nil || !ok {
		return nil, err
	}
	q := `SELECT run_id, kind, status, ` + timeCol("started") + `, ` + timeCol("finished") + `, patches_run, COALESCE(patches,''), COALESCE(error,''),
  COALESCE(backup_file,''), COALESCE(backup_sha256,''), COALESCE(host,''), COALESCE(pid,0), COALESCE(tool_version,''), COALESCE(note,'')
FROM ` + m.q(m.runTable) + ` WHERE kind = 'up'`
	if where != "" {
		q += " AND " + where
	}
	var args []any
	if len(states) > 0 {
		q += " AND status IN (?" + repeat(", ?", len(states)-1) + ")"
		for _, s := range states {
			args = append(args, s)
		}
	}
	q += " ORDER BY started DESC LIMIT 1"
	var r Run
	var started, finished sql.NullString
	var patches string
	err = m.db.QueryRowContext(ctx, q, args...).Scan(&r.RunID, &r.Kind, &r.State, &started, &finished, &r.PatchesRun, &patches, &r.Error,
		&r.BackupFile, &r.BackupSHA256, &r.Host, &r.PID, &r.ToolVersion, &r.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run log %s: %w", m.runTable, err)
	}
	r.Started, r.Finished = parseTime(started), parseTime(finished)
	if patches != "" {
		_ = json.Unmarshal([]byte(patches), &r.Patches)
	}
	return &r, nil
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// store is the patchrt.Store over the patch log.
type store struct{ m *Migrator }

func (s store) LoadCheckpoint(ctx context.Context, id string) ([]byte, error) {
	var cp []byte
	err := s.m.db.QueryRowContext(ctx, "SELECT checkpoint FROM "+s.m.q(s.m.patchTable)+" WHERE id = ?", id).Scan(&cp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return cp, err
}

func (s store) SaveCheckpoint(ctx context.Context, db patchrt.Execer, id string, data []byte) error {
	_, err := db.Exec(ctx, "UPDATE "+s.m.q(s.m.patchTable)+" SET checkpoint = ? WHERE id = ?", data, id)
	return err
}

func (s store) SaveSteps(ctx context.Context, db patchrt.Execer, id string, steps []StepResult) error {
	b, err := json.Marshal(steps)
	if err != nil {
		return err
	}
	_, err = db.Exec(ctx, "UPDATE "+s.m.q(s.m.patchTable)+" SET steps = ? WHERE id = ?", string(b), id)
	return err
}

// Runs returns every row of the run log, oldest first (none when the log
// does not exist yet).
func (m *Migrator) Runs(ctx context.Context) ([]Run, error) {
	_, ok, err := m.tablesExist(ctx)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := m.db.QueryContext(ctx, `SELECT run_id, kind, status, `+timeCol("started")+`, `+timeCol("finished")+`, patches_run, COALESCE(patches,''), COALESCE(error,''),
  COALESCE(backup_file,''), COALESCE(backup_sha256,''), COALESCE(host,''), COALESCE(pid,0), COALESCE(tool_version,''), COALESCE(note,'')
FROM `+m.q(m.runTable)+` ORDER BY started, run_id`)
	if err != nil {
		return nil, fmt.Errorf("read run log %s: %w", m.runTable, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, finished sql.NullString
		var patches string
		if err := rows.Scan(&r.RunID, &r.Kind, &r.State, &started, &finished, &r.PatchesRun, &patches, &r.Error,
			&r.BackupFile, &r.BackupSHA256, &r.Host, &r.PID, &r.ToolVersion, &r.Note); err != nil {
			return nil, fmt.Errorf("read run log %s: %w", m.runTable, err)
		}
		r.Started, r.Finished = parseTime(started), parseTime(finished)
		if patches != "" {
			_ = json.Unmarshal([]byte(patches), &r.Patches)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddRuns writes runs into the run log (creating the log tables if
// needed), keeping rows that are there already. A rollback uses it to keep
// the audit trail that the restored backup does not have, and to record
// itself (Kind "rollback").
func (m *Migrator) AddRuns(ctx context.Context, runs ...Run) error {
	if err := m.ensureTables(ctx); err != nil {
		return err
	}
	for _, r := range runs {
		var patches any
		if len(r.Patches) > 0 {
			b, _ := json.Marshal(r.Patches)
			patches = string(b)
		}
		if r.RunID == "" {
			r.RunID = newRunID()
		}
		if r.Host == "" {
			r.Host, r.PID, r.ToolVersion = m.host, m.pid, m.toolVersion
		}
		var finished any
		if !r.Finished.IsZero() {
			finished = fmtTime(r.Finished)
		}
		if _, err := m.db.ExecContext(ctx, "INSERT IGNORE INTO "+m.q(m.runTable)+
			" (run_id, kind, status, started, finished, patches_run, patches, error, backup_file, backup_sha256, host, pid, tool_version, note)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, NULLIF(?, ''))",
			r.RunID, r.Kind, r.State, fmtTime(r.Started), finished, r.PatchesRun, patches, r.Error, r.BackupFile, r.BackupSHA256,
			r.Host, r.PID, r.ToolVersion, r.Note); err != nil {
			return fmt.Errorf("run log %s: %w", m.runTable, err)
		}
	}
	return nil
}
