package topotest

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// common are mariadbd options of every node: fast, not durable (a test).
var common = []string{"--innodb-flush-log-at-trx-commit=2", "--sync-binlog=0", "--innodb-buffer-pool-size=128M",
	"--skip-name-resolve", "--log-bin=mariadb-bin", "--binlog-format=ROW"}

// Replication starts a primary and a replica of it (GTID replication,
// read_only, reporting its address to the primary), each with an empty
// database db. It returns when the replica replicates.
func Replication(t *testing.T, db string) (primary, replica *Node) {
	t.Helper()
	nw := NewNetwork(t)
	primary = nw.Start("primary", false, append([]string{"--server-id=1"}, common...)...)
	replica = nw.Start("replica", false, append([]string{"--server-id=2", "--read-only=1", "--log-slave-updates", "--report-host=replica"}, common...)...)
	var wg sync.WaitGroup
	for _, n := range []*Node{primary, replica} {
		wg.Add(1)
		go func() { defer wg.Done(); n.WaitReady(2 * time.Minute) }()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Both start from the same empty state: the replica begins at the
	// primary's position of now, and the database is made on the primary
	// so that it reaches the replica through the binary log.
	var pos string
	h := primary.Open("")
	if err := h.QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		t.Fatal(err)
	}
	replica.Exec("STOP SLAVE", "SET GLOBAL gtid_slave_pos = '"+pos+"'",
		"CHANGE MASTER TO MASTER_HOST='"+primary.IP+"', MASTER_PORT=3306, MASTER_USER='root', MASTER_PASSWORD='"+Password+"', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
		"START SLAVE")
	primary.Exec("CREATE DATABASE `" + db + "`")
	WaitCaughtUp(t, primary, replica, time.Minute)
	return primary, replica
}

// WaitCaughtUp waits until the replica has applied everything the primary
// has written (MASTER_GTID_WAIT), up to timeout.
func WaitCaughtUp(t *testing.T, primary, replica *Node, timeout time.Duration) {
	t.Helper()
	var pos string
	if err := primary.Open("").QueryRow("SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		t.Fatal(err)
	}
	var got int
	if err := replica.Open("").QueryRow("SELECT MASTER_GTID_WAIT(?, ?)", pos, timeout.Seconds()).Scan(&got); err != nil || got != 0 {
		t.Fatalf("the replica did not reach the primary's position %s within %s: %d, %v", pos, timeout, got, err)
	}
}

// Galera starts a three-node Galera cluster (galera-4 from the image,
// rsync state transfer) and returns its nodes once all are Synced.
func Galera(t *testing.T) []*Node {
	t.Helper()
	nw := NewNetwork(t)
	addrs := nw.prefix + "10," + nw.prefix + "11," + nw.prefix + "12"
	wsrep := func(name, ip string) []string {
		return append([]string{"--wsrep-on=ON", "--wsrep-provider=/usr/lib/galera/libgalera_smm.so",
			"--wsrep-cluster-name=migtest", "--wsrep-node-name=" + name, "--wsrep-node-address=" + ip,
			"--wsrep-sst-method=rsync", "--innodb-autoinc-lock-mode=2", "--bind-address=0.0.0.0",
			"--wsrep-provider-options=gcache.size=64M;evs.inactive_timeout=PT6S;evs.suspect_timeout=PT3S"}, common...)
	}
	// The first node bootstraps the cluster (empty gcomm://); the others
	// join it and take its data by state transfer.
	first := nw.Start("galera1", false, append(wsrep("galera1", nw.prefix+"10"), "--wsrep-cluster-address=gcomm://")...)
	first.WaitReady(2 * time.Minute)
	nodes := []*Node{first}
	for _, name := range []string{"galera2", "galera3"} {
		ip := nw.prefix + strconv.Itoa(nw.next)
		n := nw.Start(name, true, append(wsrep(name, ip), "--wsrep-cluster-address=gcomm://"+addrs)...)
		n.WaitReady(3 * time.Minute)
		nodes = append(nodes, n)
	}
	var size string
	if err := first.Open("").QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'").Scan(&size); err != nil || size != "3" {
		t.Fatalf("cluster size %q, want 3: %v", size, err)
	}
	return nodes
}

// CreateDatabase creates database name on the first node and waits until
// every other node has it (a Galera node applies others' writes a moment
// after they commit).
func CreateDatabase(t *testing.T, nodes []*Node, name string) {
	t.Helper()
	nodes[0].Exec("CREATE DATABASE `" + name + "`")
	for _, n := range nodes[1:] {
		h := n.Open("")
		deadline := time.Now().Add(30 * time.Second)
		for {
			var c int
			if err := h.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&c); err != nil {
				t.Fatal(err)
			}
			if c == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("database %s did not reach %s within 30s", name, n.Name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
