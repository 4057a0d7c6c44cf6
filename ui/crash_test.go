package ui

import (
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/store"
)

// panickyStore fails the way a bug would, with personal data in the
// panic's message.
type panickyStore struct{ namedStore }

func (panickyStore) Counts() (store.Counts, error) {
	panic("cannot count anna.schmidt@example.org")
}

// A panic in the UI's store work stops the program with a report that
// names where it happened and holds nothing personal.
func TestPanicLeavesAReportWithoutPersonalData(t *testing.T) {
	s := openDemo(t, 20)
	m := New(Options{Store: panickyStore{namedStore{s}}, Operator: "owner", Now: fixedNow})
	d := drive(t, m, 80, 24)
	if !d.quit {
		t.Fatal("the program did not stop after the panic")
	}
	r := m.Crash()
	if r == "" {
		t.Fatal("no crash report")
	}
	if strings.Contains(r, "anna") || strings.Contains(r, "example.org") {
		t.Fatalf("the report holds the panic's personal message:\n%s", r)
	}
	if !strings.Contains(r, "panic of type string") || !strings.Contains(r, "panickyStore.Counts") {
		t.Fatalf("the report does not say what and where:\n%s", r)
	}
	if v := m.View(); !strings.Contains(v.Content, "internal error") {
		t.Errorf("the last frame is %q", v.Content)
	}
}
