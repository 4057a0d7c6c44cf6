package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/gdprdesk/gdprdesk/gdpr"
	demofill "github.com/gdprdesk/gdprdesk/internal/demo"
	"github.com/gdprdesk/gdprdesk/store"
)

// testNow is the fixed clock of every UI test, so screens are golden.
var testNow = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// namedStore shows a fixed data directory name, so golden screens do not
// depend on the temporary directory.
type namedStore struct{ *store.Store }

func (namedStore) Dir() string { return "/srv/gdprdesk" }

// openDemo makes a demo store of n contacts in a new directory.
func openDemo(tb testing.TB, n int) *store.Store {
	tb.Helper()
	dir := tb.TempDir()
	s, err := store.Open(dir, store.Options{Now: fixedNow})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if n > 0 {
		if err := demofill.FillDemo(context.Background(), s, demofill.DemoOptions{Contacts: n, Seed: 1, Operator: "owner", Now: fixedNow}); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// withNewsletter registers a consent purpose for marketing, so consent
// can be recorded (SPEC §9: consent is given per purpose).
func withNewsletter(tb testing.TB, s *store.Store) {
	tb.Helper()
	if err := s.SavePurpose("owner", gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true}); err != nil {
		tb.Fatal(err)
	}
}

// testRoot holds what the package's tests share on disk: the shared demo
// store and the default export directory. TestMain makes it and removes it
// afterwards, so a test run leaves nothing in the temporary directory.
var testRoot string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gdprdesk-ui-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ui tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(filepath.Join(dir, "exports"), 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "ui tests:", err)
		return 1
	}
	testRoot = dir
	return m.Run()
}

// sharedDemo is one 2,000-contact demo store for the tests that only read,
// made on first use under testRoot.
type sharedDemo struct {
	once sync.Once
	dir  string
	err  error
}

