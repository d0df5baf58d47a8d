package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/filelock"
	"github.com/migtest/migtest/migtest/internal/fsutil"
)

// localSettings are the server settings of a disposable server: nothing is
// kept, so durability is traded for speed.
var localSettings = []string{
	"--skip-log-bin",
	"--innodb-doublewrite=0",
	"--innodb-flush-log-at-trx-commit=0",
	"--innodb-buffer-pool-size=256M",
	"--loose-innodb-log-file-size=64M", // MySQL 8.0.30+ sizes its redo log by innodb_redo_log_capacity; 9.x has no innodb_log_file_size
	"--innodb-fast-shutdown=2",
	"--max-allowed-packet=1G",
	"--skip-name-resolve",
	"--performance-schema=OFF",
	"--character-set-server=utf8mb4",
	"--collation-server=utf8mb4_unicode_ci",
	"--max-connections=500",
}

// localPrefix names the temp dirs of local servers, so stale ones can be found.
const localPrefix = "migtest-local-"

type localBinaries struct{ server, install string }

// findLocalBinaries looks for mariadbd (or mysqld) and mariadb-install-db
// (or mysql_install_db) on PATH and in the usual sbin directories.
func findLocalBinaries() (localBinaries, error) {
	dirs := []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/bin", "/usr/local/mysql/bin", "/opt/homebrew/bin", "/opt/homebrew/sbin"}
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		for _, d := range dirs {
			for _, n := range names {
				p := filepath.Join(d, n)
				if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return p
				}
			}
		}
		return ""
	}
	b := localBinaries{server: find("mariadbd", "mysqld"), install: find("mariadb-install-db", "mysql_install_db")}
	if b.server == "" || b.install == "" {
		return b, errors.New("local provider: mariadbd or mariadb-install-db not found on PATH or in /usr/sbin: install them (apt-get install mariadb-server) or choose another provider")
	}
	return b, nil
}

// local is a mariadbd process in its own temp dir.
type local struct {
	*base
	dir string
}

// DataDir returns the server's data directory. The local provider's
// servers run on this machine, so a caller may use its files directly (the
// fixture cache imports InnoDB tablespaces there); other providers' servers
// do not have this method.
func (l *local) DataDir() string { return filepath.Join(l.dir, "data") }

