package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/migtest/migtest/migtest/patch"
)

// Replica is a replica the runner watches while it writes: Batch pauses
// while it lags more than the limit (WithMaxReplicaLag) or stops answering.
type Replica struct {
	// Name names it in messages (host:port; never the DSN, which holds a password).
	Name string
	// DB connects to it with a user that may run SHOW SLAVE STATUS
	// (REPLICATION CLIENT, or SLAVE MONITOR on MariaDB 10.5+).
	DB *sql.DB
}

// DefaultMaxReplicaLag is the replica lag above which batches pause: the
// default of pt-online-schema-change's --max-lag (gh-ost uses 1.5 s). One
// second of stale reads is what an application on replicas usually
// tolerates, and the lag is measured from GTID positions, so it does not
// flap between 0 and 1 the way Seconds_Behind_Master does.
const DefaultMaxReplicaLag = time.Second

// Topology is what a server says about replication and clustering, and
// the state of the replicas the runner was given.
type Topology struct {
	Server       string `json:"server"` // @@hostname:@@port
	ReadOnly     bool   `json:"read_only"`
	LogBin       bool   `json:"log_bin"`
	BinlogFormat string `json:"binlog_format"`
	// ReplicaOf is the primary this server replicates from ("" when it
	// does not): SHOW SLAVE STATUS has a row.
	ReplicaOf string `json:"replica_of,omitempty"`
	// ReplicaHosts are the replicas registered with this server (SHOW
	// SLAVE HOSTS): a hint only, as it gives no credentials to watch them.
	ReplicaHosts []string       `json:"replica_hosts,omitempty"`
	Replicas     []ReplicaState `json:"replicas,omitempty"`
	Galera       *Galera        `json:"galera,omitempty"`
	// Notes say what could not be told (the user may not read the
	// replication status).
	Notes []string `json:"notes,omitempty"`
}

// ReplicaState is one watched replica as last seen.
type ReplicaState struct {
	Name string `json:"name"`
	// Problem says why it cannot be trusted to be caught up ("" when
	// replicating): it does not answer, or replication is stopped.
	Problem string `json:"problem,omitempty"`
	// Lag is how far it is behind the primary (0 when caught up).
	Lag time.Duration `json:"lag_ns"`
	// GTID is its @@gtid_slave_pos (MariaDB).
	GTID string `json:"gtid,omitempty"`
}

// Galera is the state of a Galera cluster node.
type Galera struct {
	ClusterSize   int    `json:"cluster_size"`
	ClusterStatus string `json:"cluster_status"` // Primary, or non-Primary when the node lost quorum
	State         string `json:"state"`          // wsrep_local_state_comment: Synced, Donor/Desynced, Joining…
	OSUMethod     string `json:"osu_method"`     // TOI (DDL stalls every node) or RSU
	MaxWsRows     int    `json:"max_ws_rows"`
	MaxWsSize     int64  `json:"max_ws_size"`
}

// InspectTopology reads db's replication and cluster state, and each
// replica's lag.
func InspectTopology(ctx context.Context, db *sql.DB, replicas []Replica) (*Topology, error) {
	t := &Topology{}
	var host string
	var port int
	var logBin, readOnly int
	if err := db.QueryRowContext(ctx, "SELECT @@hostname, @@port, @@log_bin, @@read_only, @@binlog_format").Scan(&host, &port, &logBin, &readOnly, &t.BinlogFormat); err != nil {
		return nil, fmt.Errorf("read the server's replication settings: %w", err)
	}
	t.Server, t.LogBin, t.ReadOnly = fmt.Sprintf("%s:%d", host, port), logBin == 1, readOnly == 1
	st, err := replicaStatus(ctx, db)
	if err != nil {
		t.Notes = append(t.Notes, "cannot tell whether "+t.Server+" is a replica: "+err.Error())
	}
	if st != nil {
		t.ReplicaOf = st["Master_Host"] + ":" + st["Master_Port"]
	}
	t.ReplicaHosts = replicaHosts(ctx, db)
	if t.Galera, err = galeraState(ctx, db); err != nil {
		return nil, err
	}
	if len(replicas) > 0 {
		w := newLagWatch(db, replicas, DefaultMaxReplicaLag)
		w.refresh(ctx)
		t.Replicas = w.states
	}
	return t, nil
}

// Topology inspects the server and the replicas given with WithReplicas.
func (m *Migrator) Topology(ctx context.Context) (*Topology, error) {
	return InspectTopology(ctx, m.db, m.replicas)
}

// topology inspects the server before an up, refuses a server up must not
// write to, and warns of replicas the server reports but nobody watches.
func (m *Migrator) topology(ctx context.Context) (*Topology, error) {
	t, err := InspectTopology(ctx, m.db, nil)
	if err != nil {
		return nil, err
	}
	if err := t.Refusal(); err != nil {
		return nil, err
	}
	if len(t.ReplicaHosts) > 0 && len(m.replicas) == 0 {
		m.log.Warn("the server reports replicas that nobody watches: pass each with --replica DSN so that batches pause while they lag", "replicas", strings.Join(t.ReplicaHosts, ", "))
	}
	for _, n := range t.Notes {
		m.log.Warn(n)
	}
	return t, nil
}

// withThrottle returns ctx with the patch.Throttle of the topology: the
// watched replicas' lag, and Galera's write-set limits.
func (m *Migrator) withThrottle(ctx context.Context, t *Topology) context.Context {
	var th *patch.Throttle
	if len(m.replicas) > 0 {
		th = newLagWatch(m.db, m.replicas, m.maxLag).throttle()
	}
	if t.Galera != nil {
		if th == nil {
			th = &patch.Throttle{Check: func(context.Context) string { return "" }}
		}
		th.MaxTxRows, th.MaxTxBytes = t.Galera.MaxWsRows, t.Galera.MaxWsSize
	}
	if th == nil {
		return ctx
	}
	return patch.ContextWithThrottle(ctx, th)
}

