package cli

import (
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Stopping the server tells each terminal session in a last line, and
// logs no error for the sessions it ends (issue 20, item 7).
func TestStopTellsTheSessions(t *testing.T) {
	dir := demoDir(t)
	anna := newOperator(t, dir, "anna", "staff")
	olga := newOperator(t, dir, "olga", "admin")
	addr, stop, log := startServeLog(t, dir)
	screens := map[string]*syncBuffer{}
	var ends []<-chan error
	for name, key := range map[string]gossh.Signer{"anna": anna, "olga": olga} {
		screen, ended := openTUI(t, addr, key)
		screens[name] = screen
		ends = append(ends, ended)
	}
	stop()
	for _, ended := range ends {
		select {
		case <-ended:
		case <-time.After(20 * time.Second):
			t.Fatal("a session still runs after the server stopped")
		}
	}
	for name, screen := range screens {
		if !strings.Contains(screen.String(), "the server is stopping; your work is saved") {
			t.Errorf("%s's session was not told the server stops; its last output: %q", name, tail(screen.String(), 200))
		}
	}
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "ERROR") || strings.Contains(strings.ToLower(line), "with error") {
			t.Errorf("the server logged an error at shutdown: %s", line)
		}
	}
	if !strings.Contains(log.String(), "stopped") {
		t.Errorf("the server's log does not say it stopped:\n%s", log.String())
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
