package gdpr

import (
	"strings"
	"testing"
	"time"
)

// TestConsentRecordValidate checks that a consent record names its purpose
// and time: Art. 7(1) asks the controller to show that the person consented,
// and Art. 6(1)(a) consent is "for one or more specific purposes".
func TestConsentRecordValidate(t *testing.T) {
	at := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		rec     ConsentRecord
		wantErr string
	}{
		{"grant", ConsentRecord{Purpose: "email marketing", Granted: true, At: at, Method: "webform", PolicyVersion: 2, ConsentVersion: 1}, ""},
		{"withdrawal", ConsentRecord{Purpose: "email marketing", At: at, Method: "optout_link"}, ""},
		{"no purpose", ConsentRecord{Granted: true, At: at}, "purpose"},
		{"blank purpose", ConsentRecord{Purpose: " \t", Granted: true, At: at}, "purpose"},
		{"no time", ConsentRecord{Purpose: "email marketing", Granted: true}, "time"},
	}
	for _, tt := range tests {
		err := tt.rec.Validate()
		checkErr(t, tt.name+": Validate()", err, tt.wantErr)
	}
}

// TestConsentHasProof checks that only a grant naming the consent wording
// version in force shows the wording agreed to (Art. 7(1)).
func TestConsentHasProof(t *testing.T) {
	tests := []struct {
		rec  ConsentRecord
		want bool
	}{
		{ConsentRecord{Granted: true, PolicyVersion: 1}, false},
		{ConsentRecord{Granted: true, PolicyVersion: 3, ConsentVersion: 2}, true},
		{ConsentRecord{Granted: true}, false},
		{ConsentRecord{Granted: true, ConsentVersion: 2}, true},
		{ConsentRecord{Granted: false, ConsentVersion: 1}, false},
	}
	for _, tt := range tests {
		if got := tt.rec.HasProof(); got != tt.want {
			t.Errorf("%+v.HasProof() = %v, want %v", tt.rec, got, tt.want)
		}
	}
}

