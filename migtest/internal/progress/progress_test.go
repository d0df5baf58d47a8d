package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	fn := Log(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	fn("restore bytes", 10, 100) // first line
	fn("restore bytes", 50, 100) // within the interval: none
	fn("restore bytes", 100, 100)
	fn("restore bytes", 100, 100) // still building indexes: no second finished line
	fn("restore bytes", 100, 100)
	fn("restore bytes", 5, 100) // a new task of the same name
	out := buf.String()
	if n := strings.Count(out, "msg=progress"); n != 3 {
		t.Errorf("%d lines, want 3 (start, finished once, the new task):\n%s", n, out)
	}
	if n := strings.Count(out, "percent=100.0"); n != 1 {
		t.Errorf("%d finished lines, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "eta=") {
		t.Errorf("no ETA:\n%s", out)
	}
}
