package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

var (
	firstNames = []string{"Anna", "Jonas", "Léa", "Marco", "Sofia", "Piotr", "Ingrid", "Seán", "Mia", "Kenji"}
	lastNames  = []string{"Müller", "Dubois", "Rossi", "Nowak", "Hansen", "Murphy", "García", "Smith", "Tanaka", "Berg"}
	companies  = []string{"", "Acme GmbH", "Boulangerie Dubois", "Nordic Sails AS", "Rossi & Figli", ""}
	countries  = []string{"DE", "DE", "DE", "FR", "AT", "IT", "PL", "NO", "US", "GB", "CH", "JP", ""}
	sources    = []string{"", "webinar", "webform:newsletter", "purchase", "fair", "import"}
	tagPool    = []string{"x", "vip", "newsletter", "b2b", "lead"}
)

// randomContact makes a varied contact from r; n keeps the email unique.
func randomContact(r *rand.Rand, n int) gdpr.Contact {
	c := gdpr.Contact{
		FirstName: firstNames[r.IntN(len(firstNames))],
		LastName:  lastNames[r.IntN(len(lastNames))],
		Company:   companies[r.IntN(len(companies))],
		Country:   countries[r.IntN(len(countries))],
		Source:    sources[r.IntN(len(sources))],
		CreatedAt: time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(3*365*24)) * time.Hour),
	}
	c.Email = fmt.Sprintf("%s.%s.%d@example.org", c.FirstName, c.LastName, n)
	for _, tg := range tagPool {
		if r.IntN(4) == 0 {
			c.Tags = append(c.Tags, tg)
		}
	}
	if r.IntN(3) == 0 {
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.Bases()[r.IntN(6)]})
	}
	if r.IntN(8) == 0 {
		c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisLegitimateInterests})
	}
	if r.IntN(10) == 0 {
		// Local times near midnight: the created day is the UTC day.
		c.CreatedAt = c.CreatedAt.In(time.FixedZone("UTC+3", 3*3600)).Truncate(24 * time.Hour).Add(time.Hour)
	}
	return c
}

// queryStore fills a store with n random contacts (some restricted).
func queryStore(t *testing.T, n int) (*Store, []gdpr.ContactID) {
	return randomStore(t, n, rand.New(rand.NewPCG(7, 11)), nil)
}

