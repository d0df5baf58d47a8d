package dump

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// cancelDump is four tables of 60,000 rows each in INSERTs of 400 rows:
// a few seconds of loading, so a cancel lands in the middle of it.
func cancelDump() string {
	var b strings.Builder
	b.WriteString(ldHeader(""))
	for _, tab := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(&b, "CREATE TABLE `%s` (`id` int NOT NULL, `v` varchar(40) NOT NULL, PRIMARY KEY (`id`), KEY `k_v` (`v`)) ENGINE=InnoDB;\n", tab)
		for i := range 150 {
			fmt.Fprintf(&b, "INSERT INTO `%s` VALUES ", tab)
			for j := range 400 {
				if j > 0 {
					b.WriteByte(',')
				}
				id := i*400 + j
				fmt.Fprintf(&b, "(%d,'row %d of %s')", id, id, tab)
			}
			b.WriteString(";\n")
		}
	}
	b.WriteString(ldTrailer)
	return b.String()
}

// TestRestoreCancelled: an operator who stops a restore (Ctrl-C cancels
// the context of `migrate restore`) gets it back promptly with an error
// that says the context was cancelled and that what the restore had
// created was dropped; the table that was in the target before is still
// there with its row, and nothing else is.
func TestRestoreCancelled(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "cancel.sql", []byte(cancelDump()))
	for _, tc := range []struct {
		name string
		opts []RestoreOption
	}{
		{"parallel", nil},
		{"one connection", []RestoreOption{WithParallel(1)}},
		{"INSERTs", []RestoreOption{WithLoadData(false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t)
			if _, err := tg.db.Exec("CREATE TABLE `" + tg.Name + "`.`keep` (id int PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			if _, err := tg.db.Exec("INSERT INTO `" + tg.Name + "`.`keep` VALUES (7)"); err != nil {
				t.Fatal(err)
			}
			err := restoreCancelledMidway(t, tg, path, tc.opts...)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Restore after a cancel: %v, want context.Canceled", err)
			}
			if !strings.Contains(err.Error(), "dropped what it had created") {
				t.Errorf("the error does not say what became of the objects the restore made: %v", err)
			}
			got := queryStrings(t, tg.db, "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", tg.Name)
			if len(got) != 1 || got[0] != "keep" {
				t.Errorf("tables left in the target: %v, want just keep", got)
			}
			if rows := queryStrings(t, tg.db, "SELECT id FROM `"+tg.Name+"`.`keep`"); len(rows) != 1 || rows[0] != "7" {
				t.Errorf("keep holds %v, want its one row 7", rows)
			}
		})
	}
}

// restoreCancelledMidway restores path into tg and cancels the context
// once rows have loaded; it returns Restore's error, failing the test if
// the restore finished first or did not return within a minute of the
// cancel.
func restoreCancelledMidway(t *testing.T, tg target, path string, opts ...RestoreOption) error {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	progress := WithRestoreProgress(func(p Progress) {
		if p.Rows > 0 && ctx.Err() == nil {
			cancelled <- time.Now()
			cancel()
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := Restore(ctx, tg.db, tg.Name, f, append(opts, progress)...)
		done <- err
	}()
	select {
	case err := <-done:
		if ctx.Err() == nil {
			t.Fatalf("the restore ended (%v) before any progress report with rows: the dump is too small to cancel it midway", err)
		}
		return err
	case at := <-cancelled:
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatalf("Restore did not return within a minute of its context being cancelled (at %s)", at.Format(time.TimeOnly))
		}
	}
	return nil
}
