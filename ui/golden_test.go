package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

var demo sharedDemo

// Each screen, at 80×24 and 120×40, on the deterministic demo store: the
// program runs under teatest, keys are sent as a person would, and the
// final frame (without colours) is compared with testdata/*.golden.
// Refresh with: go test ./ui -run TestGolden -update
func TestGolden(t *testing.T) {
	steps := []goldenStep{
		{"dashboard", nil, "Recent activity"},
		{"contacts", []string{"2"}, "row 1"},
		{"contacts-filtered", []string{"2", "/", "e", "u", ":", "y", "e", "s", " ", "b", "a", "s", "i", "s", ":", "n", "o", "n", "e", "enter"}, "matches · row 1"},
		{"contacts-bad-filter", []string{"2", "/", "f", "o", "o", ":", "b", "a", "r", "enter"}, "foo"},
		{"contacts-marked", []string{"2", "/", "c", "o", "u", "n", "t", "r", "y", ":", "D", "E", "enter", "A"}, "marked (all matching country:DE)"},
		// The mark's message comes from store work: wait for it, so b
		// always finds it there (and clears it, as any key does).
		{"contacts-bulk-form", []string{"2", "A", "@wait:marked every contact", "b"}, "Lawful basis for"},
		{"contact-view", []string{"2", "down", "down", "enter"}, "Lawful bases"},
		{"requests", []string{"3"}, "soonest due first"},
		{"request-view", []string{"3", "enter"}, "History"},
		{"request-new", []string{"3", "n"}, "New request"},
		{"requests-search", []string{"3", "/", "r", "o", "d", "r", "i", "g", "u", "e", "z", "enter"}, "/ rodriguez"},
		{"contact-add", []string{"2", "a"}, "Add a contact"},
		{"checklist-fix", []string{"4", "down", "down"}, "lists the contacts to fix"},
		{"checklist", []string{"4"}, "applicable items done"},
		{"settings", []string{"5"}, "Recipients (third parties"},
		{"audit", []string{"6"}, "newest first"},
		{"help", []string{"2", "?"}, "Everywhere"},
		{"registers", []string{"7"}, "[Purposes (5)]"},
		{"registers-recipients", []string{"7", "right"}, "[Recipients & processors (5)]"},
		{"registers-record", []string{"7", "end", "enter"}, "the full record"},
		{"registers-purpose-form", []string{"7", "a"}, "Add a purpose"},
		{"registers-help", []string{"7", "?"}, "Keys: Registers"},
		{"registers-breaches", []string{"7", "right", "right"}, "[Breaches (2)]"},
		{"registers-breach-form", []string{"7", "right", "right", "a"}, "Record a breach"},
		{"registers-dpia", []string{"7", "right", "right", "right"}, "[DPIA (1)]"},
		{"registers-dpia-form", []string{"7", "right", "right", "right", "c"}, "Screen again for a DPIA"},
		{"registers-ropa-export", []string{"7", "e"}, "Export the records of processing"},
	}
	runGoldenSteps(t, steps)
}

// At 200×50 the dashboard uses the room: three columns, and as many
// requests due and audit entries as the height holds.
func TestGoldenLarge(t *testing.T) {
	runGoldenStepsAt(t, []goldenSize{{200, 50}}, []goldenStep{{"dashboard", nil, "Recent activity"}})
}

// goldenStep is keys pressed on the demo store and the text the screen
// shows once they have taken effect.
type goldenStep struct {
	name string
	keys []string
	wait string
}

// runGoldenSteps runs each step under teatest at 80×24 and 120×40 and
// compares the final frame, without colours, with its golden file.
func runGoldenSteps(t *testing.T, steps []goldenStep) {
	runGoldenStepsAt(t, []goldenSize{{80, 24}, {120, 40}}, steps)
}

type goldenSize struct{ w, h int }

// runGoldenStepsAt is runGoldenSteps at the sizes given.
func runGoldenStepsAt(t *testing.T, sizes []goldenSize, steps []goldenStep) {
	for _, size := range sizes {
		for _, st := range steps {
			t.Run(st.name+"-"+itoa(size.w)+"x"+itoa(size.h), func(t *testing.T) {
				s := demo.open(t)
				tm, p := startProgram(t, newTestModel(s), size.w, size.h)
				p.waitFor(t, tm, "Recent activity")
				for _, k := range st.keys {
					if text, ok := strings.CutPrefix(k, "@wait:"); ok {
						p.waitFor(t, tm, text)
						continue
					}
					tm.Send(keyMsg(k))
				}
				p.waitFor(t, tm, st.wait)
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
				golden.RequireEqual(t, []byte(ansi.Strip(m.render())))
			})
		}
	}
}

// The first screen of an empty store says how to begin.
func TestGoldenWelcome(t *testing.T) {
	s := openDemo(t, 0)
	tm, p := startProgram(t, newTestModel(s), 80, 24)
	p.waitFor(t, tm, "gdprdesk demo")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	golden.RequireEqual(t, []byte(ansi.Strip(m.render())))
}

// probe watches the screen of a running program. The renderer writes only
// the cells that changed, so waiting on its output bytes for a text is
// unreliable; instead a program filter renders the model, in the program's
// own goroutine, whenever a probe message passes.
type probe struct {
	mu     sync.Mutex
	screen string
	idle   bool // no store work was in flight when the screen was drawn
}

type probeMsg struct{}

func startProgram(t *testing.T, m *Model, w, h int) (*teatest.TestModel, *probe) {
	p := &probe{}
	filter := func(m tea.Model, msg tea.Msg) tea.Msg {
		if _, ok := msg.(probeMsg); ok {
			p.mu.Lock()
			p.screen = ansi.Strip(m.(*Model).render())
			p.idle = m.(*Model).c.inflight.Load() == 0
			p.mu.Unlock()
		}
		return msg
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h), teatest.WithProgramOptions(tea.WithFilter(filter)))
	return tm, p
}

// waitFor waits until the screen shows text, no store work is in flight,
// and the screen stays the same over two probes (late messages landed).
func (p *probe) waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		tm.Send(probeMsg{})
		time.Sleep(15 * time.Millisecond)
		p.mu.Lock()
		ok := strings.Contains(p.screen, text) && p.idle && p.screen == last
		last = p.screen
		p.mu.Unlock()
		if ok {
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("the screen did not show %q within 15 s:\n%s", text, p.screen)
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
