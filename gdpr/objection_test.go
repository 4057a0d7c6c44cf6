package gdpr

import (
	"testing"
	"time"
)

// TestObjectionScope: Art. 21 — a scope belongs to objections only, and is
// marketing (Art. 21(2)) or processing (Art. 21(1)).
func TestObjectionScope(t *testing.T) {
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	base := Request{Type: RequestObjection, Channel: ChannelEmail, Contact: 1, Received: at}
	cases := []struct {
		name  string
		typ   RequestType
		scope ObjectionScope
		want  string
	}{
		{"marketing", RequestObjection, ScopeMarketing, ""},
		{"processing", RequestObjection, ScopeProcessing, ""},
		{"objection without scope (logged before scopes)", RequestObjection, "", ""},
		{"unknown scope", RequestObjection, "newsletters", "unknown objection scope"},
		{"scope on an access request", RequestAccess, ScopeMarketing, "objections only"},
	}
	for _, c := range cases {
		r := base
		r.Type, r.Scope = c.typ, c.scope
		checkErr(t, c.name+": Validate()", r.Validate(), c.want)
	}
	if _, err := ParseObjectionScope(" Marketing "); err != nil {
		t.Errorf("ParseObjectionScope: %v", err)
	}
}

// TestNeedsIdentityCheck: Art. 12(6) — an objection to marketing and an
// opt-out link need no identity check; other requests do until verified.
func TestNeedsIdentityCheck(t *testing.T) {
	cases := []struct {
		name string
		r    Request
		want bool
	}{
		{"objection to marketing (Art. 21(3))", Request{Type: RequestObjection, Scope: ScopeMarketing, Channel: ChannelEmail}, false},
		{"objection to processing (Art. 21(1))", Request{Type: RequestObjection, Scope: ScopeProcessing, Channel: ChannelEmail}, true},
		{"access by email", Request{Type: RequestAccess, Channel: ChannelEmail}, true},
		{"opt-out link", Request{Type: RequestObjection, Channel: ChannelOptoutLink}, false},
		{"verified access", Request{Type: RequestAccess, Channel: ChannelEmail, Verified: &Verification{How: "reply"}}, false},
	}
	for _, c := range cases {
		if got := c.r.NeedsIdentityCheck(); got != c.want {
			t.Errorf("%s: NeedsIdentityCheck() = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestApplyMarketingObjection: Art. 21(3) — the objection takes effect at
// once, makes the contact not marketable whatever its consent, and the
// first objection stays the one on file.
func TestApplyMarketingObjection(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := Contact{ID: 1, Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisConsent}},
		Consents: []ConsentRecord{{Purpose: "newsletter", Granted: true, Marketing: true, At: at.AddDate(-1, 0, 0)}}}
	if c.MarketingClass() != MarketingConsent {
		t.Fatalf("fixture: class %s", c.MarketingClass())
	}
	if !ApplyMarketingObjection(&c, at) || !c.MarketingObjection.Equal(at) {
		t.Fatalf("first objection not recorded: %v", c.MarketingObjection)
	}
	if c.MarketingClass() != MarketingNo || c.Marketable(Settings{SoftOptIn: true}) {
		t.Errorf("after the objection: class %s, want no", c.MarketingClass())
	}
	if ApplyMarketingObjection(&c, at.Add(time.Hour)) || !c.MarketingObjection.Equal(at) {
		t.Errorf("a second objection replaced the first: %v", c.MarketingObjection)
	}
}
