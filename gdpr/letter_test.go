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
	open := Request{ID: 1, Type: RequestAccess, Status: StatusNew}
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
		err := LetterFits(tc.kind, tc.r)
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
