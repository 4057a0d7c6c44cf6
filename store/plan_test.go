package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// randomConjunction draws a query of one to four terms over the indexed
// fields (single values, a|b alternatives, eu:, a created range) and now
// and then a bare word, so that every way the planner can answer a
// conjunction is met: a sorted driver with streams, a several-values
// driver, an eu: driver, a created driver, and a full walk with streams.
func randomConjunction(r *rand.Rand) string {
	pick := func(list ...string) string { return list[r.IntN(len(list))] }
	gens := []func() string{
		func() string { return "country:" + pick("DE", "FR", "AT", "US", "JP", "DE|AT", "FR|PL|NO", "NO") },
		func() string { return "eu:" + pick("yes", "no", "unknown", "yes|unknown") },
		func() string {
			return "basis:" + pick("none", "consent", "contract", "legitimate-interests", "none|consent")
		},
		func() string { return "status:" + pick("active", "restricted", "active|restricted") },
		func() string { return "source:" + pick("fair", "webinar", "purchase", "fair|webinar") },
		func() string { return "tag:" + pick("x", "vip", "b2b", "lead", "x|vip", "newsletter|b2b") },
		func() string { return "hold:" + pick("no", "yes") },
		func() string { return "created" + pick("<", ">", ":") + pick("2024-01-01", "2023-06-15", "2025-03-02") },
		func() string { return pick("anna", "gmbh", "müller", "zzz") },
	}
	n := 1 + r.IntN(4)
	terms := make([]string, 0, n)
	for range n {
		terms = append(terms, gens[r.IntN(len(gens))]())
	}
	return strings.Join(terms, " ")
}

// TestPlannerMatchesBruteForceOnRandomQueries checks the conjunction planner
// against a brute-force filter: random queries over a random store (bases
// given and removed in bulk, some contacts restricted), paged forward and
// backward in pages of odd sizes, and counted.
func TestPlannerMatchesBruteForceOnRandomQueries(t *testing.T) {
	n, queries := 700, 160
	if testing.Short() {
		n, queries = 300, 60
	}
	s, ids := queryStore(t, n)
	// Bulk changes leave index keys that were deleted and written again.
	for _, text := range []string{"country:DE", "tag:vip"} {
		if _, err := s.ApplyBasis(context.Background(), "op", mustQuery(t, text), BasisChange{Basis: gdpr.BasisContract}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ApplyBasis(context.Background(), "op", mustQuery(t, "country:DE tag:x"), BasisChange{Basis: gdpr.BasisContract, Remove: true}, nil); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(23, 5))
	empty, some := 0, 0
	for range queries {
		text := randomConjunction(r)
		q := mustQuery(t, text)
		want := bruteForce(t, s, ids, q)
		if len(want) == 0 {
			empty++
		} else {
			some++
		}
		limit := 1 + r.IntN(40)
		if got := sortedIDs(collect(t, s, text, limit)); !slices.Equal(got, want) {
			t.Errorf("%q paged forward by %d: %d contacts %v, brute force %d %v", text, limit, len(got), got, len(want), want)
		}
		back := collectBackward(t, s, text, limit)
		slices.Sort(back)
		if !slices.Equal(back, want) {
			t.Errorf("%q paged backward by %d: %d contacts, brute force %d", text, limit, len(back), len(want))
		}
		if c := mustCount(t, s, text); c != int64(len(want)) {
			t.Errorf("Count(%q) = %d, brute force %d", text, c, len(want))
		}
		got, _, _, err := s.matchingIDs(q, nil, n+1)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("matchingIDs(%q): %d ids, brute force %d", text, len(got), len(want))
		}
	}
	// The draw must cover both outcomes, or the comparison proves little.
	if empty == 0 || some == 0 {
		t.Errorf("%d queries matched nobody and %d somebody: the draw is one-sided", empty, some)
	}
}

// TestEmptyConjunctionReadsNoRecord is the case the planner is for: every
// German contact holds a basis, so country:DE basis:none matches nobody,
// and the answer comes from the two indexes. The German records are
// removed behind the store's back: reading any of them is an error, as a
// query that has to read them shows.
func TestEmptyConjunctionReadsNoRecord(t *testing.T) {
	s, _ := newStore(t)
	var cs []gdpr.Contact
	for i := range 300 {
		c := gdpr.Contact{Email: fmt.Sprintf("p%d@example.org", i), Country: []string{"DE", "FR", "IT"}[i%3]}
		if c.Country == "DE" {
			c.Bases = []gdpr.BasisAssignment{{Basis: gdpr.BasisContract}}
		}
		cs = append(cs, c)
	}
	ids := mustCreate(t, s, cs...)
	err := s.db.Update(func(txn *badger.Txn) error {
		for i, id := range ids {
			if i%3 == 0 {
				if err := txn.Delete(contactKey(id)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"country:DE basis:none", "basis:none country:DE", "eu:yes country:DE basis:none"} {
		p, err := s.Contacts(mustQuery(t, text), nil, 50)
		if err != nil {
			t.Errorf("%q: %v (a German record was read)", text, err)
		} else if len(p.Contacts) != 0 {
			t.Errorf("%q gave %d contacts, want none", text, len(p.Contacts))
		}
		if n := mustCount(t, s, text); n != 0 {
			t.Errorf("Count(%q) = %d, want 0", text, n)
		}
	}
	if _, err := s.Contacts(mustQuery(t, "country:DE basis:contract"), nil, 50); err == nil {
		t.Error("country:DE basis:contract read no German record: the test proves nothing")
	}
	if n := mustCount(t, s, "country:FR basis:none"); n != 100 {
		t.Errorf("Count(country:FR basis:none) = %d, want 100", n)
	}
}
