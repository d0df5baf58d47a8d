package server

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/moby/moby/client"
	"github.com/ory/dockertest/v3"
	"github.com/testcontainers/testcontainers-go"

	mtconfig "github.com/migtest/migtest/migtest/config"
)

// childEnv makes the test binary act as a child process that starts a
// server, prints a line, and waits to be killed (see TestMain).
const childEnv = "MIGTEST_SERVER_TEST_CHILD"

func TestMain(m *testing.M) {
	if p := os.Getenv(childEnv); p != "" {
		os.Exit(runChild(p))
	}
	os.Exit(m.Run())
}

// runChild starts a server with provider p and reports it on stdout as
// "ready <dir-or-addr>"; it never closes it: the parent kills this process.
func runChild(p string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := Start(ctx, WithProvider(p))
	if err != nil {
		fmt.Println("error", oneLine(err.Error()))
		return 1
	}
	where := srv.DSN("")
	if l, ok := srv.(*local); ok {
		where = l.dir
	}
	fmt.Println("ready", where)
	select {}
}

// required reports whether provider p must run here (MIGTEST_REQUIRE is a
// comma-separated list of providers; CI sets local,docker,dockertest).
func required(p string) bool {
	for _, r := range mtconfig.RequiredProviders() {
		if r == p || r == "all" {
			return true
		}
	}
	return false
}

// unavailable skips the test, or fails it when provider p is required.
func unavailable(t testing.TB, p string, why string) {
	t.Helper()
	if required(p) {
		t.Fatalf("provider %s is required here (MIGTEST_REQUIRE=%s) but cannot run: %s", p, mtconfig.Get(mtconfig.EnvRequire), why)
	}
	t.Skipf("provider %s cannot run here: %s (set MIGTEST_REQUIRE=%s to make this a failure)", p, why, p)
}

// needProvider skips (or fails) unless provider p can run here: the local
// binaries exist, or a Docker engine answers and has the image.
func needProvider(t testing.TB, p string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch p {
	case ProviderLocal, ProviderDSN:
		if _, err := findLocalBinaries(); err != nil {
			unavailable(t, p, err.Error())
		}
	case ProviderDocker, ProviderDockertest:
		if err := dockerPing(ctx); err != nil {
			unavailable(t, p, err.Error())
		}
		img := newConfig(nil).image
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			unavailable(t, p, err.Error())
		}
		defer cli.Close()
		if _, err := cli.ImageInspect(ctx, img); err != nil {
			unavailable(t, p, fmt.Sprintf("image %s is not on the engine (%v): build it with .ci/mariadb-image/build.sh and set MIGTEST_IMAGE=migtest/mariadb:local", img, oneLine(err.Error())))
		}
	}
}

// ourContainers lists the containers of this process started by provider p.
func ourContainers(t testing.TB, p string, owner int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatalf("docker client: %v", err)
	}
	defer cli.Close()
	f := client.Filters{}.Add("label", labelMigtest+"=1", labelOwner+"="+strconv.Itoa(owner), labelProvider+"="+p)
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	var ids []string
	for _, c := range res.Items {
		ids = append(ids, shortID(c.ID))
	}
	return ids
}

// processesWith returns the pids whose command line mentions s.
func processesWith(s string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(b), s) {
			continue
		}
		// a zombie has an empty cmdline, so it is not counted
		pid, _ := strconv.Atoi(filepath.Base(d))
		pids = append(pids, pid)
	}
	return pids
}

