package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func addOp(t *testing.T, s *Store, name string, role Role) {
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
	addOp(t, s, "vic", RoleViewer)
	addOp(t, s, "sam", RoleStaff)
	q := mustQuery(t, "country:DE")

	_, err := s.ApplyBasis(context.Background(), "vic", q, BasisChange{Basis: gdpr.BasisConsent, Evidence: "x"}, nil)
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

	if _, err := s.ApplyBasis(context.Background(), "sam", q, BasisChange{Basis: gdpr.BasisConsent, Evidence: "x"}, nil); err != nil {
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
	if err := s.AddOperator("sam", Operator{Name: "eve", Role: RoleAdmin, PublicKey: "k"}); !errors.Is(err, ErrForbidden) {
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
