package store

import (
	"fmt"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func importItems(emails ...string) []ImportItem {
	items := make([]ImportItem, len(emails))
	for i, e := range emails {
		items[i] = ImportItem{Line: i + 2, Contact: gdpr.Contact{Email: e, Phone: fmt.Sprintf("+49 30 %d", i)}}
	}
	return items
}

func mustImport(tb testing.TB, sink interface {
	ImportContacts(string, []ImportItem, MergeFunc, bool) ([]ImportOutcome, error)
}, items []ImportItem) []ImportOutcome {
	tb.Helper()
	out, err := sink.ImportContacts("anna", items, exMerge, false)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sameOutcomes(tb testing.TB, what string, got []ImportOutcome, want ...ImportOutcome) {
	tb.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Errorf("%s: outcomes %v, want %v", what, got, want)
	}
}

// An import run into an empty store skips look-ups of addresses it has not
// created, and still merges repeats within a chunk and across chunks.
func TestImportRunFreshStore(t *testing.T) {
	s, _ := newStore(t)
	run := s.BeginImport()
	sameOutcomes(t, "chunk 1", mustImport(t, run, importItems("a@example.org", "b@example.org", "a@example.org")),
		ImportCreated, ImportCreated, ImportUpdated)
	if !run.fresh {
		t.Fatal("run into an empty store is not fresh")
	}
	sameOutcomes(t, "chunk 2", mustImport(t, run, importItems("b@example.org", "c@example.org", "c@example.org", "a@example.org")),
		ImportUpdated, ImportCreated, ImportUpdated, ImportUpdated)
	if !run.fresh || run.addrs.Len() != 3 {
		t.Errorf("run: fresh %v, %d addresses known; want fresh with 3", run.fresh, run.addrs.Len())
	}
	if n := mustCount(t, s, ""); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
	c, err := s.ContactByEmail("a@example.org")
	if err != nil || c.Phone != "+49 30 3" {
		t.Errorf("a@example.org = %+v, %v; want the phone of its last row", c, err)
	}
	checkCounters(t, s, "after the run")
	checkVerified(t, s)
}

// Another write between two chunks of a run makes it look every address up
// again: a contact created in between is updated, never duplicated.
func TestImportRunOtherWriter(t *testing.T) {
	s, _ := newStore(t)
	run := s.BeginImport()
	mustImport(t, run, importItems("a@example.org"))
	mustCreate(t, s, gdpr.Contact{Email: "b@example.org"})
	sameOutcomes(t, "chunk after another write", mustImport(t, run, importItems("b@example.org", "a@example.org", "d@example.org")),
		ImportUpdated, ImportUpdated, ImportCreated)
	if run.fresh {
		t.Error("run stayed fresh after another write")
	}
	if n := mustCount(t, s, ""); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
	checkCounters(t, s, "after the run")
	checkVerified(t, s)
}

// A run into a store that already holds contacts looks every address up.
func TestImportRunExistingStore(t *testing.T) {
	s, _ := newStore(t)
	mustCreate(t, s, gdpr.Contact{Email: "b@example.org"})
	run := s.BeginImport()
	sameOutcomes(t, "chunk", mustImport(t, run, importItems("b@example.org", "c@example.org", "b@example.org")),
		ImportUpdated, ImportCreated, ImportUpdated)
	if run.fresh {
		t.Error("run into a store with contacts is fresh")
	}
	sameOutcomes(t, "chunk 2", mustImport(t, run, importItems("c@example.org")), ImportUpdated)
	if n := mustCount(t, s, ""); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
	checkCounters(t, s, "after the run")
	checkVerified(t, s)
}

// sourced gives every item a source, so that a source rule applies.
func sourced(items []ImportItem, source string) []ImportItem {
	for i := range items {
		items[i].Contact.Source = source
	}
	return items
}

// Chunks prepared ahead of their transactions (as the importer does, one
// chunk ahead on another goroutine) end up exactly as chunks imported the
// ordinary way: same ids, fields, bases from source rules, counters and
// audit trail.
func TestImportPreparedMatchesOrdinary(t *testing.T) {
	rule := gdpr.SourceRule{Source: "fair", Basis: gdpr.BasisContract, Evidence: "stand sign-up sheet"}
	chunks := func() [][]ImportItem {
		return [][]ImportItem{
			sourced(importItems("a@example.org", "b@example.org"), "fair"),
			importItems("c@example.org", "d@example.org", "e@example.org"),
		}
	}
	ref, _ := newStore(t)
	if err := ref.SetSourceRule("op", rule); err != nil {
		t.Fatal(err)
	}
	refRun := ref.BeginImport()
	for _, c := range chunks() {
		mustImport(t, refRun, c)
	}

	s, _ := newStore(t)
	if err := s.SetSourceRule("op", rule); err != nil {
		t.Fatal(err)
	}
	run := s.BeginImport()
	cs := chunks()
	p1 := run.Prepare("anna", cs[0])
	p2 := run.Prepare("anna", cs[1]) // ahead of the first chunk's write
	if p1 == nil || p2 == nil {
		t.Fatal("chunks of new addresses into an empty store were not prepared")
	}
	for i, p := range []*Prepared{p1, p2} {
		out, err := run.ImportPrepared("anna", cs[i], p, exMerge)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out {
			if o != ImportCreated {
				t.Fatalf("chunk %d: outcomes %v, want all created", i+1, out)
			}
		}
	}
	if run.prepFails.Load() {
		t.Error("a preparation was dropped though nothing else wrote")
	}
	for _, email := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"} {
		got, err := s.ContactByEmail(email)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.ContactByEmail(email)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.Phone != want.Phone || len(got.Bases) != len(want.Bases) {
			t.Errorf("%s: prepared %+v, ordinary %+v", email, got, want)
		}
		for i := range got.Bases {
			if got.Bases[i].Basis != want.Bases[i].Basis || got.Bases[i].Evidence != want.Bases[i].Evidence || got.Bases[i].By != "anna" {
				t.Errorf("%s basis %d: prepared %+v, ordinary %+v", email, i, got.Bases[i], want.Bases[i])
			}
		}
	}
	if got, want := mustCounters(t, s), mustCounters(t, ref); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counters: prepared %v, ordinary %v", got, want)
	}
	if got, want := actions(allAudit(t, s)), actions(allAudit(t, ref)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit: prepared %v, ordinary %v", got, want)
	}
	trail, err := s.AuditOf("C4")
	if err != nil || len(trail) != 1 || trail[0].Action != "contact.import" {
		t.Errorf("audit trail of a prepared contact: %+v, %v", trail, err)
	}
	checkCounters(t, s, "after the run")
	checkVerified(t, s)
}