func startLocalT(t testing.TB, opts ...Option) Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := Start(ctx, append([]Option{WithProvider(ProviderLocal)}, opts...)...)
	if err != nil {
		t.Fatalf("start local server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func queryInt(t testing.TB, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestProviders starts a server with each provider, uses two databases on
// it, closes it, and checks that nothing is left behind.
func TestProviders(t *testing.T) {
	for _, p := range []string{ProviderLocal, ProviderDocker, ProviderDockertest, ProviderDSN} {
		t.Run(p, func(t *testing.T) {
			t.Parallel()
			needProvider(t, p)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			opts := []Option{WithProvider(p)}
			var under Server // the server behind the dsn provider
			if p == ProviderDSN {
				under = startLocalT(t)
				opts = append(opts, WithDSN(under.DSN("")))
			}
			srv, err := Start(ctx, opts...)
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			closed := false
			t.Cleanup(func() {
				if !closed {
					_ = srv.Close()
				}
			})
			if srv.Provider() != p {
				t.Errorf("Provider() = %q, want %q", srv.Provider(), p)
			}
			if !strings.Contains(srv.Version(), "MariaDB") {
				t.Errorf("Version() = %q, want a MariaDB version", srv.Version())
			}
			if p != ProviderDocker && p != ProviderDockertest {
				// nothing to check on disk for containers
			} else if ids := ourContainers(t, p, ownerPID); len(ids) != 1 {
				t.Errorf("containers of this process while the server runs: %v, want exactly one", ids)
			}

			d1, err := srv.NewDatabase(ctx)
			if err != nil {
				t.Fatalf("first database: %v", err)
			}
			d2, err := srv.NewDatabase(ctx)
			if err != nil {
				t.Fatalf("second database: %v", err)
			}
			if d1.Name == d2.Name {
				t.Fatalf("two databases with the same name %q", d1.Name)
			}
			db1, err := d1.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer db1.Close()
			db2, err := d2.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			for _, q := range []string{
				"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))",
				"INSERT INTO t VALUES (1, 'one'), (2, 'two')",
			} {
				if _, err := db1.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if n := queryInt(t, db1, "SELECT COUNT(*) FROM t"); n != 2 {
				t.Errorf("rows in %s.t = %d, want 2", d1.Name, n)
			}
			if n := queryInt(t, db2, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"); n != 0 {
				t.Errorf("tables in the second database %s = %d, want 0", d2.Name, n)
			}
			var me *mysql.MySQLError
			if _, err := db2.ExecContext(ctx, "SELECT * FROM t"); !errors.As(err, &me) || me.Number != 1146 {
				t.Errorf("SELECT from t in the second database: err = %v, want error 1146 (no such table)", err)
			}
			if p != ProviderDSN {
				// The disposable settings reached the server.
				if n := queryInt(t, db1, "SELECT @@log_bin"); n != 0 {
					t.Errorf("@@log_bin = %d, want 0", n)
				}
				if n := queryInt(t, db1, "SELECT @@innodb_doublewrite"); n != 0 {
					t.Errorf("@@innodb_doublewrite = %d, want 0", n)
				}
				if n := queryInt(t, db1, "SELECT @@max_allowed_packet"); n != 1<<30 {
					t.Errorf("@@max_allowed_packet = %d, want 1G", n)
				}
			}

			admin, err := sql.Open("mysql", srv.DSN(""))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			exists := func(name string) bool {
				return queryInt(t, admin, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name) == 1
			}
			if err := d1.Drop(ctx); err != nil {
				t.Fatalf("drop %s: %v", d1.Name, err)
			}
			if exists(d1.Name) {
				t.Errorf("database %s still exists after Drop", d1.Name)
			}
			if err := d1.Drop(ctx); err != nil {
				t.Errorf("second Drop of %s: %v", d1.Name, err)
			}
			if !exists(d2.Name) {
				t.Errorf("database %s is gone before Close", d2.Name)
			}
			db1.Close()
			db2.Close()
			admin.Close()

			if err := srv.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			closed = true
			if err := srv.Close(); err != nil {
				t.Errorf("second close: %v", err)
			}
			if _, err := srv.NewDatabase(ctx); err == nil {
				t.Errorf("NewDatabase after Close succeeded")
			}

			switch p {
			case ProviderLocal:
				dir := srv.(*local).dir
				if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("server dir %s still exists after Close (stat: %v)", dir, err)
				}
				if pids := processesWith(dir); len(pids) > 0 {
					t.Errorf("processes still running on %s after Close: %v", dir, pids)
				}
			case ProviderDocker, ProviderDockertest:
				if ids := ourContainers(t, p, ownerPID); len(ids) > 0 {
					t.Errorf("containers left after Close: %v", ids)
				}
			case ProviderDSN:
				// Close dropped the database the test did not drop; the
				// server itself still runs.
				udb, err := sql.Open("mysql", under.DSN(""))
				if err != nil {
					t.Fatal(err)
				}
				defer udb.Close()
				if n := queryInt(t, udb, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (?, ?)", d1.Name, d2.Name); n != 0 {
					t.Errorf("%d of the dsn provider's databases left on the server after Close", n)
				}
			}
		})
	}
}

// oneLineErr checks that err is set and is a single line that mentions
// every one of want.
func oneLineErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", want)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
}

// TestStartErrors: a provider that is asked for and cannot work fails with
// one line that says what is wrong, within its deadline.
func TestStartErrors(t *testing.T) {
	t.Run("unknown provider", func(t *testing.T) {
		_, err := Start(context.Background(), WithProvider("podman"))
		oneLineErr(t, err, `unknown provider "podman"`, "local, docker, dockertest or dsn")
	})

	t.Run("local without binaries", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if b, err := findLocalBinaries(); err == nil {
			t.Skipf("the server binaries are found outside PATH (%s, %s), so an empty PATH cannot hide them", b.server, b.install)
		}
		_, err := Start(context.Background(), WithProvider(ProviderLocal))
		oneLineErr(t, err, "mariadbd", "apt-get install mariadb-server")
	})

	for _, p := range []string{ProviderDocker, ProviderDockertest} {
		t.Run(p+" with DOCKER_HOST that does not answer", func(t *testing.T) {
			t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := Start(ctx, WithProvider(p), WithStartTimeout(10*time.Second))
			oneLineErr(t, err, p+" provider", "DOCKER_HOST=unix:///nonexistent/docker.sock", "does not answer")
		})
	}

	t.Run("docker image missing", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dockerPing(ctx); err != nil {
			unavailable(t, ProviderDocker, err.Error())
		}
		for _, p := range []string{ProviderDocker, ProviderDockertest} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			_, err := Start(ctx, WithProvider(p), WithImage("migtest/no-such-image:none"))
			cancel()
			oneLineErr(t, err, p+" provider", "migtest/no-such-image:none", "MIGTEST_IMAGE", ".ci/mariadb-image/build.sh")
		}
	})

	t.Run("bad DSN", func(t *testing.T) {
		_, err := Start(context.Background(), WithProvider(ProviderDSN), WithDSN("root@nowhere:3306"))
		oneLineErr(t, err, "dsn provider", "MIGTEST_DSN")
	})

	t.Run("wrong password", func(t *testing.T) {
		needProvider(t, ProviderLocal)
		srv := startLocalT(t)
		cfg, err := mysql.ParseDSN(srv.DSN(""))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Passwd = "wrong"
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = Start(ctx, WithProvider(ProviderDSN), WithDSN(cfg.FormatDSN()))
		oneLineErr(t, err, "refused the login", "password")
		if err != nil && strings.Contains(err.Error(), "wrong") {
			t.Errorf("error shows the password: %v", err)
		}
		if err != nil && strings.Contains(err.Error(), "did not answer") {
			t.Errorf("a refused login was waited for as if the server were down: %v", err)
		}
	})

	t.Run("port taken by something else", func(t *testing.T) {
		// A listener that accepts and never speaks MySQL.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = Start(ctx, WithProvider(ProviderDSN), WithDSN("root:pw@tcp("+l.Addr().String()+")/"), WithStartTimeout(2*time.Second))
		oneLineErr(t, err, l.Addr().String(), "within 2s")
	})

	t.Run("nothing answers on the port", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = Start(ctx, WithProvider(ProviderDSN), WithDSN("root:pw@tcp("+addr+")/"), WithStartTimeout(time.Second))
		oneLineErr(t, err, addr, "within 1s")
	})
}

