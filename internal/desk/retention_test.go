package desk

import (
	"context"
	"errors"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The retention sweep (SPEC §10) erases, in chunks, the contacts whose
// every purpose has lapsed (Art. 5(1)(e)), keeps those with a purpose still
// running, skips an obligation (Art. 17(3)(e)) and a restriction with the
// reason, asks before erasing, and stops between chunks when cancelled;
// running it again finishes the rest.
func TestSweepRetentionChunksGuardsAndCancel(t *testing.T) {
	s := openStore(t)
	if err := s.SavePurpose("owner", gdpr.Purpose{Name: "webinar", Basis: gdpr.BasisConsent, RetentionDays: 183}); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePurpose("owner", gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true}); err != nil {
		t.Fatal(err)
	}
	old := testNow.AddDate(-1, 0, 0)
	n := 2*SweepChunk + 10
	var cs []gdpr.Contact
	for i := range n {
		c := gdpr.Contact{Email: "p" + string(rune('a'+i%26)) + gdpr.ContactID(i).String() + "@example.com", Country: "DE",
			Consents: []gdpr.ConsentRecord{{Purpose: "webinar", Granted: true, At: old, Method: "registration"}}}
		switch {
		case i%50 == 1: // a standing newsletter consent keeps them
			c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: "newsletter", Granted: true, At: old, Method: "form", Marketing: true})
		case i%50 == 2:
			c.Balance = 1200
		case i%50 == 3:
			c.Status = gdpr.ContactRestricted
		}
		cs = append(cs, c)
	}
	create(t, s, cs...)
	kept, owing, restricted := 0, 0, 0
	for i := range n {
		switch i % 50 {
		case 1:
			kept++
		case 2:
			owing++
		case 3:
			restricted++
		}
	}
	lapsed := int64(n - kept)
	erasable := lapsed - int64(owing+restricted)

	rep, err := SweepRetention(context.Background(), s, RetentionOptions{SweepOptions: SweepOptions{Operator: "owner", Now: testNow}})
	if err != nil || rep.Candidates != lapsed || rep.ByPurpose["webinar"] != lapsed || rep.SkippedBy[string(gdpr.BlockObligation)] != int64(owing) ||
		rep.SkippedBy[string(gdpr.BlockRestricted)] != int64(restricted) || rep.Erased != 0 {
		t.Fatalf("listing: %+v %v; want %d lapsed, %d owing, %d restricted", rep, err, lapsed, owing, restricted)
	}
	no := errors.New("not confirmed")
	var asked int64
	_, err = SweepRetention(context.Background(), s, RetentionOptions{SweepOptions: SweepOptions{Operator: "owner", Apply: true, Now: testNow,
		Confirm: func(k int64) error { asked = k; return no }}})
	if !errors.Is(err, no) || asked != erasable {
		t.Fatalf("refused confirmation: %v, asked about %d, want %d", err, asked, erasable)
	}
	if left, _ := s.Count(mustParse(t, "status:anonymized")); left != 0 {
		t.Fatalf("a refused sweep erased %d", left)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep, err = SweepRetention(ctx, s, RetentionOptions{SweepOptions: SweepOptions{Operator: "owner", Apply: true, Now: testNow,
		Progress: func(SweepProgress) { cancel() }}})
	if !errors.Is(err, context.Canceled) || rep.Erased != SweepChunk {
		t.Fatalf("cancelled: %d erased, %v; want the first chunk's %d", rep.Erased, err, SweepChunk)
	}
	rep, err = SweepRetention(context.Background(), s, RetentionOptions{SweepOptions: SweepOptions{Operator: "owner", Apply: true, Now: testNow}})
	if err != nil || rep.Erased != erasable-SweepChunk {
		t.Fatalf("re-run: %d erased, %v; want %d", rep.Erased, err, erasable-SweepChunk)
	}
	if got, _ := s.Count(mustParse(t, "status:anonymized")); got != erasable {
		t.Errorf("%d anonymized, want %d", got, erasable)
	}
	if es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionSweepRecord)}); len(es) != 1 || es[0].Record != "retention" {
		t.Errorf("retention runs audited: %+v, want the one finished run", es)
	}
	if st, _ := s.Settings(); !st.LastSweepAt.IsZero() {
		t.Error("the retention sweep was recorded as the sweep of contacts without a basis")
	}
}

func mustParse(t *testing.T, q string) gdpr.Query {
	t.Helper()
	pq, err := gdpr.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return pq
}

// consentMeanwhile is a store on which, between the sweep's reading of a
// page and its erasure, the contact renews a consent (serve runs).
type consentMeanwhile struct {
	*store.Store
	t       *testing.T
	renewer gdpr.ContactID
}

func (s consentMeanwhile) AnonymizeMany(operator string, ids []gdpr.ContactID, still store.StillDue) ([]store.Anonymized, map[gdpr.ContactID]error, error) {
	if err := s.GrantConsent("owner", s.renewer, "webinar", testNow, "registered again"); err != nil {
		s.t.Fatal(err)
	}
	return s.Store.AnonymizeMany(operator, ids, still)
}

// TestSweepRetentionChecksTheLapseAgainArt5: a contact judged lapsed on
// the page read, who gives consent again before the chunk is erased, is
// kept: the lapse is asked again in the erasure's transaction against the
// record and register as they are then (Art. 5(1)(e), Art. 6(1)(a)), and
// the skip says "no longer lapsed"; the others of the chunk are erased.
func TestSweepRetentionChecksTheLapseAgainArt5(t *testing.T) {
	s := openStore(t)
	if err := s.SavePurpose("owner", gdpr.Purpose{Name: "webinar", Basis: gdpr.BasisConsent, RetentionDays: 183}); err != nil {
		t.Fatal(err)
	}
	old := testNow.AddDate(-1, 0, 0)
	ids := create(t, s,
		gdpr.Contact{Email: "renews@example.com", Consents: []gdpr.ConsentRecord{{Purpose: "webinar", Granted: true, At: old, Method: "registration"}}},
		gdpr.Contact{Email: "lapsed@example.com", Consents: []gdpr.ConsentRecord{{Purpose: "webinar", Granted: true, At: old, Method: "registration"}}})
	rep, err := SweepRetention(context.Background(), consentMeanwhile{Store: s, t: t, renewer: ids[0]},
		RetentionOptions{SweepOptions: SweepOptions{Operator: "owner", Apply: true, Now: testNow}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Erased != 1 || len(rep.Skipped) != 1 || rep.Skipped[0].Contact != ids[0] || rep.Skipped[0].Kind != SkipNoLongerLapsed ||
		rep.SkippedBy[SkipNoLongerLapsed] != 1 {
		t.Errorf("report %+v", rep)
	}
	if c, err := s.Contact(ids[0]); err != nil || c.Status == gdpr.ContactAnonymized || c.Email != "renews@example.com" {
		t.Errorf("the contact who consented again: %+v %v", c, err)
	}
	if c, err := s.Contact(ids[1]); err != nil || c.Status != gdpr.ContactAnonymized {
		t.Errorf("the lapsed contact: %+v %v", c, err)
	}
}
