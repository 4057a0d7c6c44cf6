package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// settings shows the controller's compliance settings: roles, the DPA,
// the privacy policy, recipients, source rules and policy versions.
type settings struct {
	c        *common
	s        gdpr.Settings
	rules    []gdpr.SourceRule
	policies []gdpr.PolicyVersion
	scroll   int
	loaded   bool
}

func newSettings(c *common) *settings { return &settings{c: c} }

func (s *settings) Title() string   { return "Settings" }
func (s *settings) Capturing() bool { return false }
func (s *settings) Busy() string    { return "" }
func (s *settings) Help() []key.Binding {
	k := s.c.keys
	return []key.Binding{k.Up, k.Down}
}

type settingsMsg struct {
	s        gdpr.Settings
	rules    []gdpr.SourceRule
	policies []gdpr.PolicyVersion
	err      error
}

func (s *settings) Init() tea.Cmd { return s.load() }

// load reads what the screen shows, in the background.
func (s *settings) load() tea.Cmd { return s.c.io(s.read) }

func (s *settings) read() tea.Msg {
	var m settingsMsg
	if m.s, m.err = s.c.store.Settings(); m.err != nil {
		return m
	}
	if m.rules, m.err = s.c.store.SourceRules(); m.err != nil {
		return m
	}
	m.policies, m.err = s.c.store.PolicyVersions()
	return m
}

func (s *settings) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case settingsMsg:
		if msg.err != nil {
			return failed("read settings", msg.err)
		}
		s.s, s.rules, s.policies, s.loaded = msg.s, msg.rules, msg.policies, true
	case changedMsg:
		return s.load()
	case tea.KeyPressMsg:
		k := s.c.keys
		switch {
		case key.Matches(msg, k.Up):
			s.scroll = max(s.scroll-1, 0)
		case key.Matches(msg, k.Down):
			s.scroll++
		}
	}
	return nil
}

func (s *settings) View(w, h int) string {
	st := s.c.styles
	if !s.loaded {
		return st.Subtle.Render("loading…")
	}
	x := s.s
	var lines []string
	add := func(l ...string) { lines = append(lines, l...) }
	person := func(role string, p gdpr.Person) string {
		if !p.Filled() {
			return st.Label.Render(fmt.Sprintf("%-18s", role)) + " " + st.Warn.Render("not set")
		}
		return st.Label.Render(fmt.Sprintf("%-18s", role)) + " " + strings.Join(nonBlank(p.Name, p.Email, p.Address), " · ")
	}
	add(st.Header.Render("Roles"),
		person("Controller", x.Controller), person("DPO (Art. 37)", x.DPO),
		person("Security officer", x.CDSO), person("EU rep. (Art. 27)", x.EURep))
	dpa := st.Warn.Render("not signed")
	if x.DPASignedBy != "" {
		dpa = "signed by " + x.DPASignedBy + " on " + x.DPASignedAt.Format("2006-01-02")
	}
	add(st.Label.Render(fmt.Sprintf("%-18s", "DPA (Art. 28)"))+" "+dpa,
		st.Label.Render(fmt.Sprintf("%-18s", "Privacy policy"))+" "+dash(x.PrivacyPolicyURL),
		st.Label.Render(fmt.Sprintf("%-18s", "Purposes"))+" "+dash(x.Purposes),
		st.Label.Render(fmt.Sprintf("%-18s", "Retention"))+" "+dash(x.Retention), "")
	add(st.Header.Render("Recipients (third parties who receive data)"))
	if len(x.Recipients) == 0 {
		add(st.Subtle.Render("  none recorded"))
	}
	for _, r := range x.Recipients {
		add(fmt.Sprintf("  %-24s %-20s %s", r.Name, r.Role, r.Contact))
	}
	add("", st.Header.Render("Source rules (source → lawful basis on import)"))
	if len(s.rules) == 0 {
		add(st.Subtle.Render("  none"))
	}
	for _, r := range s.rules {
		add(fmt.Sprintf("  %-24s → %-20s %s", r.Source, r.Basis.Label(), st.Subtle.Render(r.Evidence)))
	}
	add("", st.Header.Render("Policy and consent-text versions"))
	if len(s.policies) == 0 {
		add(st.Subtle.Render("  none"))
	}
	for _, p := range s.policies {
		add(fmt.Sprintf("  %-15s v%-3d effective %s  sha256 %.16s…", p.Kind, p.Version, p.EffectiveAt.Format("2006-01-02"), p.SHA256))
	}
	s.scroll = min(s.scroll, max(len(lines)-h, 0))
	return strings.Join(lines[s.scroll:], "\n")
}
