package store

import (
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// A DPIA screening (Art. 35) is stored with its time and operator and
// audited with its outcome in the same commit; the rule book's refusal
// (two criteria met, not needed, no reason) changes nothing.
func TestDPIAScreeningStoredAndAuditedArt35(t *testing.T) {
	s, clk := newStore(t)
	if _, ok, err := s.DPIAScreening(); err != nil || ok {
		t.Fatalf("a new store has a screening: %v %v", ok, err)
	}
	before := len(allAudit(t, s))
	bad := gdpr.DPIAScreening{LargeScale: true, Sensitive: true, Outcome: gdpr.DPIANotNeeded}
	if err := s.SaveDPIAScreening("owner", bad); err == nil {
		t.Fatal("not needed with two criteria and no reason was stored")
	}
	if _, ok, _ := s.DPIAScreening(); ok || len(allAudit(t, s)) != before {
		t.Fatal("a refused screening left a trace")
	}
	bad.Why = "pseudonymised, a few hundred records"
	if err := s.SaveDPIAScreening("owner", bad); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.DPIAScreening()
	if err != nil || !ok || got.By != "owner" || !got.At.Equal(clk.Now().UTC()) || !got.LargeScale || !got.Sensitive || got.Why != bad.Why {
		t.Fatalf("stored screening: %+v %v %v", got, ok, err)
	}
	entries := auditSince(t, s, before)
	if len(entries) != 1 || entries[0].Action != string(gdpr.ActionDPIAScreen) || entries[0].Record != "dpia" ||
		entries[0].Detail != "DPIA not needed (2 of 9 criteria met: sensitive, large-scale)" {
		t.Errorf("audit: %+v", entries)
	}
}

// A balancing test (Art. 6(1)(f)) is dated and signed by whoever records
// it, kept as it was when the purpose changes otherwise, and refused on a
// purpose not on legitimate interests.
func TestBalancingTestDatedArt6_1f(t *testing.T) {
	s, clk := newStore(t)
	p := gdpr.Purpose{Name: "support", Basis: gdpr.BasisLegitimateInterests,
		Balancing: &gdpr.BalancingTest{Interest: "i", Necessity: "n", Balance: "b", Outcome: "passed"}}
	if err := s.SavePurpose("owner", p); err != nil {
		t.Fatal(err)
	}
	first := clk.Now().UTC()
	clk.Set(first.Add(48 * time.Hour))
	got, err := s.Purpose("support")
	if err != nil || got.Balancing == nil || got.Balancing.By != "owner" || !got.Balancing.At.Equal(first) {
		t.Fatalf("stored: %+v %v", got.Balancing, err)
	}
	got.Description = "answering questions"
	if err := s.SavePurpose("other", got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Purpose("support"); again.Balancing.By != "owner" || !again.Balancing.At.Equal(first) {
		t.Errorf("an unrelated change re-signed the test: %+v", again.Balancing)
	}
	got.Balancing = &gdpr.BalancingTest{Interest: "i", Necessity: "n", Balance: "b", Outcome: gdpr.BalancingFailed, Notes: "the opt-out is not enough"}
	if err := s.SavePurpose("other", got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Purpose("support"); again.Balancing.By != "other" || !again.Balancing.At.Equal(first.Add(48*time.Hour)) {
		t.Errorf("a new outcome is not re-signed: %+v", again.Balancing)
	}
	contract := gdpr.Purpose{Name: "orders", Basis: gdpr.BasisContract, Balancing: got.Balancing}
	if err := s.SavePurpose("owner", contract); err == nil {
		t.Error("a balancing test was stored on a contract purpose")
	}
	// A basis changed away keeps the test as it was, as history (the
	// checklist and the records of processing no longer read it).
	moved, _ := s.Purpose("support")
	moved.Basis = gdpr.BasisContract
	if err := s.SavePurpose("owner", moved); err != nil {
		t.Errorf("changing the basis of a weighed purpose: %v", err)
	}
	moved.Balancing = &gdpr.BalancingTest{Interest: "i", Necessity: "n", Balance: "b", Outcome: "failed"}
	if err := s.SavePurpose("owner", moved); err == nil {
		t.Error("a new balancing test was recorded on a contract purpose")
	}
}
