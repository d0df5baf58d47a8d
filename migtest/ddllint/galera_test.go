package ddllint

import (
	"context"
	"strings"
	"testing"
)

// TestGaleraTOIRule: under TOI, an ALTER of a big table that is not
// INSTANT is an error (a warning when its algorithm is unknown); INSTANT
// changes, small tables, RSU and standalone servers give nothing.
func TestGaleraTOIRule(t *testing.T) {
	t.Parallel()
	tables := fakeTables()
	facts := func(r tableRef) *tableFacts {
		if f, ok := tables[r.name]; ok {
			return f
		}
		return &tableFacts{columns: map[string]column{}}
	}
	for _, c := range []struct {
		osu  string
		stmt string
		algo algorithm
		want string
	}{
		{"TOI", "ALTER TABLE big ADD INDEX i (account)", algoNoCopy, "error galera-toi"},
		{"TOI", "ALTER TABLE big ENGINE=InnoDB", algoInplace, "error galera-toi"},
		{"TOI", "ALTER TABLE big MODIFY account varchar(40)", algoCopy, "error galera-toi"},
		{"TOI", "ALTER TABLE big ADD COLUMN x int", algoInstant, ""},
		{"TOI", "ALTER TABLE big ADD COLUMN x int, ALGORITHM=COPY", algoInstant, "error galera-toi"},
		{"TOI", "ALTER TABLE big MODIFY account varchar(40), ALGORITHM=INSTANT", algoCopy, ""}, // refused by the server
		{"TOI", "ALTER TABLE big ADD FOREIGN KEY (a) REFERENCES u (b)", algoUnknown, "warn galera-toi"},
		{"TOI", "ALTER TABLE small ENGINE=InnoDB", algoInplace, ""},
		{"TOI", "DROP TABLE big", algoNone, ""},
		{"RSU", "ALTER TABLE big ENGINE=InnoDB", algoInplace, ""},
		{"", "ALTER TABLE big ENGINE=InnoDB", algoInplace, ""},
	} {
		r := rules{threshold: 100_000, server: "MariaDB 10.11.19", osu: c.osu}
		st := parse(c.stmt)[0]
		fs := r.galeraTOI(st, facts, probeResult{algo: c.algo})
		if got := kinds(fs); got != c.want {
			t.Errorf("%s %s: got %q, want %q", c.osu, c.stmt, got, c.want)
		}
		for _, f := range fs {
			if !strings.Contains(f.Message, "every node") || f.Table != "big" {
				t.Errorf("%s: message %q", c.stmt, f.Message)
			}
		}
	}
}

// TestCheckWithGalera: WithGalera("TOI") makes a standalone server's lint
// judge as the cluster would; the probe decides what is INSTANT.
func TestCheckWithGalera(t *testing.T) {
	t.Parallel()
	name, db := newTestDB(t)
	l := newLinter(t, db, name, WithThreshold(1000), WithGalera("toi"))
	if !l.mariadb {
		t.Skipf("the expected algorithms are MariaDB's; the server is %s", l.Server())
	}
	ctx := context.Background()
	for _, c := range []struct{ stmt, want string }{
		{"ALTER TABLE `tabGL Entry` ADD INDEX posting (posting_date)", "info rebuild, error galera-toi"},
		{"ALTER TABLE `tabGL Entry` ADD COLUMN region varchar(140) DEFAULT NULL", ""},
		{"ALTER TABLE `tabEmpty` FORCE", ""},
	} {
		if got := kinds(l.Check(ctx, c.stmt)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.stmt, got, c.want)
		}
	}
	if plain := newLinter(t, db, name, WithThreshold(1000)); plain.osu != "" {
		t.Errorf("a standalone server detected as Galera (%s)", plain.osu)
	}
}
