// Package topotest builds real server topologies for tests: MariaDB
// containers from the local image on a private Docker network that the test
// creates — a primary with a GTID replica, a three-node Galera cluster — and
// the means to stop, pause or kill one of them. Everything is labelled like
// the Docker providers' containers (so their sweep removes what a killed
// test binary left) and removed by t.Cleanup. The tests talk only to the
// containers' addresses on that network.
//
// Topology tests start several containers; they run when MIGTEST_REQUIRE
// contains "topology" and skip with the reason otherwise.
package topotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the MySQL driver the DSNs are for
)

// Password is the root password of every container (test only).
const Password = "topotest"

// Require skips t unless MIGTEST_REQUIRE contains "topology"; then it fails
// when Docker or the image is missing.
func Require(t *testing.T) {
	t.Helper()
	if !strings.Contains(os.Getenv("MIGTEST_REQUIRE"), "topology") {
		t.Skip("topology test (several MariaDB containers on a private Docker network): set MIGTEST_REQUIRE=topology to run it")
	}
	if out, err := docker(context.Background(), "image", "inspect", "--format", "{{.Id}}", Image()); err != nil {
		t.Fatalf("topology tests need the image %s (make image): %v: %s", Image(), err, out)
	}
}

// Image is the server image: MIGTEST_IMAGE, else migtest/mariadb:local.
func Image() string {
	if s := os.Getenv("MIGTEST_IMAGE"); s != "" && !strings.Contains(s, "mysql") {
		return s
	}
	return "migtest/mariadb:local"
}

// Network is a private Docker network with a /24 subnet the test chose,
// so that a container keeps its address across a stop and start.
type Network struct {
	Name   string
	prefix string // "10.213.7."
	next   int
	t      *testing.T
}

// labels are the Docker providers' labels (see package server): the
// sweep of a later run removes containers whose owner process is gone.
func labels() []string {
	host, _ := os.Hostname()
	return []string{"--label", "migtest=1", "--label", "migtest.owner=" + strconv.Itoa(os.Getpid()),
		"--label", "migtest.host=" + host, "--label", "migtest.provider=topotest"}
}

// NewNetwork creates a network for t, removed (with its containers) when
// t ends. It sweeps the networks of earlier test processes that are gone.
func NewNetwork(t *testing.T) *Network {
	t.Helper()
	sweepNetworks()
	ctx := context.Background()
	id := randHex(4)
	for range 20 {
		n, _ := rand.Int(rand.Reader, big.NewInt(250))
		prefix := fmt.Sprintf("10.213.%d.", n.Int64()+2)
		name := "migtest-topo-" + id
		args := append([]string{"network", "create", "--subnet", prefix + "0/24"}, labels()...)
		out, err := docker(ctx, append(args, name)...)
		if err != nil {
			if strings.Contains(out, "overlap") {
				continue
			}
			t.Fatalf("docker network create: %v: %s", err, out)
		}
		nw := &Network{Name: name, prefix: prefix, next: 10, t: t}
		t.Cleanup(func() {
			if out, err := docker(context.Background(), "network", "rm", name); err != nil {
				t.Logf("docker network rm %s: %v: %s", name, err, out)
			}
		})
		return nw
	}
	t.Fatal("docker network create: every subnet tried overlaps another network")
	return nil
}

