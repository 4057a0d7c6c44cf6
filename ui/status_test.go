package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/store"
)

// longDirStore is a store whose data directory has a long name.
type longDirStore struct{ *store.Store }

func (longDirStore) Dir() string {
	return "/home/someone/businesses/the-corner-bakery/compliance/gdprdesk-data"
}

// The status line keeps who, contacts and overdue at 80 columns; the path
// gives way first: shortened from the left, then dropped.
func TestStatusLineDropsThePathFirst(t *testing.T) {
	s := openDemo(t, 0)
	m := newTestModel(s, func(o *Options) { o.Store = longDirStore{s} })
	m.counts = store.Counts{Contacts: 2000, Overdue: 10}
	dir := longDirStore{}.Dir()
	for _, tc := range []struct {
		w        int
		wantPath string // "" when the path is dropped
	}{
		{200, dir},
		{80, "compliance/gdprdesk-data"},
		{60, "…gdprdesk-data"},
		{45, ""},
	} {
		line := ansi.Strip(m.statusLine(tc.w))
		if n := ansi.StringWidth(line); n > tc.w {
			t.Errorf("at %d columns the line is %d wide: %q", tc.w, n, line)
		}
		for _, want := range []string{"owner (admin)", "2,000 contacts", "10 overdue"} {
			if !strings.Contains(line, want) {
				t.Errorf("at %d columns the line lost %q: %q", tc.w, want, line)
			}
		}
		switch {
		case tc.wantPath == "" && strings.Contains(line, "/"):
			t.Errorf("at %d columns the path should be dropped: %q", tc.w, line)
		case tc.wantPath != "" && !strings.Contains(line, tc.wantPath):
			t.Errorf("at %d columns the line should show %q: %q", tc.w, tc.wantPath, line)
		}
		if tc.w == 200 && !strings.Contains(line, dir) {
			t.Errorf("at 200 columns the whole path should show: %q", line)
		}
		if tc.w < 200 && tc.wantPath != "" && !strings.Contains(line, "…") {
			t.Errorf("at %d columns the shortened path should start with …: %q", tc.w, line)
		}
	}
}
