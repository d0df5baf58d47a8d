package dump

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/server/servertest"
)

// cpuMeter adds up the CPU time a loader costs on a two-core machine,
// where wall time alone hides who used the cores: the shared local
// server's (utime+stime of its mariadbd, from /proc) and the client's
// (this process's own, for ours; its waited-for children's, for the stock
// client and myloader). It reports them per op as server-cpu-s and
// client-cpu-s, or nothing when the server is not a local process.
type cpuMeter struct {
	pid            int
	server, client time.Duration
	n              int
	s0, c0         time.Duration
}

func newCPUMeter(b *testing.B) *cpuMeter {
	b.Helper()
	m := &cpuMeter{}
	if d, ok := servertest.Server(b).(interface{ DataDir() string }); ok {
		raw, _ := os.ReadFile(filepath.Join(filepath.Dir(d.DataDir()), "mysqld.pid"))
		m.pid, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
	}
	return m
}

// procCPU is the utime+stime of process pid (0 when it cannot be read).
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the parenthesised command name; utime and stime
	// are the 14th and 15th of the line, in clock ticks (100 per second).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func selfCPU() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

func (m *cpuMeter) start() { m.s0, m.c0 = procCPU(m.pid), selfCPU() }

func (m *cpuMeter) stop() {
	m.server += procCPU(m.pid) - m.s0
	m.client += selfCPU() - m.c0
	m.n++
}

// report reports the CPU per op; prefix names the loader when one
// benchmark measures several ("ours-" gives ours-server-cpu-s/op).
func (m *cpuMeter) report(b *testing.B, prefix string) {
	if m.pid == 0 || m.n == 0 {
		return
	}
	b.ReportMetric(m.server.Seconds()/float64(m.n), prefix+"server-cpu-s/op")
	b.ReportMetric(m.client.Seconds()/float64(m.n), prefix+"client-cpu-s/op")
}
