package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/go-sql-driver/mysql"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	mtconfig "github.com/migtest/migtest/migtest/config"
)

// Containers of the docker and dockertest providers carry these labels, so
// that a later start can find and remove the ones whose owner process died
// (see sweepContainers).
const (
	labelMigtest  = "migtest"         // "1" on every container we start
	labelOwner    = "migtest.owner"   // pid of the process that started it
	labelOwnerAt  = "migtest.ownerat" // that process's start time (Linux), against pid reuse
	labelHost     = "migtest.host"    // hostname of that process: pids mean nothing elsewhere
	labelProvider = "migtest.provider"
)

// containerPort is the server port inside the container.
const containerPort = "3306/tcp"

// containerDatadir is the image's datadir, mounted as tmpfs.
const containerDatadir = "/var/lib/mysql"

// pullTimeout bounds an image pull.
const pullTimeout = 10 * time.Minute

// imageHint is what to do when the image is missing and cannot be pulled.
const imageHint = "build the local image with .ci/mariadb-image/build.sh and set MIGTEST_IMAGE=migtest/mariadb:local, or pull it where a registry answers"

// engineHint is what to do when no Docker engine answers (testcontainers-go
// issues #2952 and #2264 for Colima, podman and rootless Docker).
const engineHint = "start Docker, or set DOCKER_HOST to the engine's socket (Colima: unix://$HOME/.colima/default/docker.sock; podman: unix://$XDG_RUNTIME_DIR/podman/podman.sock; rootless: unix://$XDG_RUNTIME_DIR/docker.sock)"

// reaperHint is what to do when testcontainers' reaper (Ryuk) cannot start.
const reaperHint = "set TESTCONTAINERS_RYUK_DISABLED=true (no registry to pull testcontainers/ryuk from, or a rootless/Colima/podman engine, testcontainers-go #2952 #2264; migtest removes its own orphaned containers), or TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE=/var/run/docker.sock when the engine's socket path differs inside its VM"

// containerSettings are the disposable-server settings passed to mariadbd in
// a container: the local ones, which all apply (the socket, port, datadir
// and user are the image's).
func containerSettings() []string {
	return append([]string(nil), localSettings...)
}

// containerLabels are the labels of a container started by this process.
func containerLabels(provider string) map[string]string {
	host, _ := os.Hostname()
	l := map[string]string{
		labelMigtest:  "1",
		labelOwner:    strconv.Itoa(ownerPID),
		labelHost:     host,
		labelProvider: provider,
	}
	if at := procStart(ownerPID); at != "" {
		l[labelOwnerAt] = at
	}
	return l
}

// procStart returns the start time of a process in clock ticks since boot
// (field 22 of /proc/PID/stat), or "" where that is not available.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// The command name (field 2) may contain spaces and parentheses: the
	// fields after it start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// orphaned reports whether a container's labels name an owner process on
// this host that is gone.
func orphaned(labels map[string]string) bool {
	if labels[labelMigtest] != "1" {
		return false
	}
	if host, _ := os.Hostname(); labels[labelHost] != host {
		return false // another machine's container: its owner cannot be checked here
	}
	pid, err := strconv.Atoi(labels[labelOwner])
	if err != nil || pid <= 0 {
		return false
	}
	if !alive(pid) {
		return true
	}
	at := labels[labelOwnerAt]
	return at != "" && procStart(pid) != "" && procStart(pid) != at
}

// sweepContainers removes the containers of earlier runs whose owner
// process died without closing them. It is migtest's own cleanup: where
// testcontainers' reaper (Ryuk) runs it does the same, but Ryuk's image
// cannot be pulled without a registry, so CI runs with
// TESTCONTAINERS_RYUK_DISABLED=true and relies on this sweep, and dockertest
// has no reaper at all. Containers of live owners and of other hosts are
// left alone.
func sweepContainers(ctx context.Context, logger *slog.Logger, list func(context.Context) (map[string]map[string]string, error), remove func(context.Context, string) error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	all, err := list(ctx)
	if err != nil {
		logger.Debug("list containers to sweep", "err", err)
		return
	}
	for id, labels := range all {
		if !orphaned(labels) {
			continue
		}
		if err := remove(ctx, id); err != nil {
			logger.Warn("remove a stale migtest container", "id", shortID(id), "err", err)
			continue
		}
		logger.Info("removed a stale migtest container", "id", shortID(id), "owner", labels[labelOwner])
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// randomPassword returns a fresh root password for one server.
func randomPassword() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// oneLine flattens a (possibly joined) error message onto one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

// engineError turns an error from the Docker client into one line that says
// what to set.
func engineError(provider string, err error) error {
	msg := oneLine(err.Error())
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "reaper") || strings.Contains(low, "ryuk"):
		return fmt.Errorf("%s provider: testcontainers' reaper did not start: %s: %s", provider, msg, reaperHint)
	case strings.Contains(low, "is the docker daemon running"),
		strings.Contains(low, "cannot connect to the docker daemon"),
		strings.Contains(low, "connect: no such file or directory"),
		strings.Contains(low, "connect: connection refused"),
		strings.Contains(low, "connect: permission denied"),
		strings.Contains(low, "socket not found"),
		strings.Contains(low, "rootless docker not found"),
		strings.Contains(low, "docker host"),
		strings.Contains(low, "docker info"):
		return fmt.Errorf("%s provider: no Docker engine answers: %s: %s", provider, msg, engineHint)
	}
	return fmt.Errorf("%s provider: %s", provider, msg)
}

