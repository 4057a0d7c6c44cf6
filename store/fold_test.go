package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// foundBy is the ids a free-text query finds.
func foundBy(t *testing.T, s *Store, text string) []gdpr.ContactID {
	t.Helper()
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Contacts(q, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []gdpr.ContactID
	for _, c := range p.Contacts {
		ids = append(ids, c.ID)
	}
	return ids
}

// accentedStore holds 150 plain contacts (three search chunks at 64 per
// chunk) and, after them, Jörg Müller and Łukasz Nowak.
func accentedStore(t *testing.T, dir string, clk *clock) (s *Store, muller, lukasz gdpr.ContactID) {
	t.Helper()
	s = openAt(t, dir, clk)
	var cs []gdpr.Contact
	for i := range 150 {
		cs = append(cs, gdpr.Contact{FirstName: "Anna", LastName: fmt.Sprintf("Plain%d", i), Email: fmt.Sprintf("anna%d@example.com", i)})
	}
	mustCreate(t, s, cs...)
	ids := mustCreate(t, s,
		gdpr.Contact{FirstName: "Jörg", LastName: "Müller", Email: "jm@example.de", Company: "Straße GmbH"},
		gdpr.Contact{FirstName: "Łukasz", LastName: "Nowak", Email: "ln@example.pl"})
	return s, ids[0], ids[1]
}

// Free text ignores accents (issue 20.13): muller finds Müller, lukasz
// finds Łukasz, strasse finds Straße; a transcription (mueller) is not a
// fold and finds nothing.
func TestFreeTextIgnoresAccents(t *testing.T) {
	s, muller, lukasz := accentedStore(t, t.TempDir(), newClock(t0))
	checkFolded(t, s, muller, lukasz)
}

func checkFolded(t *testing.T, s *Store, muller, lukasz gdpr.ContactID) {
	t.Helper()
	for text, want := range map[string][]gdpr.ContactID{
		"muller":          {muller},
		"MÜLLER":          {muller},
		"jorg muller":     {muller},
		"strasse":         {muller},
		"straße":          {muller},
		"lukasz":          {lukasz},
		"Łukasz nowak":    {lukasz},
		"mueller":         nil,
		"country:DE jorg": nil, // no country set: terms still hold
	} {
		if got := foundBy(t, s, text); !slices.Equal(got, want) {
			t.Errorf("%q finds %v, want %v", text, got, want)
		}
	}
}

// A store whose search index was written before folding (its texts only
// lower-cased) is folded once when opened, in chunks, from where an
// interrupted upgrade stopped, and the upgrade is audited.
func TestSearchFoldUpgrade(t *testing.T) {
	dir, clk := t.TempDir(), newClock(t0)
	s, muller, lukasz := accentedStore(t, dir, clk)
	// Write the index as an earlier version left it: texts lower-cased, not
	// folded, and the upgrade begun at chunk 1 (chunk 0 holds only plain
	// texts; Müller and Łukasz are in chunk 2).
	err := s.write("tester", func(tx *tx) error {
		for _, id := range []gdpr.ContactID{muller, lukasz} {
			c, err := s.Contact(id)
			if err != nil {
				return err
			}
			tx.setSearch(id, strings.ToLower(c.FirstName+" "+c.LastName+"\x00"+c.Email+"\x00"+c.Company))
		}
		return tx.set(keyUpgradeSearchFold, u64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := foundBy(t, s, "muller"); len(got) != 0 {
		t.Fatalf("fixture: the unfolded index already finds muller: %v", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	checkFolded(t, s, muller, lukasz)
	found := false
	for _, e := range allAudit(t, s) {
		found = found || e.Action == string(gdpr.ActionStoreUpgrade) && strings.Contains(e.Detail, "folded the search texts of 2 contact(s)")
	}
	if !found {
		t.Error("the folding of the search index is not audited")
	}
	var mark uint64
	if err := s.view(func(txn *badger.Txn) error {
		var err error
		mark, err = seqValue(txn, keyUpgradeSearchFold)
		return err
	}); err != nil || mark != searchFoldDone {
		t.Errorf("upgrade mark = %x (%v), want done", mark, err)
	}
}
