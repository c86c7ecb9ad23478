package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process the harness measures.
type proc struct {
	name string
	cmd  *exec.Cmd
	url  string
}

// clockTicks is USER_HZ on Linux, the unit of /proc/PID/stat times.
const clockTicks = 100

// cpuSeconds reads the process's user+system CPU time.
func (p *proc) cpuSeconds() float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after ")".
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / clockTicks
}

// peakRSSMB reads VmHWM, the process's peak resident set size.
func (p *proc) peakRSSMB() float64 { return p.statusMB("VmHWM:") }

// rssMB reads VmRSS, the process's resident set size now.
func (p *proc) rssMB() float64 { return p.statusMB("VmRSS:") }

func (p *proc) statusMB(field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// startRole re-executes this binary in a role ("emulator" or "baseline")
// that prints "URL <url>" on its first line.
func startRole(self, role string, env []string, logs io.Writer) (*proc, error) {
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), append(env, RoleEnv+"="+role)...)
	cmd.Stderr = logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start: %w", role, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "URL ")
	if !ok {
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s printed %q", role, line)
	}
	return &proc{name: role, cmd: cmd, url: url}, nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startBot execs the bot binary with env and waits for /healthz.
func startBot(bin string, env []string, logs io.Writer) (*proc, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"PORT=" + strconv.Itoa(port), "BOT_BASE_URL=" + url}, env...)...)
	cmd.Stdout, cmd.Stderr = logs, logs
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start bot: %w", err)
	}
	p := &proc{name: "bot", cmd: cmd, url: url}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(start), nil
			}
		}
		if ctx.Err() != nil {
			p.stop()
			return nil, 0, fmt.Errorf("bot never became healthy (see its log)")
		}
		time.Sleep(time.Millisecond)
	}
}