// TestNoEngine: with no Docker engine at all (its socket hidden in a private
// mount namespace), the Docker providers and auto's ping fail with one
// line that says what to set, and nothing panics.
func TestNoEngine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to hide the Docker socket in a mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare (util-linux) to hide the Docker socket")
	}
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		t.Skip("no /var/run/docker.sock to hide")
	}
	if err := exec.Command(unshare, "-m", "true").Run(); err != nil {
		t.Skipf("cannot make a mount namespace here: %v", err)
	}
	for _, p := range []string{ProviderDocker, ProviderDockertest} {
		t.Run(p, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, unshare, "-m", "sh", "-c",
				`mount --bind /dev/null /var/run/docker.sock && exec "$0" -test.run='^$'`, os.Args[0])
			var env []string
			for _, e := range os.Environ() {
				if !strings.HasPrefix(e, "DOCKER_HOST=") && !strings.HasPrefix(e, "DOCKER_CONTEXT=") {
					env = append(env, e)
				}
			}
			cmd.Env = append(env, childEnv+"="+p, "HOME="+t.TempDir())
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("child: err = %v, want exit status 1; output:\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			last := lines[len(lines)-1]
			if strings.Contains(string(out), "panic") {
				t.Errorf("child panicked:\n%s", out)
			}
			msg, ok := strings.CutPrefix(last, "error ")
			if !ok {
				t.Fatalf("child's last line is not its error: %q", last)
			}
			t.Logf("error: %s", msg)
			if !strings.Contains(msg, p+" provider") || !strings.Contains(msg, "DOCKER_HOST") {
				t.Errorf("error %q does not name the provider and DOCKER_HOST", msg)
			}
		})
	}
}

