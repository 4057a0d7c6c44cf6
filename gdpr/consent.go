package gdpr

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// ConsentRecord is one grant or withdrawal of consent for a purpose (Art. 7):
// the controller must be able to show that, when and to which wording the
// person consented. Withdrawal is a record of its own and never deletes the
// history (Art. 7(3)).
type ConsentRecord struct {
	Purpose string    `json:"purpose"`
	Granted bool      `json:"granted"` // false: withdrawn
	At      time.Time `json:"at"`
	Method  string    `json:"method"` // where and how, e.g. "webform:newsletter, double opt-in"
	// Marketing copies the purpose's marketing flag at the moment of the
	// record, so eligibility is read from the contact alone.
	Marketing bool `json:"marketing,omitempty"`
	// ConsentVersion and PolicyVersion name the texts in force at that moment
	// (0: not recorded).
	ConsentVersion int `json:"consent_version,omitempty"`
	PolicyVersion  int `json:"policy_version,omitempty"`
}

// Validate checks a consent record before it is stored.
func (c ConsentRecord) Validate() error {
	if strings.TrimSpace(c.Purpose) == "" {
		return fmt.Errorf("consent record needs a purpose (e.g. \"email marketing\")")
	}
	if c.At.IsZero() {
		return fmt.Errorf("consent record for %q needs a time", c.Purpose)
	}
	return nil
}

// HasProof reports whether the record can show the exact wording agreed to
// (Art. 7(1)): a grant naming the consent wording version in force
// (checklist item consent-proof).
func (c ConsentRecord) HasProof() bool { return c.Granted && c.ConsentVersion > 0 }

// ConsentGiven reports whether, after the history in order, consent for the
// purpose stands (the latest record for it is a grant).
func ConsentGiven(history []ConsentRecord, purpose string) bool {
	given := false
	var last time.Time
	for _, r := range history {
		if r.Purpose == purpose && !r.At.Before(last) {
			given, last = r.Granted, r.At
		}
	}
	return given
}

// PolicyKind says which text a policy version is of.
type PolicyKind string

// The versioned texts: the privacy policy and the consent wording.
const (
	PolicyPrivacy PolicyKind = "privacy_policy"
	PolicyConsent PolicyKind = "consent_text"
)

// ParsePolicyKind reads a policy kind ("privacy_policy" or "consent_text").
func ParsePolicyKind(s string) (PolicyKind, error) {
	switch PolicyKind(strings.ToLower(strings.TrimSpace(s))) {
	case PolicyPrivacy:
		return PolicyPrivacy, nil
	case PolicyConsent:
		return PolicyConsent, nil
	}
	return "", fmt.Errorf("unknown policy kind %q: use privacy_policy or consent_text", s)
}

// PolicyVersion is one version of a privacy policy or consent wording, kept
// forever so that the exact text a person agreed to can be shown (Art. 7(1)).
type PolicyVersion struct {
	Kind        PolicyKind `json:"kind"`
	Version     int        `json:"version"` // 1, 2, … per kind
	Text        string     `json:"text"`
	EffectiveAt time.Time  `json:"effective_at"`
	SHA256      string     `json:"sha256"` // hex of the text's SHA-256
}

// NewPolicyVersion builds a version with its hash computed from the text.
func NewPolicyVersion(kind PolicyKind, version int, text string, effective time.Time) PolicyVersion {
	return PolicyVersion{Kind: kind, Version: version, Text: text, EffectiveAt: effective.UTC(), SHA256: TextSHA256(text)}
}

// TextSHA256 is the lower-case hex SHA-256 of a text's UTF-8 bytes.
func TextSHA256(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether the stored hash still matches the text.
func (p PolicyVersion) Verify() error {
	if got := TextSHA256(p.Text); got != p.SHA256 {
		return fmt.Errorf("%s version %d: text does not match its SHA-256 (stored %s, text gives %s)", p.Kind, p.Version, p.SHA256, got)
	}
	return nil
}

// InForce returns the version in force at t: the one with the latest
// effective time not after t. ok is false when none was in force yet.
func InForce(versions []PolicyVersion, kind PolicyKind, t time.Time) (PolicyVersion, bool) {
	var best PolicyVersion
	ok := false
	for _, v := range versions {
		if v.Kind != kind || v.EffectiveAt.After(t) {
			continue
		}
		if !ok || v.EffectiveAt.After(best.EffectiveAt) || (v.EffectiveAt.Equal(best.EffectiveAt) && v.Version > best.Version) {
			best, ok = v, true
		}
	}
	return best, ok
}

// NameVersionsInForce sets the consent wording and privacy policy versions
// a record names to those in force at its time (Art. 7(1): the text the
// person was shown, never a later one); 0 where none was in force.
func (c *ConsentRecord) NameVersionsInForce(versions []PolicyVersion) {
	c.ConsentVersion, c.PolicyVersion = 0, 0
	if v, ok := InForce(versions, PolicyConsent, c.At); ok {
		c.ConsentVersion = v.Version
	}
	if v, ok := InForce(versions, PolicyPrivacy, c.At); ok {
		c.PolicyVersion = v.Version
	}
}
