package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

func pageIDs(cs []gdpr.Contact) []gdpr.ContactID {
	out := make([]gdpr.ContactID, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// Paging backward from the end, and backward from any row's key, gives the
// same order as paging forward: the windowed contacts list relies on it.
func TestContactsBeforeMirrorsContacts(t *testing.T) {
	s, _ := queryStore(t, 300)
	for _, text := range []string{"", "country:DE", "eu:yes", "eu:yes basis:none", "anna", "country:DE|FR", "country:AT|US", "eu:yes|unknown anna", "created:>2024-03-01", "country:JP tag:nope"} {
		t.Run(text, func(t *testing.T) {
			q := mustQuery(t, text)
			fwd, err := s.Contacts(q, nil, 100000)
			if err != nil {
				t.Fatal(err)
			}
			want := pageIDs(fwd.Contacts)
			if len(fwd.Keys) != len(fwd.Contacts) {
				t.Fatalf("%d keys for %d contacts", len(fwd.Keys), len(fwd.Contacts))
			}
			// Walk backward from the end in pages of 7.
			var got []gdpr.ContactID
			var before Cursor
			for pages := 0; ; pages++ {
				if pages > 1000 {
					t.Fatal("backward paging does not end")
				}
				p, err := s.ContactsBefore(q, before, 7)
				if err != nil {
					t.Fatal(err)
				}
				got = append(pageIDs(p.Contacts), got...)
				if !p.More {
					break
				}
				before = p.Keys[0]
			}
			if !slices.Equal(got, want) {
				t.Fatalf("backward walk gave %d contacts, forward %d\n got %v\nwant %v", len(got), len(want), got, want)
			}
			// From the middle: the 5 before row i are rows i-5..i-1, and the
			// ones after row i start at i+1.
			if len(want) > 12 {
				i := len(want) / 2
				p, err := s.ContactsBefore(q, fwd.Keys[i], 5)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pageIDs(p.Contacts), want[i-5:i]) || !p.More {
					t.Errorf("5 before row %d = %v (more %v), want %v", i, pageIDs(p.Contacts), p.More, want[i-5:i])
				}
				n, err := s.Contacts(q, fwd.Keys[i], 3)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pageIDs(n.Contacts), want[i+1:i+4]) {
					t.Errorf("3 after row %d = %v, want %v", i, pageIDs(n.Contacts), want[i+1:i+4])
				}
			}
		})
	}
}