// startLocal starts mariadbd on a copy of the cached template datadir (or a
// fresh one), on a private socket and a free 127.0.0.1 port.
//
// The server cannot outlive its owner: a small janitor process kills it and
// removes its directory within a second of the owner's exit; dirs left by a
// janitor that was killed too are swept by the next start.
func startLocal(ctx context.Context, c *config) (Server, error) {
	bins, err := findLocalBinaries()
	if err != nil {
		return nil, err
	}
	sweepLocal(c)
	dir, err := os.MkdirTemp("", localPrefix)
	if err != nil {
		return nil, fmt.Errorf("local provider: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(ownerPID)), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("local provider: %w", err)
	}
	data := filepath.Join(dir, "data")
	if c.noTemplate {
		err = installDB(ctx, bins, data)
	} else {
		var tpl string
		if tpl, err = localTemplate(ctx, c, bins); err == nil {
			err = copyDir(tpl, data)
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var srv *local
	for attempt := 0; ; attempt++ {
		srv, err = runLocal(ctx, c, bins, dir)
		if err == nil || attempt == 2 || !errors.Is(err, errPortTaken) {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.logger.Info("local MariaDB started", "dir", dir, "version", srv.version, "addr", srv.cfg.Addr)
	return srv, nil
}

var errPortTaken = errors.New("port taken")

func runLocal(ctx context.Context, c *config, bins localBinaries, dir string) (*local, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("local provider: find a free port: %w", err)
	}
	sock := filepath.Join(dir, "mysqld.sock")
	errLog := filepath.Join(dir, "error.log")
	_ = os.Remove(errLog)
	args := append([]string{
		"--no-defaults",
		"--datadir=" + filepath.Join(dir, "data"),
		"--socket=" + sock,
		"--port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--pid-file=" + filepath.Join(dir, "mysqld.pid"),
		"--log-error=" + errLog,
		"--tmpdir=" + dir,
	}, localSettings...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(bins.server, args...)
	// No Pdeathsig: it fires when the OS thread that forked exits, which Go
	// does to threads locked by goroutines that end (golang/go#27505), and
	// would kill a shared server under a running test. The janitor below
	// stops the server within a second of its owner's exit instead.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("local provider: start %s: %w", bins.server, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	janitor := startJanitor(cmd.Process.Pid, dir)

	stop := func() error {
		if janitor != nil {
			_ = janitor.Process.Kill()
			_ = janitor.Wait()
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("local provider: remove %s: %w", dir, err)
		}
		return nil
	}
	fail := func(err error) (*local, error) {
		_ = cmd.Process.Kill()
		<-exited
		if janitor != nil {
			_ = janitor.Process.Kill()
			_ = janitor.Wait()
		}
		return nil, err
	}

	// Wait on the socket as root@localhost, or for the process to die.
	sockCfg := mysql.NewConfig()
	sockCfg.User, sockCfg.Net, sockCfg.Addr = "root", "unix", sock
	ready := make(chan error, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var admin *base
	go func() {
		b, err := newBase(wctx, ProviderLocal, sockCfg, c.startTimeout, nil)
		admin = b
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			return fail(fmt.Errorf("local provider: %w; server log %s: %s", err, errLog, tail(errLog)))
		}
	case <-exited:
		cancel()
		werr := <-ready
		log := tail(errLog)
		if log == "" || log == "(no server log)" {
			log = fmt.Sprint(werr)
		}
		if strings.Contains(log, "Address already in use") {
			return nil, fmt.Errorf("local provider: port %d: %w", port, errPortTaken)
		}
		return fail(fmt.Errorf("local provider: mariadbd exited during start: %s", log))
	}
	defer admin.admin.Close()
	// The root user of a fresh datadir is root@localhost; hand out TCP DSNs
	// so the server is usable from anything, including other containers.
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
	} {
		if _, err := admin.admin.ExecContext(ctx, q); err != nil {
			return fail(fmt.Errorf("local provider: %s: %w", q, err))
		}
	}
	tcpCfg := mysql.NewConfig()
	tcpCfg.User, tcpCfg.Net, tcpCfg.Addr = "root", "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	b, err := newBase(ctx, ProviderLocal, tcpCfg, 10*time.Second, stop)
	if err != nil {
		return fail(fmt.Errorf("local provider: %w", err))
	}
	return &local{base: b, dir: dir}, nil
}

// startJanitor starts a detached shell that waits for the owner process to
// exit and then kills the server and removes its directory. It is killed by
// Close when the owner stops the server itself.
func startJanitor(serverPID int, dir string) *exec.Cmd {
	script := `while kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -KILL "$2" 2>/dev/null
i=0; while kill -0 "$2" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
rm -rf "$3"`
	j := exec.Command("/bin/sh", "-c", script, "migtest-janitor", strconv.Itoa(ownerPID), strconv.Itoa(serverPID), dir)
	j.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := j.Start(); err != nil {
		return nil // the sweep is the fallback
	}
	return j
}

// sweepLocal removes the dirs (and kills the servers) of local servers
// whose owner process is gone.
func sweepLocal(c *config) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), localPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			if st, serr := os.Stat(d); serr == nil && time.Since(st.ModTime()) > 10*time.Minute {
				_ = os.RemoveAll(d)
			}
			continue
		}
		owner, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if owner > 0 && alive(owner) {
			continue
		}
		if pb, err := os.ReadFile(filepath.Join(d, "mysqld.pid")); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(pb))); pid > 0 && alive(pid) {
				if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); bytes.Contains(cmdline, []byte(d)) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		c.logger.Info("removed a stale local server", "dir", d, "owner", owner)
		_ = os.RemoveAll(d)
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func installDB(ctx context.Context, bins localBinaries, data string) error {
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db", "--innodb-log-file-size=64M"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bins.install, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("local provider: %s (deadline 2m): %w: %s", filepath.Base(bins.install), err, lastLine(string(out)))
	}
	return nil
}

// localTemplate returns an initialised, empty datadir for this server
// version, creating it once under a file lock in the cache dir.
func localTemplate(ctx context.Context, c *config, bins localBinaries) (string, error) {
	root := c.cacheDir
	if root == "" {
		if d, err := os.UserCacheDir(); err == nil {
			root = filepath.Join(d, "migtest")
		} else {
			root = filepath.Join(os.TempDir(), "migtest-cache")
		}
	}
	ver, err := exec.CommandContext(ctx, bins.server, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("local provider: %s --version: %w", bins.server, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", bins.server, ver, strings.Join(localSettings, " "))
	key := hex.EncodeToString(h.Sum(nil))[:16]
	dir := filepath.Join(root, "datadir", key)
	if _, err := os.Stat(filepath.Join(dir, "mysql")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", fmt.Errorf("local provider: cache dir: %w (set MIGTEST_CACHE to a writable directory)", err)
	}
	unlock, err := filelock.Lock(ctx, dir+".lock", 5*time.Minute)
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "mysql")); err == nil {
		return dir, nil
	}
	tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
	_ = os.RemoveAll(tmp)
	if err := installDB(ctx, bins, tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return "", fmt.Errorf("local provider: %w", err)
	}
	return dir, nil
}

// copyDir copies the regular files and directories under src to dst.
func copyDir(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return fsutil.CopyFile(p, target)
	})
	if err != nil {
		return fmt.Errorf("local provider: copy template datadir: %w", err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last error lines of a server log, on one line.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no server log)"
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(l, "[ERROR]") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		return lastLine(string(b))
	}
	if len(keep) > 3 {
		keep = keep[len(keep)-3:]
	}
	return strings.Join(keep, " | ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