// checkDockerHost pings the engine named by DOCKER_HOST, when it is set.
// testcontainers-go falls back to other sockets when DOCKER_HOST does not
// answer; an engine the user named explicitly must be the one used, or the
// error must say that it does not answer.
func checkDockerHost(ctx context.Context, provider string) error {
	host := mtconfig.Get(mtconfig.EnvDockerHost)
	if host == "" {
		return nil
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return fmt.Errorf("%s provider: DOCKER_HOST=%s: %s: %s", provider, host, oneLine(err.Error()), engineHint)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("%s provider: the engine at DOCKER_HOST=%s does not answer (deadline 10s): %s: %s", provider, host, oneLine(err.Error()), engineHint)
	}
	return nil
}

// dockerPing reports whether a Docker engine answers, the way the docker
// provider would find it. It never panics.
func dockerPing(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("docker: %v", r)
		}
	}()
	if err := checkDockerHost(ctx, ProviderDocker); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return engineError(ProviderDocker, err)
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return engineError(ProviderDocker, err)
	}
	return nil
}

// tcLogger sends testcontainers' log lines to the server's logger at debug level.
type tcLogger struct{ l *slog.Logger }

func (t tcLogger) Printf(format string, v ...any) {
	t.l.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "testcontainers")
}

// startDocker starts the image in a container through testcontainers-go: a
// generic container (not the mariadb module, whose wait strategy looks for
// the official image's log line), with the datadir on tmpfs, the disposable
// settings as server arguments, a random root password, and readiness by a
// MySQL handshake and a SQL ping within the start timeout. Any panic inside
// testcontainers-go becomes an error.
func startDocker(ctx context.Context, c *config) (srv Server, err error) {
	var ctr testcontainers.Container
	defer func() {
		if r := recover(); r != nil {
			if ctr != nil {
				_ = testcontainers.TerminateContainer(ctr)
			}
			srv, err = nil, engineError(ProviderDocker, fmt.Errorf("testcontainers-go panicked: %v", r))
		}
	}()
	if err := checkDockerHost(ctx, ProviderDocker); err != nil {
		return nil, err
	}
	ectx, ecancel := context.WithTimeout(ctx, 30*time.Second)
	cli, err := testcontainers.NewDockerClientWithOpts(ectx)
	ecancel()
	if err != nil {
		return nil, engineError(ProviderDocker, err)
	}
	defer cli.Close()

	sweepContainers(ctx, c.logger,
		func(ctx context.Context) (map[string]map[string]string, error) {
			res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", labelMigtest+"=1")})
			if err != nil {
				return nil, err
			}
			m := map[string]map[string]string{}
			for _, s := range res.Items {
				m[s.ID] = s.Labels
			}
			return m, nil
		},
		func(ctx context.Context, id string) error {
			_, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			return err
		})

	if err := ensureImageTC(ctx, cli, c.image); err != nil {
		return nil, err
	}

	password := randomPassword()
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image:        c.image,
			Env:          map[string]string{"MARIADB_ROOT_PASSWORD": password},
			Cmd:          containerSettings(),
			ExposedPorts: []string{containerPort},
			Tmpfs:        map[string]string{containerDatadir: "rw"},
			Labels:       containerLabels(ProviderDocker),
		},
		Started: true,
		Logger:  tcLogger{c.logger},
	}
	started := time.Now()
	sctx, scancel := context.WithTimeout(ctx, c.startTimeout)
	defer scancel()
	ctr, err = testcontainers.GenericContainer(sctx, req)
	if err != nil {
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr)
		}
		if sctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("docker provider: the container of %s did not start within %s: %s", c.image, c.startTimeout, oneLine(err.Error()))
		}
		return nil, engineError(ProviderDocker, err)
	}
	fail := func(err error) (Server, error) {
		_ = testcontainers.TerminateContainer(ctr)
		return nil, err
	}
	addr, err := ctr.PortEndpoint(sctx, containerPort, "")
	if err != nil {
		return fail(engineError(ProviderDocker, fmt.Errorf("mapped port of %s: %w", containerPort, err)))
	}
	// testcontainers-go guesses the host of published ports; inside a
	// container whose engine runs beside it (Docker in Docker, some CI
	// sandboxes) it picks the default gateway, which may not forward them.
	// Unless TESTCONTAINERS_HOST_OVERRIDE says where they are, the loopback
	// is tried too, and the first address that greets like MySQL is used.
	addrs := []string{addr}
	if !mtconfig.IsSet(mtconfig.EnvTestcontainersHost) {
		if h, port, err := net.SplitHostPort(addr); err == nil && h != "localhost" && !net.ParseIP(h).IsLoopback() {
			addrs = append(addrs, net.JoinHostPort("127.0.0.1", port))
		}
	}
	running := func(ctx context.Context) (bool, string) {
		st, err := ctr.State(ctx)
		if err != nil || st.Running {
			return true, ""
		}
		return false, containerLogTail(ctx, func(ctx context.Context) (io.ReadCloser, error) { return ctr.Logs(ctx) })
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net = "root", password, "tcp"
	id := ctr.GetContainerID()
	stop := func() error {
		tctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := ctr.Terminate(tctx, testcontainers.StopTimeout(5*time.Second)); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("docker provider: remove container %s: %w", shortID(id), err)
		}
		return nil
	}
	b, err := waitContainer(ctx, ProviderDocker, c, cfg, addrs, started, running, stop)
	if err != nil {
		return fail(err)
	}
	c.logger.Info("docker MariaDB started", "image", c.image, "container", shortID(id), "addr", b.cfg.Addr, "version", b.version)
	return b, nil
}

