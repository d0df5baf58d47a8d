package dump

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
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
	case err = <-done:
	case at := <-cancelled:
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			t.Fatalf("Restore did not return within a minute of its context being cancelled (at %s)", at.Format(time.TimeOnly))
		}
	}
	if err == nil {
		t.Fatal("the restore finished before the cancel took effect: the dump is too small to cancel it midway")
	}
	return err
}

// TestBackupCancelled: a backup stopped midway returns context.Canceled,
// and the backup that was at its path before is still there, whole, with
// its manifest; the stopped one leaves no file behind.
func TestBackupCancelled(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	// Two million rows made by the server: a few seconds of backup.
	if _, err := src.db.Exec("CREATE TABLE `" + src.Name + "`.`big` (id int PRIMARY KEY, v varchar(40) NOT NULL) SELECT seq AS id, CONCAT('row ', seq) AS v FROM seq_1_to_2000000"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "site.sql.gz")
	if _, err := Backup(context.Background(), src.db, src.Name, path); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Backup(ctx, src.db, src.Name, path, WithBackupProgress(func(p Progress) {
		if p.Rows > 0 {
			cancel()
		}
	}))
	if err == nil {
		t.Fatal("the backup finished before the cancel took effect: the database is too small to cancel it midway")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Backup after a cancel: %v, want context.Canceled", err)
	}
	if after := dirFiles(t, dir); !maps.Equal(before, after) {
		t.Errorf("files after the cancelled backup: %v, want those of the earlier one: %v", after, before)
	}
	if _, err := Verify(context.Background(), path); err != nil {
		t.Errorf("the earlier backup no longer verifies: %v", err)
	}
}

// dirFiles maps the names of dir's files (not its subdirectories) to
// their SHA-256.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return m
}
