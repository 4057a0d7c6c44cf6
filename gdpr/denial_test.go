package gdpr

import (
	"errors"
	"slices"
	"testing"
)

// TestDenialGroundsByType: SPEC §9 "Denials, by type" — access and
// portability: Art. 12(5), Art. 15(4), Art. 23; erasure: Art. 17(3)(a)–(e)
// (and Art. 17(1) not yet applying); portability also Art. 20(1);
// objection to processing: Art. 21(1); objection to marketing: never.
func TestDenialGroundsByType(t *testing.T) {
	cases := []struct {
		r       Request
		has     []DenialGround
		hasNot  []DenialGround
		noneAll bool
	}{
		{r: Request{Type: RequestAccess}, has: []DenialGround{GroundUnfounded, GroundRightsOfOthers, GroundNationalLaw}, hasNot: []DenialGround{GroundNotPortable, GroundLegalClaims}},
		{r: Request{Type: RequestPortability}, has: []DenialGround{GroundUnfounded, GroundRightsOfOthers, GroundNationalLaw, GroundNotPortable}},
		{r: Request{Type: RequestErasure}, has: []DenialGround{GroundExpression, GroundLegalObligation, GroundPublicHealth, GroundArchiving, GroundLegalClaims, GroundStillNeeded}, hasNot: []DenialGround{GroundRightsOfOthers}},
		{r: Request{Type: RequestObjection, Scope: ScopeProcessing}, has: []DenialGround{GroundCompelling}},
		{r: Request{Type: RequestObjection, Scope: ScopeMarketing}, noneAll: true},
	}
	for _, c := range cases {
		gs := DenialGrounds(c.r)
		if c.noneAll && len(gs) != 0 {
			t.Errorf("%s %s: grounds %v, want none (Art. 21(3))", c.r.Type, c.r.Scope, gs)
		}
		for _, g := range c.has {
			if !slices.Contains(gs, g) {
				t.Errorf("%s: %s (%s) missing", c.r.Type, g, g.Article())
			}
		}
		for _, g := range c.hasNot {
			if slices.Contains(gs, g) {
				t.Errorf("%s: %s must not be a ground", c.r.Type, g)
			}
		}
	}
	for _, g := range allGrounds() {
		if g.Article() == "" || g.Label() == string(g) {
			t.Errorf("ground %s has no article or words", g)
		}
		if p, err := ParseDenialGround(string(g)); err != nil || p != g {
			t.Errorf("ParseDenialGround(%s) = %s, %v", g, p, err)
		}
	}
	if _, err := ParseDenialGround("because"); err == nil {
		t.Error("an unknown ground was read")
	}
}

// TestCheckDenial: a denial needs a ground of its type and a written
// reason (Art. 12(4)); an objection to marketing is never refused
// (Art. 21(3)); "not portable" only without consent or contract
// (Art. 20(1)(a)).
func TestCheckDenial(t *testing.T) {
	consent := &Contact{Bases: []BasisAssignment{{Basis: BasisConsent}}}
	legit := &Contact{Bases: []BasisAssignment{{Basis: BasisLegitimateInterests}}}
	cases := []struct {
		name   string
		r      Request
		g      DenialGround
		reason string
		c      *Contact
		want   string
	}{
		{"marketing objection (Art. 21(3))", Request{Type: RequestObjection, Scope: ScopeMarketing}, GroundUnfounded, "spam", nil, "never be refused"},
		{"no ground", Request{Type: RequestAccess}, "", "x", nil, "needs a ground"},
		{"no reason", Request{Type: RequestAccess}, GroundUnfounded, " ", nil, "written reason"},
		{"national law needs the law named (Art. 23)", Request{Type: RequestAccess}, GroundNationalLaw, "", nil, "Art. 23"},
		{"compelling grounds set out (Art. 21(1))", Request{Type: RequestObjection, Scope: ScopeProcessing}, GroundCompelling, "", nil, "Art. 21(1)"},
		{"erasure ground on access", Request{Type: RequestAccess}, GroundLegalClaims, "invoice", nil, "no ground to refuse"},
		{"erasure for legal claims (Art. 17(3)(e))", Request{Type: RequestErasure}, GroundLegalClaims, "unpaid invoice 2026-014", nil, ""},
		{"access, rights of others (Art. 15(4))", Request{Type: RequestAccess}, GroundRightsOfOthers, "names a colleague", nil, ""},
		{"portability on consent (Art. 20(1))", Request{Type: RequestPortability}, GroundNotPortable, "x", consent, "portability applies"},
		{"portability on legitimate interests (Art. 20(1))", Request{Type: RequestPortability}, GroundNotPortable, "legitimate interests only", legit, ""},
		{"objection to processing with grounds", Request{Type: RequestObjection, Scope: ScopeProcessing}, GroundCompelling, "fraud prevention outweighs", nil, ""},
	}
	for _, c := range cases {
		checkErr(t, c.name, CheckDenial(c.r, c.g, c.reason, c.c), c.want)
	}
	if err := CheckDenial(Request{Type: RequestObjection, Scope: ScopeMarketing}, "", "", nil); !errors.Is(err, ErrNeverDenied) {
		t.Errorf("marketing objection: %v, want ErrNeverDenied", err)
	}
}

// TestIdentityNotEstablishedGroundArt12 checks the ground of Art. 12(2)
// second sentence with Art. 11(2) and 12(6): a request whose maker could
// not be identified, and who gave nothing further, may be refused — any
// request but an objection to direct marketing, which takes effect
// whoever asked (Art. 21(3)).
func TestIdentityNotEstablishedGroundArt12(t *testing.T) {
	for _, r := range []Request{{Type: RequestAccess}, {Type: RequestPortability}, {Type: RequestErasure},
		{Type: RequestRectification}, {Type: RequestRestriction}, {Type: RequestObjection, Scope: ScopeProcessing}} {
		if !slices.Contains(DenialGrounds(r), GroundIdentity) {
			t.Errorf("%s %s: %s is no ground", r.Type, r.Scope, GroundIdentity)
		}
		if err := CheckDenial(r, GroundIdentity, "no reply to two requests for proof", nil); err != nil {
			t.Errorf("%s %s: %v", r.Type, r.Scope, err)
		}
	}
	marketing := Request{Type: RequestObjection, Scope: ScopeMarketing}
	if slices.Contains(DenialGrounds(marketing), GroundIdentity) || CheckDenial(marketing, GroundIdentity, "no proof", nil) == nil {
		t.Error("a marketing objection refused for identity")
	}
	if g, err := ParseDenialGround("identity-not-established"); err != nil || g != GroundIdentity || g.Article() == "" {
		t.Errorf("parse: %s %v", g, err)
	}
}