// An anonymized contact is skipped by a bulk change, and counted apart
// from the contacts already as asked (an erased record takes no basis).
func TestApplyBasisCountsAnonymizedAsSkipped(t *testing.T) {
	s, ids := queryStore(t, 10)
	if _, err := s.Anonymize("op", ids[2], AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyBasisTo(context.Background(), "op", ids[3:4], BasisChange{Basis: gdpr.BasisContract, Evidence: "order 1"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.ApplyBasisTo(context.Background(), "op", ids[2:5], BasisChange{Basis: gdpr.BasisContract, Evidence: "order 2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 3 || res.Changed != 1 || res.Unchanged != 1 || res.Skipped != 1 {
		t.Errorf("result %+v, want 3 looked at: 1 changed, 1 already as asked, 1 skipped", res)
	}
}

func TestApplyBasisToMarkedContacts(t *testing.T) {
	s, ids := queryStore(t, 40)
	marked := []gdpr.ContactID{ids[3], ids[9], ids[9], ids[21], gdpr.ContactID(999999)}
	unmarked := mustContact(t, s, ids[4])
	before := len(allAudit(t, s))
	res, err := s.ApplyBasisTo(context.Background(), "op", marked, BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "signed form"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []gdpr.ContactID{ids[3], ids[9], ids[21]} {
		c := mustContact(t, s, id)
		if !c.HasBasis(gdpr.BasisLegitimateInterests) {
			t.Errorf("%s has no consent basis after ApplyBasisTo", id)
		}
	}
	// ids[9] given twice is one contact: 4 looked at, the unknown id skipped.
	if res.Matched != 4 || res.Changed != 3 || res.Unchanged != 0 || res.Skipped != 1 {
		t.Errorf("result %+v, want 4 looked at, 3 changed, 1 skipped", res)
	}
	if es := auditSince(t, s, before); len(es) != 1 || contactsCovered(es) != res.Changed {
		t.Errorf("audit entries %+v for %d changes, want one entry about them", es, res.Changed)
	}
	if after := mustContact(t, s, ids[4]); len(after.Bases) != len(unmarked.Bases) {
		t.Errorf("unmarked %s changed: %d bases, had %d", ids[4], len(after.Bases), len(unmarked.Bases))
	}
	checkCounters(t, s, "after ApplyBasisTo")
	checkVerified(t, s)
}

// A bulk chunk worked out ahead from a snapshot is replayed only when no one
// else wrote since: after another writer's change it is worked out again
// inside its transaction, so a contact the other writer already gave the
// basis is not given it twice.
func TestBulkChunkPreparedAheadIsRedoneAfterAnotherWrite(t *testing.T) {
	s, ids := queryStore(t, 40)
	q := gdpr.Query{}
	ch := BasisChange{Basis: gdpr.BasisLegitimateInterests, Source: gdpr.SourceManual, Evidence: "signed form"}
	first, second := ids[0:10], ids[10:20]
	var last runHead

	p1, err := s.prepareBasis("op", q, ch, first)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s.prepareBasis("op", q, ch, second) // before the first chunk's write, as in a run
	if err != nil {
		t.Fatal(err)
	}
	fourth := ids[30:34]
	p4, err := s.prepareBasis("op", q, ch, fourth) // also before the other writer below
	if err != nil {
		t.Fatal(err)
	}
	changed, _, _, replayed, err := s.commitBasis("op", q, ch, first, p1, &last)
	if err != nil || !replayed || changed == 0 {
		t.Fatalf("first chunk: changed %d, replayed %v, %v; want its preparation replayed", changed, replayed, err)
	}
	// Someone else gives one contact of the second chunk the basis.
	if _, err := s.ApplyBasisTo(context.Background(), "ben", []gdpr.ContactID{second[3]}, ch, nil); err != nil {
		t.Fatal(err)
	}
	changed2, unchanged2, _, replayed, err := s.commitBasis("op", q, ch, second, p2, &last)
	if err != nil {
		t.Fatal(err)
	}
	if replayed {
		t.Fatal("a preparation was replayed after another writer's change")
	}
	if unchanged2 == 0 || changed2+unchanged2 != int64(len(second)) {
		t.Errorf("second chunk: %d changed, %d unchanged; want the other writer's contact unchanged", changed2, unchanged2)
	}
	// With no one in between, the next chunk's preparation is replayed.
	third := ids[20:30]
	p3, err := s.prepareBasis("op", q, ch, third)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, replayed, err := s.commitBasis("op", q, ch, third, p3, &last); err != nil || !replayed {
		t.Errorf("third chunk: replayed %v, %v; want its preparation replayed", replayed, err)
	}
	// Worked out before the other writer's change, two of the run's
	// writes ago: worked out again.
	if _, _, _, replayed, err := s.commitBasis("op", q, ch, fourth, p4, &last); err != nil || replayed {
		t.Errorf("fourth chunk: replayed %v, %v; want it worked out again", replayed, err)
	}
	// Two worked out at once, written one after the other with no one
	// in between: both replayed.
	fifth, sixth := ids[34:37], ids[37:40]
	p5, err := s.prepareBasis("op", q, ch, fifth)
	if err != nil {
		t.Fatal(err)
	}
	p6, err := s.prepareBasis("op", q, ch, sixth)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		ids []gdpr.ContactID
		p   *basisPrep
	}{{fifth, p5}, {sixth, p6}} {
		if _, _, _, replayed, err := s.commitBasis("op", q, ch, c.ids, c.p, &last); err != nil || !replayed {
			t.Errorf("chunk %d of two worked out at once: replayed %v, %v; want its preparation replayed", i+5, replayed, err)
		}
	}
	for _, id := range ids[:40] {
		c := mustContact(t, s, id)
		n := 0
		for _, b := range c.Bases {
			if b.Basis == gdpr.BasisLegitimateInterests {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s holds consent %d times, want once", id, n)
		}
	}
	checkCounters(t, s, "after the chunks")
	checkVerified(t, s)
}

// The record reader of bulk changes reads what a look-up reads, in any
// order: near the previous read (steps, and a seek the first time and after
// a gap), far after it and backward (look-ups), twice the same, and ids that
// do not exist, near and far, between and beyond.
func TestRecordReaderReadsInAnyOrder(t *testing.T) {
	s, ids := queryStore(t, 60)
	var order []gdpr.ContactID
	order = append(order, ids[0], ids[1], ids[2], ids[4], ids[5], ids[25], ids[26], ids[28], ids[29]) // steps, seeks, look-ups
	order = append(order, ids[3], ids[3], ids[2])                                                     // back, twice, back
	order = append(order, ids[10], ids[11], ids[12], ids[6], ids[7])                                  // near again, behind the iterator
	order = append(order, ids[59], ids[59]+1, ids[59]+3, 0, ids[59]+1000, ids[10], ids[59]+1)         // unknown ids
	order = append(order, ids[40], ids[41], ids[42], ids[43])                                         // a record missing in between
	// No record is ever deleted; a missing one is made by hand, to show
	// that stepping does not take the next record for it.
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(contactKey(ids[42])) }); err != nil {
		t.Fatal(err)
	}
	err := s.view(func(txn *badger.Txn) error {
		rd := newRecordReader(txn)
		defer rd.close()
		for _, id := range order {
			got, err := rd.read(id)
			want, wantErr := readContactRec(txn, id)
			if (err == nil) != (wantErr == nil) || (err != nil && !errors.Is(err, ErrNotFound)) {
				t.Errorf("read(%s): error %v, look-up %v", id, err, wantErr)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read(%s) = %+v, look-up %+v", id, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
