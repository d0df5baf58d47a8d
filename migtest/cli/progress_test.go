package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestProgressLog(t *testing.T) {
	var buf bytes.Buffer
	a := &app{stderr: &buf, log: slog.New(slog.NewTextHandler(&buf, nil))}
	fn := a.progress("rows") // stderr is a buffer, not a terminal: log lines
	if fn == nil {
		t.Fatal("no progress function off a terminal")
	}
	fn("batch tabCustomer", 0, 1000)
	fn("batch tabCustomer", 10, 1000) // within the interval: no line
	fn("batch tabCustomer", 1000, 1000)
	out := buf.String()
	if n := strings.Count(out, "msg=progress"); n != 2 {
		t.Errorf("%d progress lines, want 2 (first and last):\n%s", n, out)
	}
	if !strings.Contains(out, "percent=100.0") || !strings.Contains(out, `task="batch tabCustomer"`) {
		t.Errorf("progress lines:\n%s", out)
	}
	a.quiet = true
	if a.progress("rows") != nil {
		t.Error("-q should turn progress off")
	}
}
