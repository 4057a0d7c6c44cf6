package server

import (
	"net"
	"sync"

	"charm.land/ssh"
)

// Limits on connections that have not authenticated yet (SPEC §8). Without
// them a client that opens connections and says nothing holds a file
// descriptor each until the idle timeout, and enough of them lock everyone
// out. The handshake, authentication included, must end within
// ServeOptions.HandshakeTimeout.
const (
	defaultMaxPreAuth        = 64 // waiting connections in all
	defaultMaxPreAuthPerHost = 8  // waiting connections from one address
)

// gate counts the connections that have not authenticated yet. One address
// over its share is refused at once. When the total is reached, the oldest
// waiting connection is closed to make room: a burst from many addresses
// then delays a real login by at most one handshake, where refusing the
// newcomer would lock it out until the burst's handshakes time out.
type gate struct {
	max, perHost int
	logf         func(string, ...any)

	mu      sync.Mutex
	waiting []*waitingConn // oldest first
	byHost  map[string]int
	noisy   map[string]bool // hosts already logged as over their share
}

func newGate(max, perHost int, logf func(string, ...any)) *gate {
	return &gate{max: max, perHost: perHost, logf: logf, byHost: map[string]int{}, noisy: map[string]bool{}}
}

// waitingConn is a connection holding a place at the gate until it
// authenticates or closes.
type waitingConn struct {
	net.Conn
	g    *gate
	host string
	gone bool // left the waiting ones (guarded by g.mu)
}

// Close closes the connection and gives its place back.
func (c *waitingConn) Close() error {
	c.leave()
	return c.Conn.Close()
}

// leave gives the connection's place back, once.
func (c *waitingConn) leave() {
	c.g.mu.Lock()
	defer c.g.mu.Unlock()
	c.g.removeLocked(c)
}

// removeLocked takes c out of the waiting ones, once; g.mu is held.
func (g *gate) removeLocked(c *waitingConn) {
	if c.gone {
		return
	}
	c.gone = true
	for i, w := range g.waiting {
		if w == c {
			g.waiting = append(g.waiting[:i], g.waiting[i+1:]...)
			break
		}
	}
	if g.byHost[c.host]--; g.byHost[c.host] <= 0 {
		delete(g.byHost, c.host)
		delete(g.noisy, c.host)
	}
}

// gateKey is the connection context key of its place at the gate.
type gateKey struct{}

// admit is the server's ConnCallback: it takes a place for the new
// connection, or refuses it (nil: the server closes it at once).
func (g *gate) admit(ctx ssh.Context, conn net.Conn) net.Conn {
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		host = conn.RemoteAddr().String()
	}
	c := &waitingConn{Conn: conn, g: g, host: host}
	g.mu.Lock()
	if g.byHost[host] >= g.perHost {
		first := !g.noisy[host]
		g.noisy[host] = true
		g.mu.Unlock()
		if first { // one line per burst, not one per connection
			g.logf("refusing connections from %s: %d wait for authentication already", host, g.perHost)
		}
		return nil
	}
	var oldest *waitingConn
	if len(g.waiting) >= g.max {
		// Out of the list before the lock is let go, so two newcomers
		// never evict the same one and overfill the places.
		oldest = g.waiting[0]
		g.removeLocked(oldest)
	}
	g.waiting = append(g.waiting, c)
	g.byHost[host]++
	g.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
	ctx.SetValue(gateKey{}, c)
	return c
}

// authenticated gives the place of the connection in ctx back: it no
// longer counts as waiting.
func authenticated(ctx ssh.Context) {
	if c, ok := ctx.Value(gateKey{}).(*waitingConn); ok {
		c.leave()
	}
}
