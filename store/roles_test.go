package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func addOp(t *testing.T, s *Store, name string, role gdpr.Role) {
	t.Helper()
	if err := s.AddOperator("owner", Operator{Name: name, Role: role, PublicKey: "ssh-ed25519 AAAA" + name}); err != nil {
		t.Fatal(err)
	}
}

// SPEC §8: a viewer changes nothing, staff cannot anonymize or change
// settings, and every refusal is audited.
func TestRolesAreEnforcedAndRefusalsAudited(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"}, gdpr.Contact{Email: "b@example.org", Country: "DE"})
	addOp(t, s, "vic", gdpr.RoleViewer)
	addOp(t, s, "sam", gdpr.RoleStaff)
	q := mustQuery(t, "country:DE")

	_, err := s.ApplyBasis(context.Background(), "vic", q, BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "x"}, nil)
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer tag: %v, want ErrForbidden", err)
	}
	if n := mustCount(t, s, "basis:consent"); n != 0 {
		t.Fatalf("a refused tag changed %d contacts", n)
	}
	last := allAudit(t, s)
	if e := last[len(last)-1]; e.Action != "access.refused" || e.Operator != "vic" {
		t.Fatalf("last audit entry %s by %s, want access.refused by vic", e.Action, e.Operator)
	}
	if _, err := s.Anonymize("vic", ids[0], AnonymizeOptions{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer anonymize: %v", err)
	}

	if _, err := s.ApplyBasis(context.Background(), "sam", q, BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "x"}, nil); err != nil {
		t.Fatalf("staff tag: %v", err)
	}
	if _, err := s.Anonymize("sam", ids[0], AnonymizeOptions{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("staff anonymize: %v", err)
	}
	if c := mustContact(t, s, ids[0]); c.Status == gdpr.ContactAnonymized {
		t.Fatal("a refused erasure erased")
	}
	if err := s.SaveSettings("sam", gdpr.Settings{PrivacyPolicyURL: "https://x.example"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("staff settings: %v", err)
	}
	if err := s.AddOperator("sam", Operator{Name: "eve", Role: gdpr.RoleAdmin, PublicKey: "k"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("staff adds an operator: %v", err)
	}
	// The owner at the machine (a name that is not registered) may.
	if _, err := s.Anonymize("owner", ids[0], AnonymizeOptions{}); err != nil {
		t.Fatalf("owner anonymize: %v", err)
	}
	checkCounters(t, s, "after refusals")
	checkVerified(t, s)
}

// A store serving remote sessions refuses names that are not operators.
func TestRemoteOnlyRefusesUnregisteredNames(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{RemoteOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateContact("mallory", gdpr.Contact{Email: "m@example.org"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("unregistered create: %v", err)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 0 {
		t.Fatalf("%d contacts after a refused create", n)
	}
}

// Subscribers hear of every commit.
func TestSubscribeSignalsCommits(t *testing.T) {
	s, _ := newStore(t)
	ch, stop := s.Subscribe()
	defer stop()
	mustCreate(t, s, gdpr.Contact{Email: "a@example.org"})
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no signal after a commit")
	}
	stop()
	mustCreate(t, s, gdpr.Contact{Email: "b@example.org"})
	select {
	case <-ch:
		t.Fatal("a signal after the subscription ended")
	default:
	}
}

// The local owner's handle of a store serving remote sessions: an
// unregistered name is the owner, a registered one keeps its role, and
// both handles see the same data.
func TestLocalOwnerHandle(t *testing.T) {
	s, err := Open(t.TempDir(), Options{RemoteOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	owner := s.LocalOwner()
	if _, err := owner.CreateContact("olga", gdpr.Contact{Email: "o@example.org"}); err != nil {
		t.Fatalf("owner create: %v", err)
	}
	if n, _ := s.Count(gdpr.Query{}); n != 1 {
		t.Fatalf("the serving handle sees %d contacts, want 1", n)
	}
	if err := owner.AddOperator("olga", Operator{Name: "vera", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAA"}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.CreateContact("vera", gdpr.Contact{Email: "v@example.org"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer through the owner's handle: %v", err)
	}
	if _, err := s.CreateContact("olga", gdpr.Contact{Email: "x@example.org"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("unregistered name through the serving handle: %v", err)
	}
	if err := s.RecordRefusal("vera", "serve over SSH"); err != nil {
		t.Fatal(err)
	}
	entries, err := s.Audit(AuditFilter{}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var refusals []string
	for _, e := range entries {
		if e.Action == "access.refused" {
			refusals = append(refusals, e.Operator+": "+e.Detail)
		}
	}
	want := []string{"vera: serve over SSH refused: role viewer", "olga: contact.create refused: role unregistered", "vera: contact.create refused: role viewer"}
	if strings.Join(refusals, "\n") != strings.Join(want, "\n") {
		t.Fatalf("refusals:\n%s\nwant:\n%s", strings.Join(refusals, "\n"), strings.Join(want, "\n"))
	}
}

// A request cannot be logged as received after today, from any front end
// (gdpr.Request.ValidateAt): its month (Art. 12(3)) runs from receipt.
func TestAddRequestRefusesAFutureReceipt(t *testing.T) {
	s, clk := newStore(t)
	r := gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelEmail, clk.Now().AddDate(0, 0, 1), nil)
	r.SubjectEmail = "a@example.org"
	if _, err := s.AddRequest("owner", r); err == nil || !strings.Contains(err.Error(), "after today") {
		t.Fatalf("a request received tomorrow: %v", err)
	}
	r = gdpr.NewRequest(gdpr.RequestAccess, gdpr.ChannelEmail, clk.Now(), nil)
	r.SubjectEmail = "a@example.org"
	if _, err := s.AddRequest("owner", r); err != nil {
		t.Fatalf("a request received today: %v", err)
	}
}