// A write by someone else between two chunks drops the next chunk's
// preparation (its ids were taken): the chunk is imported the ordinary way,
// and nothing is duplicated or numbered twice.
func TestImportPreparedOtherWriterInBetween(t *testing.T) {
	s, _ := newStore(t)
	run := s.BeginImport()
	c1, c2 := importItems("a@example.org"), importItems("b@example.org", "c@example.org")
	p1 := run.Prepare("anna", c1)
	p2 := run.Prepare("anna", c2)
	if _, err := run.ImportPrepared("anna", c1, p1, exMerge); err != nil {
		t.Fatal(err)
	}
	ben := mustCreate(t, s, gdpr.Contact{Email: "b@example.org", FirstName: "Ben"})[0]
	out, err := run.ImportPrepared("anna", c2, p2, exMerge)
	if err != nil {
		t.Fatal(err)
	}
	sameOutcomes(t, "chunk after another write", out, ImportUpdated, ImportCreated)
	if !run.prepFails.Load() {
		t.Error("the preparation was used after another write")
	}
	if p := run.Prepare("anna", importItems("f@example.org")); p != nil {
		t.Error("the run prepared again after a preparation was dropped")
	}
	if c := mustContact(t, s, ben); c.FirstName != "Ben" || c.Email != "b@example.org" {
		t.Errorf("the other writer's contact: %+v", c)
	}
	if n := mustCount(t, s, ""); n != 3 {
		t.Errorf("%d contacts, want 3", n)
	}
	checkCounters(t, s, "after the run")
	checkVerified(t, s)
}

// A chunk repeating an address of an earlier chunk is not prepared, and an
// address suppressed after its chunk was prepared is still skipped.
func TestImportPreparedRepeatsAndSuppression(t *testing.T) {
	s, _ := newStore(t)
	gone := mustCreate(t, s, gdpr.Contact{Email: "gone@example.org"})[0]
	if _, err := s.Anonymize("op", gone, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	run := s.BeginImport()
	c1 := importItems("a@example.org", "gone@example.org")
	p1 := run.Prepare("anna", c1)
	if p1 == nil {
		t.Fatal("not prepared")
	}
	out, err := run.ImportPrepared("anna", c1, p1, exMerge)
	if err != nil {
		t.Fatal(err)
	}
	sameOutcomes(t, "chunk with a suppressed address", out, ImportCreated, ImportSuppressed)
	c2 := importItems("b@example.org", "a@example.org")
	if p := run.Prepare("anna", c2); p != nil {
		t.Fatal("a chunk repeating an earlier address was prepared")
	}
	out, err = run.ImportPrepared("anna", c2, nil, exMerge)
	if err != nil {
		t.Fatal(err)
	}
	sameOutcomes(t, "chunk with a repeat", out, ImportCreated, ImportUpdated)
	if n := mustCount(t, s, "status:active"); n != 2 {
		t.Errorf("%d active contacts, want 2", n)
	}
	checkCounters(t, s, "after the run")
	checkVerified(t, s)
}

func mustCounters(tb testing.TB, s *Store) map[string]int64 {
	tb.Helper()
	_, have, err := s.Recount()
	if err != nil {
		tb.Fatal(err)
	}
	return nonZero(have)
}
