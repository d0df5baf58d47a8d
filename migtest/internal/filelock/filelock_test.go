package filelock

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(context.Background(), p, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files: a second open in this process waits too.
	if _, err := Lock(context.Background(), p, 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "still held after 100ms") {
		t.Fatalf("second lock while held: err = %v", err)
	}
	unlock()
	unlock2, err := Lock(context.Background(), p, time.Second)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
	ctx, cancel := context.WithCancel(context.Background())
	unlock3, _ := Lock(context.Background(), p, time.Second)
	defer unlock3()
	cancel()
	if _, err := Lock(ctx, p, time.Minute); err == nil {
		t.Error("a canceled context should end the wait")
	}
}