func (d *sharedDemo) open(tb testing.TB) *store.Store {
	tb.Helper()
	d.once.Do(func() {
		d.dir = filepath.Join(testRoot, "demo")
		s, err := store.Open(d.dir, store.Options{Now: fixedNow})
		if err != nil {
			d.err = err
			return
		}
		d.err = demofill.FillDemo(context.Background(), s, demofill.DemoOptions{Contacts: 2000, Seed: 1, Operator: "owner", Now: fixedNow})
		if err := s.Close(); d.err == nil {
			d.err = err
		}
	})
	if d.err != nil {
		tb.Fatal(d.err)
	}
	s, err := store.Open(d.dir, store.Options{Now: fixedNow})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func newTestModel(s *store.Store, opts ...func(*Options)) *Model {
	// The machine's zone is fixed too: UTC, unless the timezone setting says otherwise.
	o := Options{Store: namedStore{s}, Operator: "owner", Now: fixedNow, ExportDir: filepath.Join(testRoot, "exports"), Zone: time.UTC}
	for _, f := range opts {
		f(&o)
	}
	return New(o)
}

// driver runs the model the way Bubble Tea does, but synchronously: every
// command runs, and its message is fed back, until nothing is pending.
// Cursor blinks are dropped so a focused input does not tick forever.
type driver struct {
	tb   testing.TB
	m    *Model
	quit bool
	// hook, when set, sees every message before the model does and may
	// press keys at that moment (to cancel a run midway, say).
	hook func(msg tea.Msg) []string
}

func drive(tb testing.TB, m *Model, w, h int) *driver {
	tb.Helper()
	d := &driver{tb: tb, m: m}
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.run(m.Init())
	return d
}

func (d *driver) send(msgs ...tea.Msg) {
	d.tb.Helper()
	for _, msg := range msgs {
		_, cmd := d.m.Update(msg)
		d.run(cmd)
	}
}

// keys sends key presses: single characters, or names like "enter".
func (d *driver) keys(keys ...string) {
	d.tb.Helper()
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

// typeText sends each rune of s as a key press.
func (d *driver) typeText(s string) {
	d.tb.Helper()
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func (d *driver) run(cmd tea.Cmd) {
	d.tb.Helper()
	if cmd == nil {
		return
	}
	results := make(chan tea.Msg, 64)
	pending := 0
	var mu sync.Mutex
	running := map[string]bool{} // goroutine ids of this run's commands
	start := func(c tea.Cmd) {
		if c == nil {
			return
		}
		pending++
		go func() {
			id := goroutineID()
			mu.Lock()
			running[id] = true
			mu.Unlock()
			msg := c()
			mu.Lock()
			delete(running, id)
			mu.Unlock()
			results <- msg
		}()
	}
	var handle func(msg tea.Msg)
	handle = func(msg tea.Msg) {
		if msg == nil {
			return
		}
		switch msg := msg.(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				start(c)
			}
			return
		case tea.QuitMsg:
			d.quit = true
			return
		}
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
			for i := range v.Len() { // a sequence: in order
				if c := v.Index(i).Interface().(tea.Cmd); c != nil {
					handle(c())
				}
			}
			return
		}
		if strings.HasPrefix(fmt.Sprintf("%T", msg), "cursor.") {
			return
		}
		if d.hook != nil {
			inner := msg
			if io, ok := msg.(ioMsg); ok {
				inner = io.msg
			}
			for _, k := range d.hook(inner) {
				_, c := d.m.Update(keyMsg(k))
				start(c)
			}
		}
		_, next := d.m.Update(msg)
		start(next)
	}
	start(cmd)
	deadline := time.Now().Add(30 * time.Second)
	for pending > 0 {
		select {
		case msg := <-results:
			pending--
			handle(msg)
		case <-time.After(5 * time.Millisecond):
			// What is left may be only timers (a cursor's blink): stop
			// waiting once every pending command is blocked in one.
			mu.Lock()
			ids := make(map[string]bool, len(running))
			for id := range running {
				ids[id] = true
			}
			mu.Unlock()
			if d.m.c.inflight.Load() == 0 && len(results) == 0 && len(ids) == pending && timersOnly(ids) {
				return
			}
			if time.Now().After(deadline) {
				d.tb.Fatalf("%d commands did not finish", pending)
			}
		}
	}
}

// timersOnly reports whether the given goroutines (this run's pending
// commands) are all blocked in Bubble Tea timers (Tick, Every, a cursor
// blink), from the goroutines' stacks. Timers left by earlier runs do not
// count: only the ids given are looked at.
func timersOnly(ids map[string]bool) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	timers := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		id, _, _ := strings.Cut(strings.TrimPrefix(g, "goroutine "), " ")
		if ids[id] && (strings.Contains(g, "bubbletea/v2.Tick.func") || strings.Contains(g, "bubbletea/v2.Every.func") || strings.Contains(g, "bubbles/v2/cursor.(*Model).Blink.func")) {
			timers++
		}
	}
	return timers == len(ids)
}

// goroutineID is the running goroutine's number, from its stack header.
func goroutineID() string {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf[:n]), "goroutine "), " ")
	return id
}

// screen is what the terminal shows, without colours.
func (d *driver) screen() string { return ansi.Strip(d.m.render()) }

func (d *driver) mustShow(texts ...string) {
	d.tb.Helper()
	out := d.screen()
	for _, t := range texts {
		if !strings.Contains(out, t) {
			d.tb.Fatalf("the screen does not show %q:\n%s", t, out)
		}
	}
}

// pickConsentPurpose moves the consent dialog's purpose select to the
// named purpose: the options are the register's consent purposes, in order.
func pickConsentPurpose(tb testing.TB, d *driver, s *store.Store, name string) {
	tb.Helper()
	ps, err := s.Purposes()
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range consentPurposes(ps) {
		if p.Name == name {
			return
		}
		d.keys("down")
	}
	tb.Fatalf("no consent purpose %q in the register", name)
}

// pickWithdrawPurpose moves the withdrawal dialog's select to the named
// purpose: the options are the contact's standing purposes, in order.
func pickWithdrawPurpose(tb testing.TB, d *driver, s *store.Store, id gdpr.ContactID, name string) {
	tb.Helper()
	c, err := s.Contact(id)
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range c.WithdrawablePurposes() {
		if p == name {
			return
		}
		if p != "" {
			d.keys("down")
		}
	}
	tb.Fatalf("%s holds no consent to withdraw for %q", id, name)
}