// randomStore fills a store with n random contacts from r, a hundred at a
// time, and restricts about one in ten. After each hundred, jump (when
// given) says how far to move the id sequence ahead.
func randomStore(t *testing.T, n int, r *rand.Rand, jump func(*rand.Rand) uint64) (*Store, []gdpr.ContactID) {
	t.Helper()
	s, _ := newStore(t)
	var ids []gdpr.ContactID
	for start := 0; start < n; start += 100 {
		var batch []gdpr.Contact
		for i := start; i < min(n, start+100); i++ {
			batch = append(batch, randomContact(r, i))
		}
		ids = append(ids, mustCreate(t, s, batch...)...)
		if jump == nil {
			continue
		}
		by := jump(r)
		err := s.db.Update(func(txn *badger.Txn) error {
			last, err := seqValue(txn, keyContactSeq)
			if err != nil {
				return err
			}
			return txn.Set(keyContactSeq, u64(last+by))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		if r.IntN(10) == 0 {
			if err := s.SetContactStatus("op", id, gdpr.ContactRestricted, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s, ids
}

// bruteForce reads every contact and filters with the domain's matcher.
func bruteForce(t *testing.T, s *Store, ids []gdpr.ContactID, q gdpr.Query) []gdpr.ContactID {
	t.Helper()
	var out []gdpr.ContactID
	for _, id := range ids {
		c := mustContact(t, s, id)
		if q.Matches(&c) {
			out = append(out, id)
		}
	}
	return out
}

func sortedIDs(cs []gdpr.Contact) []gdpr.ContactID {
	out := make([]gdpr.ContactID, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func TestContactsPagingMatchesBruteForce(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 250
	}
	s, ids := queryStore(t, n)
	queries := []string{
		"",
		"country:DE",
		"country:de",
		"country:Germany",
		"eu:yes basis:none",
		"eu:unknown",
		"eu:no",
		"basis:none",
		"basis:consent",
		"basis:legitimate_interests basis:none",
		"tag:x",
		"tag:VIP tag:b2b",
		"source:webinar",
		"source:webform:newsletter",
		"status:restricted",
		"status:active country:FR",
		"created:<2024-01-01",
		"created:>2025-06-30",
		"created:>2024-03-01 created:<2024-04-01",
		"created:2024-05-05",
		"müller",
		"ANNA",
		"acme",
		"example.org",
		"\"boulangerie dubois\"",
		"anna country:DE",
		"rossi tag:x basis:none",
		"country:DE|FR",
		"country:DE|FR|AT basis:none",
		"country:AT|US",
		"country:US|AT|DE anna",
		"eu:yes|unknown",
		"status:active|restricted",
		"country:FR|DE tag:vip|lead",
		"tag:vip|lead",
		"basis:consent|contract",
		"country:JP tag:nope",
		"nosuchname",
	}
	for _, text := range queries {
		t.Run(text, func(t *testing.T) {
			q := mustQuery(t, text)
			want := bruteForce(t, s, ids, q)
			for _, limit := range []int{1, 7, 50, 1000} {
				if limit == 1 && len(want) > 150 {
					continue // one-row pages over hundreds of rows only cost time
				}
				got := sortedIDs(collect(t, s, text, limit))
				if !slices.Equal(got, want) {
					t.Errorf("limit %d: paging returned %d contacts, brute force %d\n got %v\nwant %v", limit, len(got), len(want), got, want)
				}
			}
			count, err := s.Count(q)
			if err != nil {
				t.Fatal(err)
			}
			if count != int64(len(want)) {
				t.Errorf("Count = %d, want %d", count, len(want))
			}
		})
	}
	if len(bruteForce(t, s, ids, mustQuery(t, "country:DE"))) < 50 {
		t.Error("the fixture has too few DE contacts to exercise paging")
	}
}

func TestContactsPageShape(t *testing.T) {
	s, _ := queryStore(t, 30)
	q := mustQuery(t, "")
	if _, err := s.Contacts(q, nil, 0); err == nil {
		t.Error("Contacts with limit 0 succeeded")
	}
	p, err := s.Contacts(q, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Contacts) != 10 || !p.More || p.Next == nil {
		t.Fatalf("first page: %d contacts, more %v", len(p.Contacts), p.More)
	}
	if p.Contacts[0].Email == "" || p.Contacts[0].FirstName == "" {
		t.Errorf("page rows lack personal data: %+v", p.Contacts[0])
	}
	last, err := s.Contacts(q, p.Next, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(last.Contacts) != 20 || last.More || last.Next != nil {
		t.Errorf("last page: %d contacts, more %v, next %x; want 20, no more, no cursor", len(last.Contacts), last.More, last.Next)
	}
	// Exactly a page's worth: More is false, not a dangling empty page.
	exact, err := s.Contacts(q, p.Next, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(exact.Contacts) != 20 || exact.More {
		t.Errorf("page of exactly the rest: %d contacts, more %v", len(exact.Contacts), exact.More)
	}
	// A cursor from another query is refused, not misread.
	de, err := s.Contacts(mustQuery(t, "tag:x"), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	if de.More {
		if _, err := s.Contacts(mustQuery(t, "created:<2020-01-01"), de.Next, 10); err == nil {
			t.Error("a cursor of tag:x was accepted for a created: query")
		}
	}
}

func TestApplyBasisThenQuery(t *testing.T) {
	s, ids := queryStore(t, 300)
	ctx := context.Background()
	deNone := mustCount(t, s, "country:DE basis:none")
	if deNone == 0 {
		t.Fatal("fixture has no DE contact without a basis")
	}
	// After adding and then removing consent, the DE contacts without a
	// basis are those that held nothing but (at most) consent before.
	var noneAfterRemove int64
	for _, id := range bruteForce(t, s, ids, mustQuery(t, "country:DE")) {
		c := mustContact(t, s, id)
		if c.RemoveBasis(gdpr.BasisLegitimateInterests); len(c.Bases) == 0 {
			noneAfterRemove++
		}
	}
	if noneAfterRemove == deNone {
		t.Fatal("fixture has no DE contact holding only consent")
	}
	res, err := s.ApplyBasis(ctx, "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "webinar signup 2024"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, s, "country:DE basis:none", 10); len(got) != 0 {
		t.Errorf("after tagging country:DE, country:DE basis:none lists %d contacts", len(got))
	}
	de := mustCount(t, s, "country:DE")
	if res.Matched != de || mustCount(t, s, "country:DE basis:legitimate_interests") != de {
		t.Errorf("ApplyBasis = %+v; %d DE contacts, %d with consent", res, de, mustCount(t, s, "country:DE basis:legitimate_interests"))
	}
	again, err := s.ApplyBasis(ctx, "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed != 0 || again.Unchanged != de {
		t.Errorf("second run = %+v, want 0 changed (idempotent)", again)
	}

	// Remove: every DE contact loses consent; those that held nothing else
	// are back without a basis.
	rm, err := s.ApplyBasis(ctx, "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests, Remove: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rm.Changed != de {
		t.Errorf("remove changed %d, want %d", rm.Changed, de)
	}
	if got := mustCount(t, s, "country:DE basis:legitimate_interests"); got != 0 {
		t.Errorf("after remove %d DE contacts hold consent", got)
	}
	if got := mustCount(t, s, "country:DE basis:none"); got != noneAfterRemove {
		t.Errorf("after remove %d DE contacts without basis, want %d", got, noneAfterRemove)
	}
	rm2, err := s.ApplyBasis(ctx, "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests, Remove: true}, nil)
	if err != nil || rm2.Changed != 0 {
		t.Errorf("second remove = %+v, %v; want 0 changed", rm2, err)
	}
	if _, err := s.ApplyBasis(ctx, "op", mustQuery(t, ""), BasisChange{Basis: "goodwill"}, nil); err == nil {
		t.Error("ApplyBasis with an unknown basis succeeded")
	}
	for _, text := range []string{"country:DE", "basis:none", "basis:legitimate_interests", ""} {
		if got, want := sortedIDs(collect(t, s, text, 13)), bruteForce(t, s, ids, mustQuery(t, text)); !slices.Equal(got, want) {
			t.Errorf("after bulk changes %q pages to %d contacts, brute force %d", text, len(got), len(want))
		}
	}
	checkCounters(t, s, "after bulk changes")
	checkVerified(t, s)
}

// TestApplyBasisWhenTheCheapestIndexChanges: the planner walks the term
// with the smallest counter. Tagging "country:DE basis:none" shrinks the
// basis:none counter chunk by chunk until it is smaller than country:DE;
// the cursor of the running job (and of an open page) must keep working.
func TestApplyBasisWhenTheCheapestIndexChanges(t *testing.T) {
	s, _ := newStore(t)
	var batch []gdpr.Contact
	for i := range 800 {
		country := "DE"
		if i%8 == 7 {
			country = "US"
		}
		batch = append(batch, gdpr.Contact{Email: fmt.Sprintf("c%d@example.org", i), Country: country})
		if len(batch) == 200 {
			mustCreate(t, s, batch...)
			batch = batch[:0]
		}
	}
	// 700 DE and 800 without a basis: the first chunk (500) leaves 300
	// without a basis, fewer than the 700 DE contacts.
	q := mustQuery(t, "country:DE basis:none")
	page, err := s.Contacts(q, nil, 20)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyBasis(context.Background(), "op", q, BasisChange{Basis: gdpr.BasisLegitimateInterests}, nil)
	if err != nil {
		t.Fatalf("ApplyBasis: %v", err)
	}
	if res.Changed != 700 {
		t.Errorf("ApplyBasis changed %d, want 700", res.Changed)
	}
	if n := mustCount(t, s, "country:DE basis:none"); n != 0 {
		t.Errorf("%d DE contacts still without a basis", n)
	}
	// The page read before the change continues where it was.
	if _, err := s.Contacts(q, page.Next, 20); err != nil {
		t.Errorf("continuing a page after the counters changed: %v", err)
	}
	checkVerified(t, s)
}

func TestApplyBasisCancelled(t *testing.T) {
	s, _ := newStore(t)
	var batch []gdpr.Contact
	for i := range 3*BulkChunk + 10 {
		batch = append(batch, gdpr.Contact{Email: fmt.Sprintf("k%d@example.org", i), Country: "FR"})
		if len(batch) == 250 {
			mustCreate(t, s, batch...)
			batch = batch[:0]
		}
	}
	mustCreate(t, s, batch...)
	total := int64(3*BulkChunk + 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reports []BulkProgress
	n := len(allAudit(t, s))
	res, err := s.ApplyBasis(ctx, "op", mustQuery(t, "country:FR"), BasisChange{Basis: gdpr.BasisContract}, func(p BulkProgress) {
		reports = append(reports, p)
		cancel() // after the first chunk
	})
	if err != nil {
		t.Fatalf("cancelled ApplyBasis: %v", err)
	}
	if !res.Cancelled || res.Changed != BulkChunk || res.Matched != BulkChunk {
		t.Errorf("cancelled run = %+v, want cancelled after one chunk of %d", res, BulkChunk)
	}
	if len(reports) != 1 || reports[0].Total != total || reports[0].Done != BulkChunk {
		t.Errorf("progress = %+v, want one report of %d/%d", reports, BulkChunk, total)
	}
	if es := auditSince(t, s, n); len(es) != 1 || contactsCovered(es) != BulkChunk {
		t.Errorf("cancelled run appended %d audit entries about %d contacts, want one about %d", len(es), contactsCovered(es), BulkChunk)
	}
	if got := mustCount(t, s, "basis:contract"); got != BulkChunk {
		t.Errorf("%d contacts hold contract, want %d", got, BulkChunk)
	}
	checkCounters(t, s, "after cancel")
	checkVerified(t, s)

	// Re-running finishes the job and touches only the rest.
	res, err = s.ApplyBasis(context.Background(), "op", mustQuery(t, "country:FR"), BasisChange{Basis: gdpr.BasisContract}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cancelled || res.Changed != total-BulkChunk || res.Unchanged != BulkChunk {
		t.Errorf("re-run = %+v, want %d changed and %d unchanged", res, total-BulkChunk, BulkChunk)
	}
	if got := mustCount(t, s, "basis:none"); got != 0 {
		t.Errorf("%d contacts still without a basis", got)
	}
	// Already cancelled: nothing happens at all.
	done, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	n = len(allAudit(t, s))
	res, err = s.ApplyBasis(done, "op", mustQuery(t, ""), BasisChange{Basis: gdpr.BasisLegitimateInterests}, nil)
	if err != nil || !res.Cancelled || res.Changed != 0 {
		t.Errorf("pre-cancelled run = %+v, %v", res, err)
	}
	if m := len(allAudit(t, s)); m != n {
		t.Errorf("pre-cancelled run appended %d entries", m-n)
	}
	checkVerified(t, s)
}

// A term of several values of a one-valued field walks its index, skipping
// the keys of other values, and reads no record when it alone decides;
// fields a contact holds several values of (tags, bases) do not.
func TestSeveralValuesWalkTheIndex(t *testing.T) {
	s, _ := queryStore(t, 50)
	for text, want := range map[string]bool{
		"country:FR|DE":            true,
		"eu:yes|unknown":           true,
		"status:active|anonymized": true,
		"country:FR|DE anna":       true,
		"tag:vip|lead":             false,
		"basis:consent|none":       false,
		"country:DE tag:vip|x":     true,
	} {
		err := s.view(func(txn *badger.Txn) error {
			q := mustQuery(t, text)
			p, err := planQuery(txn, q, nil)
			if err != nil {
				return err
			}
			if p.byIndex != want {
				t.Errorf("%s: walks the index %v, want %v", text, p.byIndex, want)
			}
			if many := len(q.Terms) == 1 && len(q.Terms[0].Values) > 1; many && want && (p.within == nil || p.exact != (len(q.Words) == 0)) {
				t.Errorf("%s: plan %+v, want the values' keys, deciding alone without words", text, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