// TestConsentWithoutProofArt7 checks the measure behind checklist item
// consent-proof (SPEC §9): a consent basis (Art. 6(1)(a)) counts as proven
// only when a granted, not withdrawn record with a consent-wording version
// exists for it (Art. 7(1)); a withdrawal ends the proof (Art. 7(3)).
func TestConsentWithoutProofArt7(t *testing.T) {
	consent := []BasisAssignment{{Basis: BasisConsent, Source: "webform"}}
	forNewsletter := []BasisAssignment{{Basis: BasisConsent, Purpose: "newsletter", Source: "consent"}}
	forBoth := []BasisAssignment{{Basis: BasisConsent, Purpose: "newsletter"}, {Basis: BasisConsent, Purpose: "offers"}}
	contract := []BasisAssignment{{Basis: BasisContract, Source: "purchase"}}
	proven := ConsentRecord{Purpose: "newsletter", Granted: true, ConsentVersion: 1, PolicyVersion: 2, At: date(2026, 1, 5)}
	policyOnly := ConsentRecord{Purpose: "newsletter", Granted: true, PolicyVersion: 2, At: date(2026, 1, 5)}
	unversioned := ConsentRecord{Purpose: "newsletter", Granted: true, At: date(2026, 1, 5)}
	withdrawn := ConsentRecord{Purpose: "newsletter", Granted: false, PolicyVersion: 2, At: date(2026, 1, 6)}
	offers := ConsentRecord{Purpose: "offers", Granted: true, ConsentVersion: 1, At: date(2026, 1, 7)}
	tests := []struct {
		name     string
		bases    []BasisAssignment
		consents []ConsentRecord
		want     bool
	}{
		{"consent with proof", consent, []ConsentRecord{proven}, false},
		{"consent without records", consent, nil, true},
		{"consent with an unversioned record", consent, []ConsentRecord{unversioned}, true},
		{"consent with only a withdrawal", consent, []ConsentRecord{withdrawn}, true},
		{"a policy version is not the consent wording", consent, []ConsentRecord{policyOnly}, true},
		{"proven, then withdrawn", consent, []ConsentRecord{proven, withdrawn}, true},
		{"purpose basis with its proof", forNewsletter, []ConsentRecord{proven}, false},
		{"purpose basis, proof for another purpose", forNewsletter, []ConsentRecord{offers}, true},
		{"purpose basis, its consent withdrawn", forNewsletter, []ConsentRecord{proven, withdrawn, offers}, true},
		{"two purposes, one unproven", forBoth, []ConsentRecord{unversioned, offers}, true},
		{"two purposes, both proven", forBoth, []ConsentRecord{proven, offers}, false},
		{"contract needs no consent proof", contract, nil, false},
		{"no basis at all", nil, nil, false},
	}
	for _, tt := range tests {
		c := Contact{Bases: tt.bases, Consents: tt.consents}
		if got := c.ConsentWithoutProof(); got != tt.want {
			t.Errorf("%s: ConsentWithoutProof() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestConsentGiven checks that withdrawal is as easy as granting and that
// the latest record for a purpose decides, while the history is kept
// (Art. 7(3)).
func TestConsentGiven(t *testing.T) {
	t1 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	t3 := t2.Add(time.Hour)
	grant := func(p string, at time.Time) ConsentRecord { return ConsentRecord{Purpose: p, Granted: true, At: at} }
	withdraw := func(p string, at time.Time) ConsentRecord { return ConsentRecord{Purpose: p, Granted: false, At: at} }
	tests := []struct {
		name    string
		history []ConsentRecord
		purpose string
		want    bool
	}{
		{"no history", nil, "newsletter", false},
		{"granted", []ConsentRecord{grant("newsletter", t1)}, "newsletter", true},
		{"granted then withdrawn", []ConsentRecord{grant("newsletter", t1), withdraw("newsletter", t2)}, "newsletter", false},
		{"withdrawn then granted again", []ConsentRecord{grant("newsletter", t1), withdraw("newsletter", t2), grant("newsletter", t3)}, "newsletter", true},
		{"other purpose withdrawn", []ConsentRecord{grant("newsletter", t1), withdraw("profiling", t2)}, "newsletter", true},
		{"other purpose granted", []ConsentRecord{grant("profiling", t1)}, "newsletter", false},
		{"history out of order: the later grant stands", []ConsentRecord{grant("newsletter", t2), withdraw("newsletter", t1)}, "newsletter", true},
		{"history out of order: the later withdrawal stands", []ConsentRecord{withdraw("newsletter", t3), grant("newsletter", t1)}, "newsletter", false},
		{"same instant: the later record stands", []ConsentRecord{grant("newsletter", t1), withdraw("newsletter", t1)}, "newsletter", false},
	}
	for _, tt := range tests {
		before := append([]ConsentRecord(nil), tt.history...)
		if got := ConsentGiven(tt.history, tt.purpose); got != tt.want {
			t.Errorf("%s: ConsentGiven(%q) = %v, want %v", tt.name, tt.purpose, got, tt.want)
		}
		for i := range before {
			if before[i] != tt.history[i] {
				t.Errorf("%s: ConsentGiven changed the history", tt.name)
			}
		}
	}
}

// TestParsePolicyKind checks the two kinds of versioned text.
func TestParsePolicyKind(t *testing.T) {
	tests := []struct {
		in   string
		want PolicyKind
		ok   bool
	}{
		{"privacy_policy", PolicyPrivacy, true},
		{" Consent_Text ", PolicyConsent, true},
		{"privacy", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := ParsePolicyKind(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePolicyKind(%q) = %q, %v; want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestPolicyVersionHash checks that each version of the privacy policy and
// consent wording keeps a SHA-256 of its text, so the exact wording a person
// agreed to can be shown and any later change detected (Art. 7(1)).
func TestPolicyVersionHash(t *testing.T) {
	// Known SHA-256 values (FIPS 180-2 test vectors).
	vectors := []struct{ text, sum string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, v := range vectors {
		if got := TextSHA256(v.text); got != v.sum {
			t.Errorf("TextSHA256(%q) = %s, want %s", v.text, got, v.sum)
		}
	}

	local := time.FixedZone("UTC+1", 3600)
	eff := time.Date(2026, 1, 1, 0, 0, 0, 0, local)
	p := NewPolicyVersion(PolicyPrivacy, 3, "abc", eff)
	if p.Kind != PolicyPrivacy || p.Version != 3 || p.Text != "abc" || p.SHA256 != vectors[1].sum {
		t.Errorf("NewPolicyVersion = %+v", p)
	}
	if !p.EffectiveAt.Equal(eff) || p.EffectiveAt.Location() != time.UTC {
		t.Errorf("EffectiveAt = %v, want %v in UTC", p.EffectiveAt, eff)
	}

	tests := []struct {
		name    string
		edit    func(p *PolicyVersion)
		wantErr bool
	}{
		{"untouched", func(p *PolicyVersion) {}, false},
		{"text changed", func(p *PolicyVersion) { p.Text = "abd" }, true},
		{"trailing space added", func(p *PolicyVersion) { p.Text += " " }, true},
		{"hash changed", func(p *PolicyVersion) { p.SHA256 = strings.Repeat("0", 64) }, true},
		{"hash upper-cased", func(p *PolicyVersion) { p.SHA256 = strings.ToUpper(p.SHA256) }, true},
		{"hash missing", func(p *PolicyVersion) { p.SHA256 = "" }, true},
	}
	for _, tt := range tests {
		v := NewPolicyVersion(PolicyConsent, 2, "I agree to receive the newsletter.", eff)
		tt.edit(&v)
		err := v.Verify()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: Verify() = %v, want error %v", tt.name, err, tt.wantErr)
		}
		if err != nil && !(strings.Contains(err.Error(), "consent_text") && strings.Contains(err.Error(), "version 2")) {
			t.Errorf("%s: Verify() error %q does not name the text and version", tt.name, err)
		}
	}
}

// TestInForce checks which version of a text was in force at a moment, so a
// consent record can name the wording the person saw (Art. 7(1)).
func TestInForce(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	versions := []PolicyVersion{
		NewPolicyVersion(PolicyPrivacy, 2, "privacy v2", d(2025, 1, 1)),
		NewPolicyVersion(PolicyConsent, 1, "consent v1", d(2024, 6, 1)),
		NewPolicyVersion(PolicyPrivacy, 1, "privacy v1", d(2024, 1, 1)),
		NewPolicyVersion(PolicyPrivacy, 3, "privacy v3", d(2026, 1, 1)),
		NewPolicyVersion(PolicyConsent, 2, "consent v2 (same day, corrected)", d(2024, 6, 1)),
	}
	tests := []struct {
		name        string
		kind        PolicyKind
		at          time.Time
		wantVersion int // 0: none in force
	}{
		{"before the first", PolicyPrivacy, d(2023, 12, 31), 0},
		{"on the first day", PolicyPrivacy, d(2024, 1, 1), 1},
		{"between", PolicyPrivacy, d(2024, 12, 31).Add(23 * time.Hour), 1},
		{"at the second", PolicyPrivacy, d(2025, 1, 1), 2},
		{"after the last", PolicyPrivacy, d(2030, 1, 1), 3},
		{"other kind not mixed in", PolicyConsent, d(2024, 3, 1), 0},
		{"same effective time: higher version", PolicyConsent, d(2024, 6, 2), 2},
		{"unknown kind", PolicyKind("terms"), d(2030, 1, 1), 0},
	}
	for _, tt := range tests {
		got, ok := InForce(versions, tt.kind, tt.at)
		if ok != (tt.wantVersion != 0) || (ok && (got.Version != tt.wantVersion || got.Kind != tt.kind)) {
			t.Errorf("%s: InForce(%s, %s) = v%d %s, %v; want v%d", tt.name, tt.kind, tt.at.Format(time.RFC3339), got.Version, got.Kind, ok, tt.wantVersion)
		}
	}
	if _, ok := InForce(nil, PolicyPrivacy, d(2030, 1, 1)); ok {
		t.Errorf("InForce on no versions reported one in force")
	}
}
