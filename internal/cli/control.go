package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gdprdesk/gdprdesk/store"
)

// The control socket carries command lines to a running `gdprdesk serve`,
// which holds the data directory, so that every command works from another
// shell while it runs (SPEC §4). A command that finds the directory held
// (store.ErrLocked) and the socket answering sends its command line there;
// the server runs the same command tree in its own process on its open
// store and streams the output back.
//
// The socket is DIR/control.sock, 0600 in the 0700 data directory: only the
// directory's owner reaches it, and they could open the store directly
// anyway. So a caller is trusted with the name it sends, exactly as
// --operator is trusted without serve: a registered operator's name gets
// that operator's role, any other name is the owner at the machine (admin),
// through the store's LocalOwner handle.
//
// Protocol: frames of one kind byte, a 4-byte big-endian length and the
// payload. The client sends a header frame (JSON controlHeader), then its
// stdin as data frames, ended by an empty one. The server answers with
// stdout and stderr frames and one exit frame (a 4-byte exit code), then
// closes. A client that goes away cancels its command.
const (
	frameHeader = 'H' // client: controlHeader as JSON
	frameStdin  = 'I' // client: stdin bytes; empty: end of stdin
	frameStdout = 'O' // server: stdout bytes
	frameStderr = 'E' // server: stderr bytes
	frameExit   = 'X' // server: the exit code, 4 bytes
)

// controlVersion is the protocol's version, sent in every header.
const controlVersion = 1

// maxFrame bounds a frame, so a broken peer cannot make the other allocate
// without limit.
const maxFrame = 1 << 20

// controlHeader opens a call: the command line and what the server needs to
// carry it out as the caller would have.
type controlHeader struct {
	Version   int      `json:"version"`
	Args      []string `json:"args"`      // the command line, without the program name
	Operator  string   `json:"operator"`  // --operator, else the caller's user name
	Cwd       string   `json:"cwd"`       // relative file names are resolved against it
	StdinTTY  bool     `json:"stdin_tty"` // confirmation prompts are asked only on a terminal
	StderrTTY bool     `json:"stderr_tty"`
}

// errServing says a running server holds the data directory and answers on
// its control socket: run forwards the command line there.
var errServing = errors.New("the data directory is held by a running gdprdesk serve")

// controlSocket is the socket of a running `serve` in the data directory.
func controlSocket(dir string) string { return filepath.Join(dir, "control.sock") }

// serverAnswers turns a locked data directory into errServing when a server
// answers on its control socket, and otherwise explains lockErr.
func serverAnswers(dir string, lockErr error) error {
	conn, err := net.DialTimeout("unix", controlSocket(dir), 2*time.Second)
	if err != nil {
		return fmt.Errorf("%w (and no running `gdprdesk serve` answers on its control socket: close the other gdprdesk and try again)", lockErr)
	}
	conn.Close()
	return errServing
}

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(payload)))
	if _, err := w.Write(append(head[:], payload...)); err != nil {
		return fmt.Errorf("write to the control socket: %w", err)
	}
	return nil
}

func readFrame(r io.Reader) (kind byte, payload []byte, err error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("control socket: a frame of %d bytes (at most %d)", n, maxFrame)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("control socket: a cut frame: %w", err)
	}
	return head[0], payload, nil
}

// frameWriter sends what a command writes to one of its streams as frames;
// the two streams share the connection, hence the lock.
type frameWriter struct {
	mu   *sync.Mutex
	conn net.Conn
	kind byte
}

func (w frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for done := 0; done < len(p); {
		n := min(len(p)-done, maxFrame)
		if err := writeFrame(w.conn, w.kind, p[done:done+n]); err != nil {
			return done, err
		}
		done += n
	}
	return len(p), nil
}

