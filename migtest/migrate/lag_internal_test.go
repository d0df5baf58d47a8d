package migrate

import (
	"strings"
	"testing"
	"time"
)

func TestParseGTID(t *testing.T) {
	t.Parallel()
	got := parseGTID("0-1-123, 1-2-45,garbage,2-3-x")
	if len(got) != 2 || got[0] != 123 || got[1] != 45 {
		t.Errorf("parseGTID: %v", got)
	}
	if !parseGTID("0-1-10,1-1-5").covers(parseGTID("0-2-10")) || parseGTID("0-1-9").covers(parseGTID("0-1-10")) || parseGTID("").covers(parseGTID("1-1-1")) {
		t.Error("covers is wrong")
	}
}

// TestGTIDLag: the lag is how long ago the primary first had a transaction
// the replica has not applied.
func TestGTIDLag(t *testing.T) {
	t.Parallel()
	w := &lagWatch{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, seq := range []string{"0-1-100", "0-1-100", "0-1-150", "0-1-200", "0-1-300"} {
		w.sample(t0.Add(time.Duration(i)*time.Second), parseGTID(seq))
	}
	if len(w.samples) != 4 {
		t.Fatalf("a sample without news is kept: %d samples", len(w.samples))
	}
	now := t0.Add(5 * time.Second)
	for _, c := range []struct {
		replica string
		want    time.Duration
	}{
		{"0-1-300", 0},
		{"0-1-350", 0},
		{"0-1-200", 1 * time.Second}, // the primary had 300 at t0+4s
		{"0-1-120", 3 * time.Second}, // 150 at t0+2s
		{"0-1-50", 5 * time.Second},  // behind the oldest sample
	} {
		if got := w.gtidLag(now, parseGTID(c.replica)); got != c.want {
			t.Errorf("replica at %s: lag %s, want %s", c.replica, got, c.want)
		}
	}
}

func TestRefusal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		topo Topology
		want string
	}{
		{Topology{Server: "db1:3306"}, ""},
		{Topology{Server: "db2:3306", ReplicaOf: "db1:3306", ReadOnly: true}, "db2:3306 is a replica of db1:3306: run up against the primary"},
		{Topology{Server: "db2:3306", ReadOnly: true}, "db2:3306 is read-only (read_only=ON)"},
		{Topology{Server: "g1:3306", Galera: &Galera{ClusterSize: 1, ClusterStatus: "non-Primary", State: "Initialized"}}, "run up on a Synced node of the Primary component"},
		{Topology{Server: "g1:3306", Galera: &Galera{ClusterSize: 3, ClusterStatus: "Primary", State: "Synced"}}, ""},
	} {
		err := c.topo.Refusal()
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.topo, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("refusal is not one line: %q", err)
		}
	}
}
