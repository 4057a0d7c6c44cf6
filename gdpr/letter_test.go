package gdpr

import (
	"strings"
	"testing"
	"time"
)

// TestLetterLanguage checks the rule of SPEC §11: the contact's language,
// else their country's, else the default, else English.
func TestLetterLanguage(t *testing.T) {
	for _, tc := range []struct{ lang, country, def, want string }{
		{"de", "FR", "en", "de"},
		{"de-AT", "", "", "de"},
		{"pt_BR", "", "", "pt"},
		{"PL", "", "", "pl"},
		{"sv", "DE", "fr", "de"}, // Swedish is no letter language: the country decides
		{"", "AT", "", "de"},
		{"", "ch", "", "de"},
		{"", "BE", "", "nl"},
		{"", "LU", "", "fr"},
		{"", "MC", "", "fr"},
		{"", "SM", "", "it"},
		{"", "BR", "", "pt"},
		{"", "MX", "", "es"},
		{"", "PL", "", "pl"},
		{"", "GB", "de", "en"}, // English-speaking countries write English, whatever the default
		{"", "IE", "de", "en"},
		{"", "MT", "fr", "en"},
		{"", "US", "de", "en"},
		{"", "CA", "fr", "en"},
		{"", "AU", "de", "en"},
		{"", "NZ", "de", "en"},
		{"", "SE", "it", "it"}, // no letter language for Sweden: the default
		{"", "", "nl-BE", "nl"},
		{"", "", "sv", "en"},
		{"", "", "", "en"},
		{"not a tag!", "", "es", "es"},
	} {
		if got := LetterLanguage(tc.lang, tc.country, tc.def); got != tc.want {
			t.Errorf("LetterLanguage(%q, %q, %q) = %q, want %q", tc.lang, tc.country, tc.def, got, tc.want)
		}
	}
	if _, err := NormalizeLetterLanguage("sv"); err == nil {
		t.Error("Swedish accepted as a letter language")
	}
	if l, err := NormalizeLetterLanguage("fr-CA"); err != nil || l != "fr" {
		t.Errorf("fr-CA: %q %v", l, err)
	}
}

// TestLetterFitsRequestStepArt12 checks which letter fits which step:
// refusal only for a denial (Art. 12(4)), extension only once extended
// (Art. 12(3)), identity only while unconfirmed (Art. 12(6)).
func TestLetterFitsRequestStepArt12(t *testing.T) {
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	open := Request{ID: 1, Type: RequestAccess, Status: StatusNew, Due: now.AddDate(0, 1, 0)}
	verified := open
	verified.Verified = &Verification{How: "id card", At: now}
	extended := open
	extended.Extension = &Extension{Reason: "many", Due: now.AddDate(0, 2, 0)}
	denied := Request{ID: 2, Type: RequestErasure, Status: StatusDenied}
	done := Request{ID: 3, Type: RequestErasure, Status: StatusCompleted}
	linked := open
	linked.ExportSHA256 = strings.Repeat("a", 64)
	for _, tc := range []struct {
		kind LetterKind
		r    Request
		ok   bool
		why  string
	}{
		{LetterAck, open, true, ""},
		{LetterAck, done, false, "open request"},
		{LetterIdentity, open, true, ""},
		{LetterIdentity, verified, false, "already confirmed"},
		{LetterExtension, open, false, "not extended"},
		{LetterExtension, extended, true, ""},
		{LetterRefusal, open, false, "not denied"},
		{LetterRefusal, denied, true, ""},
		{LetterCompletion, done, true, ""},
		{LetterCompletion, denied, false, "refusal"},
		{LetterCompletion, open, false, "no package"},
		{LetterCompletion, linked, true, ""},
		{LetterCompletion, Request{ID: 4, Type: RequestErasure, Status: StatusInProgress}, false, "completed request"},
		{LetterBreach, open, false, "breach"},
	} {
		err := LetterFits(tc.kind, tc.r, nil, now)
		if (err == nil) != tc.ok || (err != nil && !strings.Contains(err.Error(), tc.why)) {
			t.Errorf("%s for %+v: %v", tc.kind, tc.r.Status, err)
		}
	}
	if _, err := ParseLetterKind("Refusal"); err != nil {
		t.Error(err)
	}
	if _, err := ParseLetterKind("reminder"); err == nil {
		t.Error("unknown kind accepted")
	}
}

// TestAckFitsOnlyWhileItsDateHoldsArt12 checks that an acknowledgement,
// which says the answer comes within one month by the due date (Art.
// 12(3)), is refused once the request was extended (the extension letter
// tells the new date) or its due date has passed (it would state a date
// already gone).
func TestAckFitsOnlyWhileItsDateHoldsArt12(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	open := Request{ID: 1, Type: RequestAccess, Status: StatusNew, Received: Day(now), Due: Day(now).AddDate(0, 1, 0)}
	if err := LetterFits(LetterAck, open, nil, now); err != nil {
		t.Fatalf("ack of a fresh request: %v", err)
	}
	extended := open
	extended.Extension = &Extension{Reason: "many", Due: open.Due.AddDate(0, 2, 0)}
	extended.Due = extended.Extension.Due
	if err := LetterFits(LetterAck, extended, nil, now); err == nil || !strings.Contains(err.Error(), "extension letter") {
		t.Errorf("ack of an extended request: %v", err)
	}
	if err := LetterFits(LetterAck, open, nil, open.Due.AddDate(0, 0, 2)); err == nil || !strings.Contains(err.Error(), "was due on") {
		t.Errorf("ack of an overdue request: %v", err)
	}
}