// forward sends the command line to the server holding the data directory
// and relays its output; the server's exit code is the command's.
func (a *app) forward(ctx context.Context, args []string) int {
	fail := func(err error) int {
		fmt.Fprintln(a.stderr, "gdprdesk: "+err.Error())
		return exitFailure
	}
	dir, err := a.dataDir()
	if err != nil {
		return fail(err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fail(fmt.Errorf("the running server needs this directory's name: %w", err))
	}
	conn, err := net.Dial("unix", controlSocket(dir))
	if err != nil {
		return fail(fmt.Errorf("reach the running server: %w", err))
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // ctrl+c: the server stops the command
	defer stop()
	hdr, err := json.Marshal(controlHeader{Version: controlVersion, Args: args, Operator: a.operatorName(), Cwd: cwd,
		StdinTTY: a.stdinTTY, StderrTTY: a.stderrTTY})
	if err != nil {
		return fail(fmt.Errorf("encode the command for the running server: %w", err))
	}
	if err := writeFrame(conn, frameHeader, hdr); err != nil {
		return fail(err)
	}
	go func() { // stdin, for import - and confirmation prompts; ends with the process
		buf := make([]byte, 32<<10)
		for {
			n, err := a.stdin.Read(buf)
			if n > 0 && writeFrame(conn, frameStdin, buf[:n]) != nil {
				return
			}
			if err != nil {
				writeFrame(conn, frameStdin, nil)
				return
			}
		}
	}()
	for {
		kind, payload, err := readFrame(conn)
		if err != nil {
			if ctx.Err() != nil {
				return fail(errors.New("interrupted; the running server stops the command"))
			}
			return fail(errors.New("the running server ended the connection before the command finished (was it stopped?)"))
		}
		switch kind {
		case frameStdout:
			a.rawOut.Write(payload) // the server sanitized it
		case frameStderr:
			a.rawErr.Write(payload)
		case frameExit:
			if len(payload) != 4 {
				return fail(errors.New("the running server sent a malformed exit code"))
			}
			return int(binary.BigEndian.Uint32(payload))
		}
	}
}

// serveControl carries out the command lines of other gdprdesk processes on
// the control socket while serve runs, until ctx ends or the returned
// function is called; that function waits for the running commands. A
// socket that cannot be made costs only this: serve goes on, with a warning.
func (a *app) serveControl(ctx context.Context, s *store.Store, dir string) (stop func()) {
	path := controlSocket(dir)
	warn := func(err error) func() {
		fmt.Fprintf(a.stderr, "gdprdesk: warning: other gdprdesk commands cannot reach this server (control socket %s: %v)\n", path, err)
		return func() {}
	}
	os.Remove(path) // a stale socket: we hold the directory's lock
	l, err := net.Listen("unix", path)
	if err != nil {
		return warn(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return warn(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	owner := s.LocalOwner()
	var running sync.WaitGroup
	running.Add(1)
	go func() {
		defer running.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			running.Add(1)
			go func() {
				defer running.Done()
				defer conn.Close()
				a.controlCall(ctx, owner, dir, conn)
			}()
		}
	}()
	return func() {
		l.Close()
		cancel()
		running.Wait()
		os.Remove(path)
	}
}

// controlCall carries out one client's command line.
func (a *app) controlCall(ctx context.Context, owner *store.Store, dir string, conn net.Conn) {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	kind, payload, err := readFrame(conn)
	var hdr controlHeader
	if err != nil || kind != frameHeader || json.Unmarshal(payload, &hdr) != nil {
		return // not a gdprdesk client of this version
	}
	conn.SetReadDeadline(time.Time{})
	var mu sync.Mutex
	stdout := frameWriter{mu: &mu, conn: conn, kind: frameStdout}
	stderr := frameWriter{mu: &mu, conn: conn, kind: frameStderr}
	code := exitFailure
	defer func() {
		stdout.mu.Lock()
		writeFrame(conn, frameExit, binary.BigEndian.AppendUint32(nil, uint32(code)))
		stdout.mu.Unlock()
	}()
	if hdr.Version != controlVersion || !filepath.IsAbs(hdr.Cwd) || hdr.Operator == "" {
		fmt.Fprintln(stderr, "gdprdesk: the running server speaks another version of gdprdesk: use the same program as the server")
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdin, stdinW := io.Pipe()
	defer stdin.Close()
	// A command waiting for input stops when the server stops or the
	// client goes away.
	defer context.AfterFunc(ctx, func() { stdinW.CloseWithError(context.Canceled) })()
	go func() { // the client's stdin; its going away stops the command
		defer cancel()
		for {
			kind, payload, err := readFrame(conn)
			if err != nil {
				stdinW.CloseWithError(io.ErrUnexpectedEOF)
				return
			}
			if kind != frameStdin {
				continue
			}
			if len(payload) == 0 {
				stdinW.Close()
				continue
			}
			stdinW.Write(payload) // fails once the command has ended: then discarded
		}
	}()
	sv := &served{store: owner, dir: dir, operator: hdr.Operator, cwd: hdr.Cwd}
	code = runServed(ctx, sv, call{args: hdr.Args, stdin: stdin, stdout: stdout, stderr: stderr,
		stdinTTY: hdr.StdinTTY, stderrTTY: hdr.StderrTTY}, a.now, a.stderr)
}