// ensureImageTC makes sure the image is on the engine, pulling it if it is
// not, with a deadline.
func ensureImageTC(ctx context.Context, cli *testcontainers.DockerClient, image string) error {
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := cli.ImageInspect(ictx, image)
	if err == nil {
		return nil
	}
	if !errdefs.IsNotFound(err) {
		return engineError(ProviderDocker, fmt.Errorf("inspect image %s: %w", image, err))
	}
	pctx, pcancel := context.WithTimeout(ctx, pullTimeout)
	defer pcancel()
	resp, err := cli.ImagePull(pctx, image, client.ImagePullOptions{})
	if err == nil {
		err = resp.Wait(pctx)
		resp.Close()
	}
	if err != nil {
		return fmt.Errorf("docker provider: image %s is not on the engine and cannot be pulled (deadline %s): %s: %s", image, pullTimeout, oneLine(err.Error()), imageHint)
	}
	return nil
}

// waitContainer waits until the server in a container answers a MySQL
// handshake at one of addrs and then a SQL ping, within c.startTimeout
// counted from started, failing early with the server's log when the
// container stops. cfg gets the address that answered.
func waitContainer(ctx context.Context, provider string, c *config, cfg *mysql.Config, addrs []string, started time.Time, running func(context.Context) (bool, string), stop func() error) (*base, error) {
	deadline := started.Add(c.startTimeout)
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	lastCheck := time.Now()
	for delay := 20 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		a, err := firstHandshake(wctx, addrs)
		if err == nil {
			cfg.Addr = a
			break
		}
		if time.Since(lastCheck) > 500*time.Millisecond {
			lastCheck = time.Now()
			if ok, logs := running(wctx); !ok {
				return nil, fmt.Errorf("%s provider: the container of %s stopped during start: %s", provider, c.image, logs)
			}
		}
		select {
		case <-wctx.Done():
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s provider: the server in %s at %s did not answer within %s: %w", provider, c.image, strings.Join(addrs, " or "), c.startTimeout, err)
		case <-time.After(delay):
		}
	}
	b, err := newBase(ctx, provider, cfg, max(time.Until(deadline), time.Second), stop)
	if err != nil {
		return nil, fmt.Errorf("%s provider: %w", provider, err)
	}
	return b, nil
}

// firstHandshake tries the addresses at once and returns the first that
// greets, or the first address's error.
func firstHandshake(ctx context.Context, addrs []string) (string, error) {
	if len(addrs) == 1 {
		return addrs[0], handshake(ctx, addrs[0])
	}
	type res struct {
		i   int
		err error
	}
	ch := make(chan res, len(addrs))
	for i, a := range addrs {
		go func() { ch <- res{i, handshake(ctx, a)} }()
	}
	errs := make([]error, len(addrs))
	for range addrs {
		r := <-ch
		if r.err == nil {
			return addrs[r.i], nil
		}
		errs[r.i] = r.err
	}
	return "", errs[0]
}

// handshake connects to addr and reads the first packet a MySQL server sends
// (its greeting, or an error packet). A port that accepts and closes, as
// Docker's proxy does before the server listens, is not ready.
func handshake(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	var hdr [5]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("connection to %s closed before the server greeted", addr)
		}
		return err
	}
	return nil
}

// containerLogTail returns the last error lines of a container's log, on one line.
func containerLogTail(ctx context.Context, logs func(context.Context) (io.ReadCloser, error)) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rc, err := logs(ctx)
	if err != nil {
		return "(no container log: " + oneLine(err.Error()) + ")"
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	return logTail(string(b))
}

// logTail keeps the [ERROR] lines of a server log (the last three), or its
// last line, on one line.
func logTail(s string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.Contains(l, "[ERROR]") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		if strings.TrimSpace(s) == "" {
			return "(empty server log)"
		}
		return lastLine(s)
	}
	if len(keep) > 3 {
		keep = keep[len(keep)-3:]
	}
	return strings.Join(keep, " | ")
}
