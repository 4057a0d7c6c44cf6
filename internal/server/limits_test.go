package server

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// silent opens n TCP connections to addr from the loopback address from
// (127.0.0.0/8 is all loopback on Linux) and says nothing on them.
func silent(t *testing.T, addr, from string, n int) []net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("silent connection %d from %s: %v", len(conns), from, err)
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// stillOpen counts the connections the server has not closed: reading
// one the server closed ends at once (after the server's version line).
func stillOpen(conns []net.Conn) int {
	open := 0
	buf := make([]byte, 512)
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		for {
			_, err := c.Read(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open++
				break
			}
			if err != nil {
				break
			}
		}
	}
	return open
}

// waitOpen waits until at most max of conns are open and returns how many are.
func waitOpen(t *testing.T, conns []net.Conn, max int, limit time.Duration) int {
	t.Helper()
	var n int
	for deadline := time.Now().Add(limit); ; {
		if n = stillOpen(conns); n <= max {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d silent connections still open after %s; want at most %d", n, len(conns), limit, max)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A client that opens many connections and says nothing holds at most its
// share of places (8 per address), the others are closed at once, and a
// registered operator still gets in; the silent ones are closed after the
// handshake timeout (SPEC §8).
func TestServeLimitsSilentConnectionsPerAddress(t *testing.T) {
	s := startServerWith(t, 10, func(o *ServeOptions) { o.HandshakeTimeout = 3 * time.Second })
	before := openFDs(t)
	conns := silent(t, s.addr, "127.0.0.2", 500)
	if n := waitOpen(t, conns, defaultMaxPreAuthPerHost, 10*time.Second); n == 0 {
		t.Fatal("every silent connection was closed at once; the first 8 should wait for the handshake timeout")
	}
	start := time.Now()
	tm := openTerminal(t, s.addr, "anna", s.anna)
	tm.waitFor(t, "Recent activity")
	took := time.Since(start)
	t.Logf("with 500 silent connections a login got its session in %s; the process holds %d more descriptors than before them (client ends included)", took, openFDs(t)-before)
	if took > 10*time.Second {
		t.Errorf("the login took %s", took)
	}
	// After the handshake timeout no silent connection is left.
	waitOpen(t, conns, 0, 15*time.Second)
	tm.send("2")
	tm.waitFor(t, "row 1") // the authenticated session is not timed out with them
}

// Silent connections from many addresses fill at most the total number of
// places (64): each newcomer closes the oldest waiting one, so a real
// login still gets in.
func TestServeLimitsSilentConnectionsInTotal(t *testing.T) {
	s := startServerWith(t, 10, func(o *ServeOptions) { o.HandshakeTimeout = time.Minute })
	var conns []net.Conn
	for i := 10; i < 30; i++ { // 20 addresses, 8 each: 160 connections
		conns = append(conns, silent(t, s.addr, net.IPv4(127, 0, 0, byte(i)).String(), defaultMaxPreAuthPerHost)...)
	}
	n := waitOpen(t, conns, defaultMaxPreAuth, 10*time.Second)
	t.Logf("%d of %d silent connections from 20 addresses still open", n, len(conns))
	start := time.Now()
	openTerminal(t, s.addr, "anna", s.anna).waitFor(t, "Recent activity")
	t.Logf("a login got its session in %s", time.Since(start))
	if n := stillOpen(conns); n > defaultMaxPreAuth {
		t.Errorf("%d silent connections open; the cap is %d", n, defaultMaxPreAuth)
	}
}

// openFDs counts the process's open file descriptors (Linux).
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0 // not Linux: the count is only logged
	}
	return len(entries)
}
