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
	if !run.fresh || len(run.created) != 3 {
		t.Errorf("run: fresh %v, %d addresses known; want fresh with 3", run.fresh, len(run.created))
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
