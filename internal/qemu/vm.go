package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Line is one line of serial console output.
type Line struct {
	At   time.Duration // since qemu was started
	Text string        // without the line end
}

func (l Line) String() string { return fmt.Sprintf("[%7.3fs] %s", l.At.Seconds(), l.Text) }

// Sentinel errors callers branch on.
var (
	ErrTimeout = errors.New("timed out waiting for console output")
	ErrExited  = errors.New("qemu exited before the console output appeared")
)

// VM is a running (or finished) qemu process.
type VM struct {
	cfg     Config
	cmd     *exec.Cmd
	start   time.Time
	cancel  context.CancelFunc
	logFile *os.File

	mu      sync.Mutex
	lines   []Line
	partial []byte
	changed chan struct{} // closed and replaced on every new output
	done    chan struct{} // closed when qemu has exited and output is drained
	waitErr error
	stderr  bytes.Buffer
}

// Start runs qemu for cfg. The process is killed when ctx ends or
// cfg.Timeout passes, whichever is first; always call Kill or Wait.
func Start(ctx context.Context, cfg Config) (*VM, error) {
	cfg.defaults()
	args, err := cfg.Args()
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath(cfg.Binary); err != nil {
		return nil, fmt.Errorf("qemu: %w (apt-get install qemu-system-x86)", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	vm := &VM{cfg: cfg, cancel: cancel, changed: make(chan struct{}), done: make(chan struct{})}
	if cfg.LogFile != "" {
		if vm.logFile, err = os.Create(cfg.LogFile); err != nil {
			cancel()
			return nil, fmt.Errorf("qemu: console log: %w", err)
		}
	}
	vm.cmd = exec.CommandContext(ctx, cfg.Binary, args...)
	vm.cmd.Cancel = func() error { return vm.cmd.Process.Kill() }
	vm.cmd.WaitDelay = 2 * time.Second
	// The child dies with the test binary: no qemu is ever left behind.
	vm.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	vm.cmd.Stdin = nil
	vm.cmd.Stderr = &lockedWriter{mu: &vm.mu, w: &vm.stderr}
	out, err := vm.cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	slog.Debug("qemu start", "name", cfg.Name, "args", strings.Join(args, " "))
	vm.start = time.Now()
	if err := vm.cmd.Start(); err != nil {
		cancel()
		vm.closeLog()
		return nil, fmt.Errorf("qemu: start: %w", err)
	}
	go vm.readLoop(out)
	return vm, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (vm *VM) readLoop(r io.Reader) {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			vm.feed(buf[:n])
		}
		if err != nil {
			break
		}
	}
	werr := vm.cmd.Wait()
	vm.mu.Lock()
	if len(vm.partial) > 0 {
		vm.addLine(string(vm.partial))
		vm.partial = nil
	}
	vm.waitErr = werr
	if s := strings.TrimSpace(vm.stderr.String()); s != "" {
		vm.addLine("qemu stderr: " + s)
	}
	vm.notify()
	vm.mu.Unlock()
	vm.cancel()
	vm.closeLog()
	close(vm.done)
}

func (vm *VM) feed(p []byte) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.partial = append(vm.partial, p...)
	for {
		i := bytes.IndexByte(vm.partial, '\n')
		if i < 0 {
			break
		}
		vm.addLine(string(bytes.TrimRight(vm.partial[:i], "\r")))
		vm.partial = vm.partial[i+1:]
	}
	vm.notify()
}

// addLine appends a line; vm.mu is held.
func (vm *VM) addLine(text string) {
	l := Line{At: time.Since(vm.start), Text: text}
	vm.lines = append(vm.lines, l)
	if vm.logFile != nil {
		fmt.Fprintln(vm.logFile, l.String())
	}
}

// notify wakes waiters; vm.mu is held.
func (vm *VM) notify() {
	close(vm.changed)
	vm.changed = make(chan struct{})
}

func (vm *VM) closeLog() {
	if vm.logFile != nil {
		vm.logFile.Close()
	}
}

// Lines returns a copy of the complete console lines so far.
func (vm *VM) Lines() []Line {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return append([]Line(nil), vm.lines...)
}

// Console returns the whole console output so far as text with timestamps.
func (vm *VM) Console() string {
	var b strings.Builder
	for _, l := range vm.Lines() {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	vm.mu.Lock()
	if len(vm.partial) > 0 {
		fmt.Fprintf(&b, "[partial] %s\n", vm.partial)
	}
	vm.mu.Unlock()
	return b.String()
}

// WaitFor waits until a complete console line matches re, and returns it.
// It fails with ErrExited when qemu ends first and ErrTimeout after timeout.
// Lines seen before the call count too.
func (vm *VM) WaitFor(re *regexp.Regexp, timeout time.Duration) (Line, error) {
	return vm.waitFrom(0, re.MatchString, re.String(), false, timeout)
}

// WaitString is WaitFor with a plain substring.
func (vm *VM) WaitString(s string, timeout time.Duration) (Line, error) {
	return vm.waitFrom(0, func(t string) bool { return strings.Contains(t, s) }, s, false, timeout)
}

// WaitPrompt is WaitString that also matches the unterminated last line
// (a prompt such as "login: " that is not followed by a newline).
func (vm *VM) WaitPrompt(s string, timeout time.Duration) (Line, error) {
	return vm.waitFrom(0, func(t string) bool { return strings.Contains(t, s) }, s, true, timeout)
}

func (vm *VM) waitFrom(from int, match func(string) bool, what string, partial bool, timeout time.Duration) (Line, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for i := from; ; {
		vm.mu.Lock()
		for ; i < len(vm.lines); i++ {
			if match(vm.lines[i].Text) {
				l := vm.lines[i]
				vm.mu.Unlock()
				return l, nil
			}
		}
		if p := string(vm.partial); partial && p != "" && match(p) {
			vm.mu.Unlock()
			return Line{At: time.Since(vm.start), Text: p}, nil
		}
		changed := vm.changed
		vm.mu.Unlock()
		select {
		case <-changed:
		case <-vm.done:
			if vm.hasNewLines(i) {
				continue
			}
			return Line{}, fmt.Errorf("%w: %q (%v)", ErrExited, what, vm.exitErr())
		case <-deadline.C:
			return Line{}, fmt.Errorf("%w: %q after %v", ErrTimeout, what, timeout)
		}
	}
}

func (vm *VM) hasNewLines(i int) bool {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return i < len(vm.lines)
}

func (vm *VM) exitErr() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.waitErr == nil {
		return errors.New("exit status 0")
	}
	return vm.waitErr
}

// Wait waits until qemu exits (the guest powered off; -no-reboot turns a
// reboot or panic=-1 into an exit too) or the hard timeout kills it.
func (vm *VM) Wait() error {
	<-vm.done
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.waitErr
}

// WaitExit is Wait with a timeout after which the VM is killed.
func (vm *VM) WaitExit(timeout time.Duration) error {
	select {
	case <-vm.done:
		return vm.Wait()
	case <-time.After(timeout):
		vm.Kill()
		return fmt.Errorf("%w: qemu did not exit after %v", ErrTimeout, timeout)
	}
}

// Kill stops qemu (if still running) and waits for it.
func (vm *VM) Kill() {
	vm.cancel()
	<-vm.done
}

// Elapsed is the time since qemu was started.
func (vm *VM) Elapsed() time.Duration { return time.Since(vm.start) }