// startChild runs this test binary as a child that starts a server with
// provider p, and returns it with what it printed after "ready".
func startChild(t *testing.T, p string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+p)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			line <- s.Text()
		}
		close(line)
	}()
	select {
	case l := <-line:
		what, rest, _ := strings.Cut(l, " ")
		if what != "ready" {
			t.Fatalf("child: %s", l)
		}
		return cmd, rest
	case <-time.After(3 * time.Minute):
		t.Fatal("child did not start a server within 3m")
	}
	return nil, ""
}

// eventually polls cond until it holds or d passes.
func eventually(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// TestLocalOwnerKilled: a local server whose owner is killed with SIGKILL
// is stopped and its directory removed by the janitor.
func TestLocalOwnerKilled(t *testing.T) {
	needProvider(t, ProviderLocal)
	cmd, dir := startChild(t, ProviderLocal)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the child's server dir: %v", err)
	}
	if len(processesWith(dir)) == 0 {
		t.Fatalf("no mariadbd runs on %s", dir)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	gone := eventually(15*time.Second, func() bool {
		_, err := os.Stat(dir)
		return errors.Is(err, os.ErrNotExist) && len(processesWith(dir)) == 0
	})
	if !gone {
		_, err := os.Stat(dir)
		t.Errorf("15s after the owner was killed: dir stat err = %v, processes on it = %v", err, processesWith(dir))
	}
}

// TestContainerOwnerKilled: the container of a process killed with SIGKILL
// is removed by the next start's sweep (Ryuk may be off).
func TestContainerOwnerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three containers")
	}
	for _, p := range []string{ProviderDocker, ProviderDockertest} {
		t.Run(p, func(t *testing.T) {
			needProvider(t, p)
			cmd, _ := startChild(t, p)
			child := cmd.Process.Pid
			if ids := ourContainers(t, p, child); len(ids) != 1 {
				t.Fatalf("containers of the child: %v, want one", ids)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			srv, err := Start(ctx, WithProvider(p))
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			defer srv.Close()
			if ids := ourContainers(t, p, child); len(ids) > 0 {
				t.Errorf("containers of the killed child after the next start: %v", ids)
			}
		})
	}
}

