package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

func TestAuditOfListsOneRecordsEntriesInOrder(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.com"}, gdpr.Contact{Email: "b@example.com"})
	if err := s.UpdateContact("anna", ids[0], func(c *gdpr.Contact) error { c.City = "Graz"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.SetContactStatus("anna", ids[1], gdpr.ContactRestricted, "objected"); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditOf(ids[0].String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "contact.create" || got[1].Action != "contact.edit" || got[0].Seq >= got[1].Seq {
		t.Errorf("AuditOf(%s) = %+v, want its create then its edit", ids[0], actions(got))
	}
	for _, e := range got {
		if e.Record != ids[0].String() {
			t.Errorf("entry %d is about %s", e.Seq, e.Record)
		}
	}
	if other, _ := s.AuditOf("C999"); len(other) != 0 {
		t.Errorf("AuditOf of an unknown record = %d entries", len(other))
	}
}

// An import audits each chunk of new contacts in one entry, and every
// contact of the chunk finds that entry in its trail.
func TestImportChunkEntryIsInEveryContactsTrail(t *testing.T) {
	s, _ := newStore(t)
	items := []ImportItem{
		{Line: 2, Contact: gdpr.Contact{Email: "one@example.com", Status: gdpr.ContactActive}},
		{Line: 3, Contact: gdpr.Contact{Email: "two@example.com", Status: gdpr.ContactActive}},
		{Line: 5, Contact: gdpr.Contact{Email: "three@example.com", Status: gdpr.ContactActive}},
	}
	before := len(allAudit(t, s))
	if _, err := s.ImportContacts("anna", items, exMerge, false); err != nil {
		t.Fatal(err)
	}
	if n := len(allAudit(t, s)) - before; n != 1 {
		t.Errorf("import of 3 new contacts wrote %d audit entries, want 1", n)
	}
	for _, email := range []string{"one@example.com", "two@example.com", "three@example.com"} {
		c, err := s.ContactByEmail(email)
		if err != nil {
			t.Fatal(err)
		}
		trail, err := s.AuditOf(c.ID.String())
		if err != nil || len(trail) != 1 || trail[0].Action != "contact.import" || !strings.Contains(trail[0].Detail, "lines 2–5") {
			t.Errorf("trail of %s = %+v, %v; want the chunk's import entry", c.ID, trail, err)
		}
	}
	checkVerified(t, s)
}

// Each import chunk's entry is indexed once, by its last contact id; the
// trail of a contact finds its own chunk's entry and no other, whether the
// contact is first, in the middle or last of its chunk, or outside every
// chunk.
func TestImportChunkRangesDoNotLeak(t *testing.T) {
	s, _ := newStore(t)
	mustImport(t, s, importItems("a@example.org", "b@example.org", "c@example.org")) // C1–C3
	solo := mustCreate(t, s, gdpr.Contact{Email: "solo@example.org"})[0]             // C4
	mustImport(t, s, importItems("d@example.org", "e@example.org"))                  // C5–C6
	if err := s.UpdateContact("anna", 2, func(c *gdpr.Contact) error { c.City = "Graz"; return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"C1": "contact.import[C1]", "C2": "contact.import[C1] contact.edit[C2]", "C3": "contact.import[C1]",
		solo.String(): "contact.create[C4]",
		"C5":          "contact.import[C5]", "C6": "contact.import[C5]",
		"C7": "", "R1": "", "source web": "",
	}
	for record, w := range want {
		trail, err := s.AuditOf(record)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, e := range trail {
			got = append(got, e.Action+"["+e.Record+"]")
			if i > 0 && trail[i-1].Seq >= e.Seq {
				t.Errorf("trail of %s is not in order: %+v", record, trail)
			}
		}
		if strings.Join(got, " ") != w {
			t.Errorf("trail of %s = %q, want %q", record, strings.Join(got, " "), w)
		}
	}
}

// A bulk change's chunk entry is indexed under the id chunks (of 4,096
// ids) its contacts fall in, a key per chunk, not per contact: each changed
// contact finds it in its trail, in whichever chunk and at whichever end of
// it, and no other contact does, the neighbours of a changed one included.
// Given out of order, the ids still land in their own chunks.
func TestBulkChunkEntryIsInTheTrailOfEachChangedContactOnly(t *testing.T) {
	s, _ := newStore(t)
	emails := make([]string, 2*chunkIDs+10)
	for i := range emails {
		emails[i] = fmt.Sprintf("p%d@example.org", i)
	}
	for i := 0; i < len(emails); i += 1000 { // C1 … C8202
		mustImport(t, s, importItems(emails[i:min(i+1000, len(emails))]...))
	}
	changed := []gdpr.ContactID{8200, 5, chunkIDs, 1, chunkIDs - 1, 2 * chunkIDs, chunkIDs + 1, 3}
	untouched := []gdpr.ContactID{2, 4, 6, chunkIDs - 2, chunkIDs + 2, 2*chunkIDs - 1, 2*chunkIDs + 1, 8199, 8201}
	bulkKeys, recKeys := keyCount(t, s, prefixAuditBulk), keyCount(t, s, prefixAuditRec)
	n := len(allAudit(t, s))
	res, err := s.ApplyBasisTo(t.Context(), "op", changed,
		BasisChange{Basis: gdpr.BasisContract, Evidence: "signed order"}, nil)
	if err != nil || res.Changed != int64(len(changed)) {
		t.Fatalf("ApplyBasisTo = %+v, %v; want %d changed", res, err, len(changed))
	}
	es := auditSince(t, s, n)
	if len(es) != 1 || es[0].Contacts != len(changed) {
		t.Fatalf("the change appended %+v, want one entry about %d contacts", es, len(changed))
	}
	// Ids 1–4095 are chunk 0, 4096–8191 chunk 1, 8192– chunk 2.
	if got := keyCount(t, s, prefixAuditBulk) - bulkKeys; got != 3 {
		t.Errorf("the entry has %d ab/ keys, want 3 (one per id chunk)", got)
	}
	if got := keyCount(t, s, prefixAuditRec) - recKeys; got != 0 {
		t.Errorf("the entry added %d ar/ keys, want none", got)
	}
	inTrail := func(id gdpr.ContactID) bool {
		trail, err := s.AuditOf(id.String())
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(trail); i++ {
			if trail[i-1].Seq >= trail[i].Seq {
				t.Errorf("trail of %s is not in order, or repeats: %+v", id, trail)
			}
		}
		return slices.ContainsFunc(trail, func(e AuditEntry) bool { return e.Seq == es[0].Seq })
	}
	for _, id := range changed {
		if !inTrail(id) {
			t.Errorf("%s was changed, but the chunk's entry is not in its trail", id)
		}
	}
	for _, id := range untouched {
		if inTrail(id) {
			t.Errorf("%s was not changed, but the chunk's entry is in its trail", id)
		}
	}
	checkVerified(t, s)
}
