package gdpr

import (
	"strings"
	"testing"
	"time"
)

// TestErasureBlockers: SPEC §9 "Erasure guards" — another open request of
// the person (Art. 12(2): not to be avoided by erasing), a restriction
// (Art. 18(1)), a legal hold in force (Art. 17(3)(b)); the erasure request
// being answered, erasure requests and closed requests do not block.
func TestErasureBlockers(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	hold := &Hold{Reason: "invoices: 10 years, tax law", Until: now.AddDate(10, 0, 0), Keep: DefaultHoldKeep()}
	ended := &Hold{Reason: "invoices", Until: now.AddDate(0, 0, -1), Keep: DefaultHoldKeep()}
	access := Request{ID: 3, Type: RequestAccess, Contact: 1, Status: StatusNew}
	erasure := Request{ID: 4, Type: RequestErasure, Contact: 1, Status: StatusInProgress}
	closed := Request{ID: 5, Type: RequestAccess, Contact: 1, Status: StatusCompleted}
	cases := []struct {
		name      string
		c         Contact
		open      []Request
		answering RequestID
		want      []BlockerKind
		words     string
	}{
		{"nothing", Contact{ID: 1, Status: ContactActive}, nil, 0, nil, ""},
		{"open access request", Contact{ID: 1, Status: ContactActive}, []Request{access}, 0, []BlockerKind{BlockOpenRequest}, "R3 (access) is still open"},
		{"the erasure request answered", Contact{ID: 1, Status: ContactActive}, []Request{erasure}, 4, nil, ""},
		{"an erasure request not linked", Contact{ID: 1, Status: ContactActive}, []Request{erasure}, 0, nil, ""},
		{"closed request", Contact{ID: 1, Status: ContactActive}, []Request{closed}, 0, nil, ""},
		{"restricted", Contact{ID: 1, Status: ContactRestricted}, nil, 0, []BlockerKind{BlockRestricted}, "Art. 18(1)"},
		{"hold in force", Contact{ID: 1, Status: ContactActive, Hold: hold}, nil, 0, []BlockerKind{BlockHold}, "Art. 17(3)(b)"},
		{"hold ended", Contact{ID: 1, Status: ContactActive, Hold: ended}, nil, 0, nil, ""},
		{"held and asked: the request is answered first", Contact{ID: 1, Status: ContactActive, Hold: hold}, []Request{access}, 0,
			[]BlockerKind{BlockOpenRequest, BlockHold}, "answer it first"},
		{"restricted and held: the restriction is lifted first", Contact{ID: 1, Status: ContactRestricted, Hold: hold}, nil, 0,
			[]BlockerKind{BlockRestricted, BlockHold}, "Art. 18(1)"},
		{"all three", Contact{ID: 1, Status: ContactRestricted, Hold: hold}, []Request{access, erasure}, 4,
			[]BlockerKind{BlockOpenRequest, BlockRestricted, BlockHold}, "answer it first"},
	}
	for _, c := range cases {
		got := ErasureBlockers(&c.c, c.open, c.answering, now)
		var kinds []BlockerKind
		for _, b := range got {
			kinds = append(kinds, b.Kind)
			if !strings.Contains(b.Reason, "Art. ") {
				t.Errorf("%s: reason %q names no article", c.name, b.Reason)
			}
		}
		if strings.Join(kindStrings(kinds), ",") != strings.Join(kindStrings(c.want), ",") {
			t.Errorf("%s: blockers %v, want %v", c.name, kinds, c.want)
		}
		if c.words != "" && !strings.Contains(BlockersText(got), c.words) {
			t.Errorf("%s: %q does not say %q", c.name, BlockersText(got), c.words)
		}
	}
}

func kindStrings(ks []BlockerKind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// TestKeepHeld: Art. 17(3)(b) — a hold keeps the named fields and nothing
// else: emails, phone, notes, custom fields, consents and bases go.
func TestKeepHeld(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	c := Contact{ID: 4, FirstName: "Ida", LastName: "Roth", Email: "ida@example.org", PastEmails: []string{"old@example.org"},
		Phone: "+49 1", Street: "Weg 1", City: "Kiel", PostalCode: "24103", Company: "Roth GmbH", Notes: "n",
		Custom: map[string]string{"k": "v"}, Country: "DE", Tags: []string{"vip"}, Bases: []BasisAssignment{{Basis: BasisContract, Evidence: "e"}},
		Consents: []ConsentRecord{{Purpose: "newsletter", Granted: true}}, Status: ContactActive}
	h := Hold{Reason: "invoices", Until: now.AddDate(10, 0, 0), Keep: DefaultHoldKeep()}
	k := KeepHeld(&c, h, now)
	if k.FirstName != "Ida" || k.LastName != "Roth" || k.Street != "Weg 1" || k.City != "Kiel" || k.PostalCode != "24103" || k.Company != "Roth GmbH" {
		t.Errorf("held fields lost: %+v", k)
	}
	if k.Email != "" || len(k.PastEmails) != 0 || k.Phone != "" || k.Notes != "" || len(k.Custom) != 0 || len(k.Consents) != 0 || len(k.Bases) != 0 || len(k.Tags) != 0 {
		t.Errorf("fields not held were kept: %+v", k)
	}
	if k.Status != ContactHeld || k.HeldLabel() != "erased except held records until "+h.Until.Format(time.DateOnly) || k.Country != "DE" {
		t.Errorf("held contact: status %s, label %q", k.Status, k.HeldLabel())
	}
	if k2 := KeepHeld(&c, Hold{Reason: "r", Until: h.Until, Keep: []string{"email"}}, now); k2.Email != "ida@example.org" || k2.FirstName != "" {
		t.Errorf("keep email only: %+v", k2)
	}
}

// TestHoldRoles: staff may place a hold (keeping what the law requires,
// Art. 17(3)(b)); only an admin releases it, which lets data go.
func TestHoldRoles(t *testing.T) {
	for _, c := range []struct {
		role Role
		a    Action
		ok   bool
	}{
		{RoleStaff, ActionContactHold, true},
		{RoleStaff, ActionContactRelease, false},
		{RoleAdmin, ActionContactRelease, true},
		{RoleViewer, ActionContactHold, false},
		{RoleStaff, ActionContactObject, true},
	} {
		if ok, _ := c.role.May(c.a); ok != c.ok {
			t.Errorf("%s may %s = %v, want %v", c.role, c.a, ok, c.ok)
		}
	}
}
