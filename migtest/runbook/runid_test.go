package runbook

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestRunLoggerOnce: every line of a run carries run_id exactly once, also
// a line that names run_id itself (the runner's first and last lines), and
// loggers derived with With keep it.
func TestRunLoggerOnce(t *testing.T) {
	var buf bytes.Buffer
	log := RunLogger(slog.New(slog.NewTextHandler(&buf, nil)), "r1")
	log.Info("migration run started", "run_id", "r1", "host", "h")
	log.With("site", "s1").Info("step done", "patch", "p")
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if n := strings.Count(l, "run_id="); n != 1 {
			t.Errorf("run_id %d times: %s", n, l)
		}
	}
	if !strings.Contains(buf.String(), "host=h") || !strings.Contains(buf.String(), "site=s1") {
		t.Errorf("other attributes lost:\n%s", buf.String())
	}
}
