package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// sweepFixture makes n contacts in scope without a basis (EU and unknown
// country, some restricted, two with obligations) among others that are
// not: outside the EU/EEA, holding a basis, already anonymized.
// abroad is a controller established outside the EU/EEA (Art. 3(2)): the
// fixture's US and GB contacts are out of its scope.
var abroad = gdpr.Settings{Establishment: "US"}

func sweepFixture(t *testing.T, s *store.Store, n int) (want map[gdpr.ContactID]bool, owing []gdpr.ContactID) {
	t.Helper()
	if err := s.SaveSettings("owner", abroad); err != nil {
		t.Fatal(err)
	}
	var cs []gdpr.Contact
	for i := range n {
		c := gdpr.Contact{Email: fmt.Sprintf("in%d@example.org", i), Country: "DE"}
		switch i % 4 {
		case 1:
			c.Country = "" // unknown: in scope, the safe side
		case 2:
			c.Country = "NO"
		case 3:
			c.Status = gdpr.ContactRestricted
		}
		cs = append(cs, c)
	}
	cs[0].Balance = 1250
	cs[1].OpenContract = true
	cs = append(cs,
		gdpr.Contact{Email: "us@example.org", Country: "US"},
		gdpr.Contact{Email: "gb@example.org", Country: "GB"},
		gdpr.Contact{Email: "based@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract, Source: "purchase"}}},
		gdpr.Contact{Email: "gone@example.org", Country: "FR"},
	)
	ids := create(t, s, cs...)
	if _, err := s.Anonymize("owner", ids[len(ids)-1], store.AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	want = map[gdpr.ContactID]bool{}
	for _, id := range ids[:n] {
		want[id] = true
	}
	return want, ids[:2]
}

// The sweep's candidates are the one set of gdpr.WithoutBasisQuery: the
// contacts in scope without a basis (Art. 3, Art. 6(1)), the dashboard's
// figure, unknown country included; a dry run changes nothing.
func TestSweepDryRunListsTheInScopeWithoutBasisSet(t *testing.T) {
	s := openStore(t)
	want, _ := sweepFixture(t, s, 40)
	seen := map[gdpr.ContactID]bool{}
	rep, err := Sweep(context.Background(), s, SweepOptions{Operator: "owner", Now: testNow, Candidate: func(c gdpr.Contact) error {
		if seen[c.ID] {
			t.Errorf("%s listed twice", c.ID)
		}
		seen[c.ID] = true
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Candidates != int64(len(want)) || len(seen) != len(want) {
		t.Errorf("dry run: %d candidates, %d seen, want %d", rep.Candidates, len(seen), len(want))
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("%s is in scope without a basis but was not listed", id)
		}
	}
	counts, err := s.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts.EUWithoutBasis != rep.Candidates {
		t.Errorf("the dashboard counts %d, the sweep finds %d", counts.EUWithoutBasis, rep.Candidates)
	}
	if rep.Erased != 0 || rep.Applied {
		t.Errorf("a dry run erased %d", rep.Erased)
	}
	if st, _ := s.Settings(); !st.LastSweepAt.IsZero() {
		t.Error("a dry run was recorded as a sweep")
	}
}

// restrictedIn counts the fixture's restricted contacts among its
// candidates lo..hi-1: the sweep skips them (Art. 18(1), SPEC §9).
func restrictedIn(lo, hi int) int64 {
	var n int64
	for i := lo; i < hi; i++ {
		if i%4 == 3 {
			n++
		}
	}
	return n
}

// An applied sweep erases in chunks over more than one page, skips the
// contacts with an obligation with the reason (Art. 17(3)(e), 17(1)) and
// the restricted ones (Art. 18(1)), counting the skips by reason,
// reports progress, records itself, and leaves only the skipped ones.
func TestSweepAppliesInChunksAndSkipsObligations(t *testing.T) {
	s := openStore(t)
	want, owing := sweepFixture(t, s, 2*SweepChunk+37)
	var steps []SweepProgress
	confirmed := int64(-1)
	rep, err := Sweep(context.Background(), s, SweepOptions{Operator: "owner", Apply: true, Now: testNow,
		Confirm:  func(n int64) error { confirmed = n; return nil },
		Progress: func(p SweepProgress) { steps = append(steps, p) }})
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(want))
	r := restrictedIn(0, int(n))
	if confirmed != n || rep.Candidates != n || rep.Erased != n-2-r || int64(len(rep.Skipped)) != 2+r {
		t.Fatalf("confirmed %d, %d candidates, %d erased, %d skipped; want %d candidates, %d erased, %d skipped",
			confirmed, rep.Candidates, rep.Erased, len(rep.Skipped), n, n-2-r, 2+r)
	}
	for i, sk := range rep.Skipped[:2] {
		if sk.Contact != owing[i] || !strings.Contains(sk.Reason, "obligation") || sk.Kind != string(gdpr.BlockObligation) {
			t.Errorf("skipped %+v, want %s for its obligation", sk, owing[i])
		}
	}
	for _, sk := range rep.Skipped[2:] {
		if sk.Kind != string(gdpr.BlockRestricted) || !strings.Contains(sk.Reason, "Art. 18") {
			t.Errorf("skipped %+v, want a restricted contact with the article", sk)
		}
	}
	if rep.SkippedBy[string(gdpr.BlockObligation)] != 2 || rep.SkippedBy[string(gdpr.BlockRestricted)] != r {
		t.Errorf("skipped by reason %v, want 2 obligations and %d restricted", rep.SkippedBy, r)
	}
	if len(steps) != 3 || steps[len(steps)-1].Done != n || steps[len(steps)-1].Total != n {
		t.Errorf("progress %+v, want three chunks ending at %d of %d", steps, n, n)
	}
	if left, _ := s.Count(gdpr.WithoutBasisQuery(abroad)); left != 2+r {
		t.Errorf("%d left in scope without a basis, want the %d skipped", left, 2+r)
	}
	if st, _ := s.Settings(); !st.LastSweepAt.Equal(testNow) {
		t.Errorf("sweep recorded at %v", st.LastSweepAt)
	}
	// Run again: nothing new to do.
	again, err := Sweep(context.Background(), s, SweepOptions{Operator: "owner", Apply: true, Now: testNow})
	if err != nil || again.Erased != 0 || again.Candidates != 2+r {
		t.Errorf("second sweep: %+v, %v", again, err)
	}
}

// A refused confirmation changes nothing; a cancelled sweep stops between
// chunks, keeps what it did, is not recorded, and a re-run finishes.
func TestSweepConfirmAndCancel(t *testing.T) {
	s := openStore(t)
	want, _ := sweepFixture(t, s, 2*SweepChunk+10)
	no := errors.New("not confirmed")
	if _, err := Sweep(context.Background(), s, SweepOptions{Operator: "owner", Apply: true, Now: testNow, Confirm: func(int64) error { return no }}); !errors.Is(err, no) {
		t.Fatalf("refused confirmation: %v", err)
	}
	if left, _ := s.Count(gdpr.WithoutBasisQuery(abroad)); left != int64(len(want)) {
		t.Fatalf("a refused sweep erased %d", int64(len(want))-left)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep, err := Sweep(ctx, s, SweepOptions{Operator: "owner", Apply: true, Now: testNow, Progress: func(SweepProgress) { cancel() }})
	if first := SweepChunk - 2 - restrictedIn(0, SweepChunk); !errors.Is(err, context.Canceled) || rep.Erased != first {
		t.Fatalf("cancelled sweep: %d erased, %v; want the first chunk's %d erased", rep.Erased, err, first)
	}
	if st, _ := s.Settings(); !st.LastSweepAt.IsZero() {
		t.Error("a cancelled sweep was recorded")
	}
	rep, err = Sweep(context.Background(), s, SweepOptions{Operator: "owner", Apply: true, Now: testNow})
	if rest := int64(len(want)) - SweepChunk - restrictedIn(SweepChunk, len(want)); err != nil || rep.Erased != rest {
		t.Errorf("re-run: %d erased, %v; want %d", rep.Erased, err, rest)
	}
}

// Established in the EU/EEA (Art. 3(1)), every contact is in scope: the
// sweep takes the US and GB contacts without a basis too, and the
// dashboard counts them.
func TestSweepEstablishedInTheEUTakesEveryContact(t *testing.T) {
	s := openStore(t)
	want, _ := sweepFixture(t, s, 8)
	if err := s.SaveSettings("owner", gdpr.Settings{Establishment: "DE"}); err != nil {
		t.Fatal(err)
	}
	rep, err := Sweep(context.Background(), s, SweepOptions{Operator: "owner", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := s.Counts()
	if n := int64(len(want)) + 2; rep.Candidates != n || counts.EUWithoutBasis != n {
		t.Errorf("established in DE: sweep %d, dashboard %d, want %d (the US and GB contacts too)", rep.Candidates, counts.EUWithoutBasis, n)
	}
}

// Art. 19: a sweep erases without a request, so it keeps one controller
// record naming the recipients of the erased people's data (read before
// the erasure), completed at once, for request notify to answer. People
// without a basis are processed for no purpose, so their erasure has
// nobody to tell and no record is kept.
func TestSweepRecordsTheRecipientsToTell(t *testing.T) {
	s := openStore(t)
	if err := s.SavePurpose("owner", gdpr.Purpose{Name: "enquiries", Basis: gdpr.BasisLegitimateInterests}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []gdpr.Recipient{
		{Name: "Helpdesk SaaS", Role: gdpr.RecipientProcessor, Purposes: []string{"enquiries"}},
		{Name: "Printer", Role: gdpr.RecipientProcessor},
	} {
		if err := s.SaveRecipient("owner", r); err != nil {
			t.Fatal(err)
		}
	}
	// Without a basis no purpose applies: nobody received their data
	// through a purpose, so nobody is to be told and no record is kept.
	sweepFixture(t, s, 3*SweepChunk)
	if _, err := Sweep(context.Background(), s, SweepOptions{Operator: "owner", Apply: true, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	rs, _ := s.Requests(store.RequestFilter{})
	if len(rs) != 0 {
		t.Errorf("a sweep with nobody to tell kept %d records", len(rs))
	}
	// A contact that did receive data through a purpose (as the
	// retention sweep of SPEC §10 will erase) is recorded, read before
	// its erasure.
	w := &sweepRecipients{register: []gdpr.Recipient{{Name: "Helpdesk SaaS", Role: gdpr.RecipientProcessor, Purposes: []string{"enquiries"}}},
		purposes: []gdpr.Purpose{{Name: "enquiries", Basis: gdpr.BasisLegitimateInterests}}}
	c := gdpr.Contact{ID: 7, Status: gdpr.ContactActive, Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisLegitimateInterests}}}
	w.page([]gdpr.Contact{c})
	w.erased(7)
	if err := w.record(s, "owner"); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Request(w.rec)
	if err != nil || !rec.FromController() || strings.Join(rec.Recipients, ",") != "Helpdesk SaaS" || !rec.Unnotified() {
		t.Fatalf("controller record: %+v, %v", rec, err)
	}
}