// sweepNetworks removes the networks of earlier topotest processes on this
// host that are gone (their containers are swept the same way by name).
func sweepNetworks() {
	ctx := context.Background()
	host, _ := os.Hostname()
	out, err := docker(ctx, "network", "ls", "--filter", "label=migtest.provider=topotest", "--format", `{{.Name}} {{.Label "migtest.owner"}} {{.Label "migtest.host"}}`)
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != host {
			continue
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil || processAlive(pid) {
			continue
		}
		if ids, err := docker(ctx, "ps", "-aq", "--filter", "network="+f[0]); err == nil && strings.TrimSpace(ids) != "" {
			_, _ = docker(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
		_, _ = docker(ctx, "network", "rm", f[0])
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}

// Node is one server container.
type Node struct {
	Name string // the container's name, also its host name on the network
	IP   string
	id   string
	t    *testing.T
}

// Start starts a server container on the network with mariadbd's args
// (server_id, log_bin, wsrep… as options) and an empty-entrypoint variant
// when raw is true (a Galera joiner: its data comes from the donor).
func (n *Network) Start(name string, raw bool, args ...string) *Node {
	t := n.t
	t.Helper()
	ip := n.prefix + strconv.Itoa(n.next)
	n.next++
	cname := n.Name + "-" + name
	run := append([]string{"run", "-d", "--name", cname, "--hostname", name, "--network", n.Name, "--ip", ip,
		"--tmpfs", "/run/mysqld"}, labels()...)
	if raw {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		script := "mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld /var/lib/mysql && exec mariadbd --user=mysql " + strings.Join(quoted, " ")
		run = append(run, "--entrypoint", "sh", Image(), "-c", script)
	} else {
		run = append(run, "-e", "MARIADB_ROOT_PASSWORD="+Password, "-e", "MARIADB_ROOT_HOST=%", Image())
		run = append(run, args...)
	}
	out, err := docker(context.Background(), run...)
	if err != nil {
		t.Fatalf("docker run %s: %v: %s", cname, err, out)
	}
	node := &Node{Name: name, IP: ip, id: strings.TrimSpace(out), t: t}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := docker(context.Background(), "logs", "--tail", "30", node.id)
			t.Logf("last log lines of %s:\n%s", cname, logs)
		}
		_, _ = docker(context.Background(), "rm", "-f", "-v", node.id)
	})
	return node
}

// DSN is the node's DSN for database db as root, with short timeouts so
// that a stopped node fails a query in seconds rather than hang.
func (nd *Node) DSN(db string) string {
	return fmt.Sprintf("root:%s@tcp(%s:3306)/%s?timeout=3s&readTimeout=10s&writeTimeout=10s&multiStatements=true", Password, nd.IP, db)
}

// Open opens the node's database db (closed when the test ends).
func (nd *Node) Open(db string) *sql.DB {
	nd.t.Helper()
	h, err := sql.Open("mysql", nd.DSN(db))
	if err != nil {
		nd.t.Fatal(err)
	}
	nd.t.Cleanup(func() { _ = h.Close() })
	return h
}

// WaitReady waits until the node answers a query (and, on a Galera node,
// is Synced), up to timeout.
func (nd *Node) WaitReady(timeout time.Duration) {
	nd.t.Helper()
	h, err := sql.Open("mysql", nd.DSN(""))
	if err != nil {
		nd.t.Fatal(err)
	}
	defer h.Close()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		var state sql.NullString
		last = h.QueryRow("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'").Scan(&state)
		if errors.Is(last, sql.ErrNoRows) || (last == nil && (state.String == "Synced" || state.String == "")) {
			return
		}
		if last == nil {
			last = fmt.Errorf("wsrep state %s", state.String)
		}
		if st, _ := docker(context.Background(), "inspect", "-f", "{{.State.Status}}", nd.id); strings.TrimSpace(st) == "exited" {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	logs, _ := docker(context.Background(), "logs", "--tail", "40", nd.id)
	nd.t.Fatalf("%s not ready after %s: %v\n%s", nd.Name, timeout, last, logs)
}

// Exec runs statements on the node as root (no database), failing t on error.
func (nd *Node) Exec(stmts ...string) {
	nd.t.Helper()
	h, err := sql.Open("mysql", nd.DSN(""))
	if err != nil {
		nd.t.Fatal(err)
	}
	defer h.Close()
	for _, q := range stmts {
		if _, err := h.Exec(q); err != nil {
			nd.t.Fatalf("%s: %s: %v", nd.Name, q, err)
		}
	}
}

// Docker runs a docker subcommand on the node's container: "stop", "start",
// "kill", "pause", "unpause".
func (nd *Node) Docker(verb string) {
	nd.t.Helper()
	args := []string{verb}
	if verb == "stop" {
		args = append(args, "-t", "10")
	}
	if out, err := docker(context.Background(), append(args, nd.id)...); err != nil {
		nd.t.Fatalf("docker %s %s: %v: %s", verb, nd.Name, err, out)
	}
}

func docker(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