// Refusal returns why up must not write to this server, or nil.
func (t *Topology) Refusal() error {
	switch {
	case t.ReplicaOf != "":
		return fmt.Errorf("%s is a replica of %s: run up against the primary, and watch this server's lag with --replica", t.Server, t.ReplicaOf)
	case t.ReadOnly:
		return fmt.Errorf("%s is read-only (read_only=ON), as a replica or a standby is: run up against the writable primary", t.Server)
	case t.Galera != nil && (t.Galera.ClusterStatus != "Primary" || t.Galera.State != "Synced"):
		return fmt.Errorf("Galera node %s is %s in a %s component of %d nodes: run up on a Synced node of the Primary component",
			t.Server, t.Galera.State, t.Galera.ClusterStatus, t.Galera.ClusterSize)
	}
	return nil
}

// Finding is one line of a topology check.
type Finding struct {
	Name    string
	Problem error // nil when fine
	Detail  string
}

// Findings are the topology's lines for a preflight check.
func (t *Topology) Findings() []Finding {
	bin := "off"
	if t.LogBin {
		bin = t.BinlogFormat
	}
	role := "primary or standalone"
	if t.ReplicaOf != "" {
		role = "replica of " + t.ReplicaOf
	}
	out := []Finding{{Name: "writable primary", Problem: t.Refusal(),
		Detail: fmt.Sprintf("%s: %s, read_only %s, binlog %s", t.Server, role, onOff(t.ReadOnly), bin)}}
	if t.Galera != nil {
		g := t.Galera
		out = append(out, Finding{Name: "galera", Detail: fmt.Sprintf("%d nodes, %s, node %s, wsrep_OSU_method %s (DDL in TOI stalls every node), wsrep_max_ws_rows %d, wsrep_max_ws_size %d",
			g.ClusterSize, g.ClusterStatus, g.State, g.OSUMethod, g.MaxWsRows, g.MaxWsSize)})
	}
	for _, r := range t.Replicas {
		var p error
		if r.Problem != "" {
			p = errors.New(r.Problem)
		}
		out = append(out, Finding{Name: "replica " + r.Name, Problem: p, Detail: fmt.Sprintf("lag %s, gtid %s", fmtLag(r.Lag), r.GTID)})
	}
	for _, n := range t.Notes {
		out = append(out, Finding{Name: "replication status", Detail: n})
	}
	if len(t.ReplicaHosts) > 0 && len(t.Replicas) == 0 {
		out = append(out, Finding{Name: "replicas", Detail: "the server reports replicas " + strings.Join(t.ReplicaHosts, ", ") +
			": pass each with --replica DSN so that batches pause while they lag"})
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

func fmtLag(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// replicaStatus returns the first row of SHOW SLAVE STATUS (SHOW REPLICA
// STATUS on servers without the old name) by column, or nil when the server
// replicates from no one.
func replicaStatus(ctx context.Context, db *sql.DB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		var err2 error
		if rows, err2 = db.QueryContext(ctx, "SHOW REPLICA STATUS"); err2 != nil {
			return nil, fmt.Errorf("SHOW SLAVE STATUS: %w (the user needs REPLICATION CLIENT or SLAVE MONITOR)", err)
		}
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("SHOW SLAVE STATUS: %w", err)
	}
	if !rows.Next() {
		return nil, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("SHOW SLAVE STATUS: %w", err)
	}
	out := make(map[string]string, len(cols))
	for i, c := range cols {
		// MySQL 8.4 says Source/Replica where MariaDB says Master/Slave.
		c = strings.NewReplacer("Source", "Master", "Replica", "Slave").Replace(c)
		out[c] = vals[i].String
	}
	return out, rows.Err()
}

// replicaHosts lists SHOW SLAVE HOSTS as host:port (none when the user may
// not read it).
func replicaHosts(ctx context.Context, db *sql.DB) []string {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE HOSTS")
	if err != nil {
		return nil
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if rows.Scan(dest...) != nil {
			return out
		}
		var host, port string
		for i, c := range cols {
			switch c {
			case "Host":
				host = vals[i].String
			case "Port":
				port = vals[i].String
			}
		}
		out = append(out, host+":"+port)
	}
	if rows.Err() != nil {
		return nil
	}
	return out
}

// galeraState returns the node's Galera state, or nil when wsrep is off.
func galeraState(ctx context.Context, db *sql.DB) (*Galera, error) {
	vars, err := showMap(ctx, db, "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_osu_method', 'wsrep_max_ws_rows', 'wsrep_max_ws_size')")
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(vars["wsrep_on"], "ON") {
		return nil, nil
	}
	st, err := showMap(ctx, db, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state_comment')")
	if err != nil {
		return nil, err
	}
	g := &Galera{ClusterStatus: st["wsrep_cluster_status"], State: st["wsrep_local_state_comment"], OSUMethod: vars["wsrep_osu_method"]}
	g.ClusterSize, _ = strconv.Atoi(st["wsrep_cluster_size"])
	g.MaxWsRows, _ = strconv.Atoi(vars["wsrep_max_ws_rows"])
	g.MaxWsSize, _ = strconv.ParseInt(vars["wsrep_max_ws_size"], 10, 64)
	return g, nil
}

// showMap runs a SHOW ... VARIABLES/STATUS and returns it by lower-case name.
func showMap(ctx context.Context, db *sql.DB, q string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		out[strings.ToLower(k)] = v
	}
	return out, rows.Err()
}