func TestOrphaned(t *testing.T) {
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	me := containerLabels(ProviderDocker)
	tests := []struct {
		name   string
		labels map[string]string
		want   bool
	}{
		{"this process", me, false},
		{"dead owner", map[string]string{labelMigtest: "1", labelHost: host, labelOwner: strconv.Itoa(dead.Process.Pid)}, true},
		{"dead owner on another host", map[string]string{labelMigtest: "1", labelHost: host + "-other", labelOwner: strconv.Itoa(dead.Process.Pid)}, false},
		{"pid reused by another process", map[string]string{labelMigtest: "1", labelHost: host, labelOwner: strconv.Itoa(ownerPID), labelOwnerAt: "1"}, true},
		{"not ours", map[string]string{labelHost: host, labelOwner: strconv.Itoa(dead.Process.Pid)}, false},
		{"no owner", map[string]string{labelMigtest: "1", labelHost: host}, false},
	}
	for _, tt := range tests {
		if got := orphaned(tt.labels); got != tt.want {
			t.Errorf("%s: orphaned(%v) = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func TestSplitImage(t *testing.T) {
	tests := []struct{ in, repo, tag string }{
		{"mariadb:11.4", "mariadb", "11.4"},
		{"mariadb", "mariadb", "latest"},
		{"migtest/mariadb:local", "migtest/mariadb", "local"},
		{"localhost:5000/mariadb", "localhost:5000/mariadb", "latest"},
		{"localhost:5000/team/mariadb:10.11", "localhost:5000/team/mariadb", "10.11"},
	}
	for _, tt := range tests {
		if repo, tag := splitImage(tt.in); repo != tt.repo || tag != tt.tag {
			t.Errorf("splitImage(%q) = %q, %q; want %q, %q", tt.in, repo, tag, tt.repo, tt.tag)
		}
	}
}

func TestEngineErrorOneLine(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("create reaper: pull testcontainers/ryuk:0.13.0:\nno such host"), "TESTCONTAINERS_RYUK_DISABLED=true"},
		{errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"), "DOCKER_HOST"},
		{errors.Join(errors.New("check host \"unix:///x\": docker info: dial unix /x: connect: no such file or directory"), errors.New("rootless Docker not found")), "DOCKER_HOST"},
	}
	for _, tt := range tests {
		err := engineError(ProviderDocker, tt.err)
		if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("engineError(%q) = %q, want one line with %q", tt.err, err, tt.want)
		}
	}
	if got := logTail("a\nb [ERROR] x\nc [ERROR] y\nd"); got != "b [ERROR] x | c [ERROR] y" {
		t.Errorf("logTail = %q", got)
	}
	if !slices.Equal(containerSettings(), localSettings) {
		t.Errorf("containerSettings() = %v, want the local settings", containerSettings())
	}
}

// TestWithPool: the dockertest provider uses a pool the caller made, and
// leaves its settings alone.
func TestWithPool(t *testing.T) {
	needProvider(t, ProviderDockertest)
	pool, err := dockertest.NewPool("")
	if err != nil {
		t.Fatal(err)
	}
	pool.MaxWait = 42 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := Start(ctx, WithProvider(ProviderDockertest), WithPool(pool))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	d, err := srv.NewDatabase(ctx)
	if err != nil {
		t.Fatalf("new database: %v", err)
	}
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Errorf("ping %s: %v", d.Name, err)
	}
	db.Close()
	if err := srv.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if pool.MaxWait != 42*time.Second {
		t.Errorf("pool.MaxWait = %s after Start, want the caller's 42s", pool.MaxWait)
	}
	if ids := ourContainers(t, ProviderDockertest, ownerPID); len(ids) > 0 {
		t.Errorf("containers left after Close: %v", ids)
	}
}
