package cli

import (
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The tag command sets the collector of its own process to tagGCPercent,
// unless GOGC says otherwise, and never the collector of a server that
// carries a tag out for someone (runServed): the server's setting stays.
func TestTagSetsTheCollectorOfItsOwnProcessOnly(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	dir := filepath.Join(t.TempDir(), "D")
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContact("owner", gdpr.Contact{Email: "a@example.org", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	tag := []string{"tag", "--query", "country:DE", "--basis", "contract"}

	sv := &served{store: s, dir: dir, operator: "owner", exportDir: t.TempDir()}
	var out, errb strings.Builder
	if code := runServed(t.Context(), sv, call{args: tag, stdin: strings.NewReader(""), stdout: &out, stderr: &errb},
		time.Now, io.Discard); code != 0 {
		t.Fatalf("served tag: exit %d\n%s", code, errb.String())
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("a tag carried out by the server set its collector to %d, want it left at 100", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		gogc string
		want int
	}{{"", tagGCPercent}, {"100", 100}} {
		t.Setenv("GOGC", c.gogc)
		debug.SetGCPercent(100)
		out.Reset()
		errb.Reset()
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: time.Now}
		if code := a.run(t.Context(), append(tag, "--data", dir)); code != 0 {
			t.Fatalf("tag: exit %d\n%s", code, errb.String())
		}
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("GOGC=%q: the tag set its collector to %d, want %d", c.gogc, got, c.want)
		}
	}
}