// TestIdentityLetterNeverForMarketingObjectionArt21 checks that no proof
// of identity is asked of a person objecting to direct marketing: the
// objection takes effect at once (Art. 21(3)), and Art. 12(6) is for a
// reasonable doubt the desk cannot record.
func TestIdentityLetterNeverForMarketingObjectionArt21(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := Request{ID: 5, Type: RequestObjection, Scope: ScopeMarketing, Status: StatusNew, Due: now.AddDate(0, 1, 0)}
	if err := LetterFits(LetterIdentity, r, nil, now); err == nil || !strings.Contains(err.Error(), "Art. 21(3)") {
		t.Errorf("identity letter for a marketing objection: %v", err)
	}
	r.Scope = ScopeProcessing
	if err := LetterFits(LetterIdentity, r, nil, now); err != nil {
		t.Errorf("identity letter for a processing objection: %v", err)
	}
}

// TestCompletionLetterOnlyForDoneEffectArt12 checks that the completion
// letter, which tells the person the action taken (Art. 12(3)), fits only
// when the effect it states was had: erased (Art. 17), restricted
// (Art. 18), processing on legitimate interests stopped (Art. 21(1)),
// the marketing objection on file (Art. 21(3)).
func TestCompletionLetterOnlyForDoneEffectArt12(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	done := func(typ RequestType, scope ObjectionScope) Request {
		return Request{ID: 9, Type: typ, Scope: scope, Contact: 3, Status: StatusCompleted, Due: now}
	}
	active := &Contact{ID: 3, Status: ContactActive}
	li := &Contact{ID: 3, Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisLegitimateInterests}}}
	for _, tc := range []struct {
		name string
		r    Request
		c    *Contact
		ok   bool
	}{
		{"erasure of an active contact", done(RequestErasure, ""), active, false},
		{"erasure of an anonymized contact", done(RequestErasure, ""), &Contact{ID: 3, Status: ContactAnonymized}, true},
		{"erasure of a held contact", done(RequestErasure, ""), &Contact{ID: 3, Status: ContactHeld}, true},
		{"restriction of an active contact", done(RequestRestriction, ""), active, false},
		{"restriction of a restricted contact", done(RequestRestriction, ""), &Contact{ID: 3, Status: ContactRestricted}, true},
		{"processing objection with legitimate interests left", done(RequestObjection, ScopeProcessing), li, false},
		{"processing objection with public task left", done(RequestObjection, ScopeProcessing),
			&Contact{ID: 3, Status: ContactRestricted, Bases: []BasisAssignment{{Basis: BasisPublicTask}}}, false},
		{"processing objection, basis removed", done(RequestObjection, ScopeProcessing),
			&Contact{ID: 3, Status: ContactActive, Bases: []BasisAssignment{{Basis: BasisContract}}}, true},
		{"marketing objection not on file", done(RequestObjection, ScopeMarketing), active, false},
		{"marketing objection on file", done(RequestObjection, ScopeMarketing), &Contact{ID: 3, Status: ContactActive, MarketingObjection: now}, true},
		{"rectification", done(RequestRectification, ""), active, true},
		{"no contact named", Request{ID: 9, Type: RequestErasure, Status: StatusCompleted, SubjectEmail: "x@example.com"}, nil, true},
	} {
		err := LetterFits(LetterCompletion, tc.r, tc.c, now)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if cerr := CompletionDone(tc.r, tc.c); (cerr == nil) != tc.ok {
			t.Errorf("%s: CompletionDone %v", tc.name, cerr)
		}
	}
}

// A message that could not be delivered for a transient reason (RFC 5321
// §4.2.1: a 4yz reply, or no reply at all) goes back to queued; one the
// server refused for good (5yz) is failed; sent is final.
func TestMessageStatesTransientBackToQueuedRFC5321(t *testing.T) {
	allowed := []struct {
		from, to    MessageState
		interrupted bool
	}{
		{MessageQueued, MessageSending, false},
		{MessageFailed, MessageSending, false},
		{MessageSending, MessageSent, false},
		{MessageSending, MessageFailed, false},
		{MessageSending, MessageQueued, false},
		{MessageSending, MessageSending, true},
	}
	for _, c := range allowed {
		if err := CanMoveMessage(c.from, c.to, c.interrupted); err != nil {
			t.Errorf("%s → %s (interrupted %v): %v, want allowed", c.from, c.to, c.interrupted, err)
		}
	}
	refused := []struct{ from, to MessageState }{
		{MessageSent, MessageSending}, {MessageSent, MessageQueued}, {MessageQueued, MessageSent},
		{MessageFailed, MessageQueued}, {MessageQueued, MessageFailed}, {MessageSending, MessageSending},
	}
	for _, c := range refused {
		if err := CanMoveMessage(c.from, c.to, false); err == nil {
			t.Errorf("%s → %s allowed, want refused", c.from, c.to)
		}
	}
}
