package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/migtest/migtest/migtest/patch"
)

// lagWatch measures the lag of the replicas of a primary. With MariaDB's
// GTIDs it needs no clock agreement and no heartbeat table: it samples the
// primary's @@gtid_binlog_pos at every refresh, and a replica's lag is how
// long ago the primary first had a transaction the replica's
// @@gtid_slave_pos has not reached (a lower bound, to the sampling
// interval). Where GTIDs are not available it falls back on
// Seconds_Behind_Master.
type lagWatch struct {
	primary  *sql.DB
	replicas []Replica
	max      time.Duration
	timeout  time.Duration // for one replica's answer
	every    time.Duration // at most one refresh per this

	mu      sync.Mutex
	checked time.Time
	reason  string
	states  []ReplicaState
	samples []posSample // oldest first
}

type posSample struct {
	at  time.Time
	pos gtidPos
}

// gtidPos is a MariaDB GTID position: the sequence number by domain.
type gtidPos map[uint64]uint64

func newLagWatch(primary *sql.DB, replicas []Replica, maxLag time.Duration) *lagWatch {
	return &lagWatch{primary: primary, replicas: replicas, max: maxLag, timeout: 3 * time.Second, every: 200 * time.Millisecond}
}

// throttle is the patch.Throttle over w.
func (w *lagWatch) throttle() *patch.Throttle {
	return &patch.Throttle{Check: w.check}
}

// check returns why writes should pause ("" to go on), refreshing the
// replicas' states when the last look is older than w.every.
func (w *lagWatch) check(ctx context.Context) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.checked) < w.every {
		return w.reason
	}
	w.refreshLocked(ctx)
	return w.reason
}

func (w *lagWatch) refresh(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.refreshLocked(ctx)
}

func (w *lagWatch) refreshLocked(ctx context.Context) {
	var pos sql.NullString
	if err := w.primary.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err == nil && pos.Valid {
		w.sample(time.Now(), parseGTID(pos.String))
	}
	w.states = w.states[:0]
	w.reason = ""
	var worst time.Duration
	for _, r := range w.replicas {
		st := w.look(ctx, r)
		w.states = append(w.states, st)
		switch {
		case st.Problem != "" && w.reason == "":
			w.reason = st.Problem
		case st.Problem == "" && st.Lag > w.max && st.Lag > worst && (w.reason == "" || worst > 0):
			worst = st.Lag
			w.reason = fmt.Sprintf("replica lag %s on %s (limit %s)", fmtLag(st.Lag), r.Name, fmtLag(w.max))
		}
	}
	w.checked = time.Now()
}

// sample records the primary's position at t, keeping ten minutes of them.
func (w *lagWatch) sample(t time.Time, p gtidPos) {
	if n := len(w.samples); n > 0 && w.samples[n-1].pos.covers(p) {
		return // nothing new on the primary
	}
	w.samples = append(w.samples, posSample{at: t, pos: p})
	for len(w.samples) > 1 && (t.Sub(w.samples[0].at) > 10*time.Minute || len(w.samples) > 10000) {
		w.samples = w.samples[1:]
	}
}

// look reads one replica's state.
func (w *lagWatch) look(ctx context.Context, r Replica) ReplicaState {
	st := ReplicaState{Name: r.Name}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	s, err := replicaStatus(ctx, r.DB)
	switch {
	case err != nil:
		st.Problem = fmt.Sprintf("replica %s does not answer (%s): the run waits for it; bring it back, or stop the run and leave it out of --replica", r.Name, firstLine(err.Error()))
		return st
	case s == nil:
		st.Problem = fmt.Sprintf("replica %s replicates from no one (SHOW SLAVE STATUS is empty): fix --replica or restart its replication", r.Name)
		return st
	case s["Slave_IO_Running"] != "Yes" || s["Slave_SQL_Running"] != "Yes":
		last := strings.TrimSpace(s["Last_SQL_Error"] + " " + s["Last_IO_Error"])
		if last != "" {
			last = "; last error: " + last
		}
		st.Problem = fmt.Sprintf("replica %s: replication is stopped (IO thread %s, SQL thread %s%s): the run waits until it replicates again",
			r.Name, s["Slave_IO_Running"], s["Slave_SQL_Running"], last)
		return st
	}
	sbm, sbmErr := strconv.Atoi(s["Seconds_Behind_Master"])
	var gtid sql.NullString
	if err := r.DB.QueryRowContext(ctx, "SELECT @@gtid_slave_pos").Scan(&gtid); err == nil && gtid.Valid && len(w.samples) > 0 {
		st.GTID = gtid.String
		st.Lag = w.gtidLag(time.Now(), parseGTID(gtid.String))
		if sbmErr == nil && !w.samples[0].pos.coveredBy(parseGTID(gtid.String)) {
			// Behind even the oldest sample: the position says little.
			st.Lag = max(st.Lag, time.Duration(sbm)*time.Second)
		}
		return st
	}
	if sbmErr != nil {
		st.Problem = fmt.Sprintf("replica %s reports no lag (Seconds_Behind_Master is NULL): the run waits until it does", r.Name)
		return st
	}
	st.Lag = time.Duration(sbm) * time.Second
	return st
}

// gtidLag is how long ago the primary first had a transaction past rep.
func (w *lagWatch) gtidLag(now time.Time, rep gtidPos) time.Duration {
	for _, s := range w.samples {
		if !s.pos.coveredBy(rep) {
			return now.Sub(s.at)
		}
	}
	return 0
}

// covers reports whether p is at or past q in every domain of q.
func (p gtidPos) covers(q gtidPos) bool {
	for d, seq := range q {
		if p[d] < seq {
			return false
		}
	}
	return true
}

// coveredBy reports whether rep has reached p in every domain.
func (p gtidPos) coveredBy(rep gtidPos) bool { return rep.covers(p) }

// parseGTID reads a MariaDB GTID list, "0-1-123,1-2-45"; malformed entries
// are skipped.
func parseGTID(s string) gtidPos {
	out := gtidPos{}
	for _, g := range strings.Split(s, ",") {
		parts := strings.Split(strings.TrimSpace(g), "-")
		if len(parts) != 3 {
			continue
		}
		d, err1 := strconv.ParseUint(parts[0], 10, 32)
		seq, err2 := strconv.ParseUint(parts[2], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out[d] = max(out[d], seq)
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
