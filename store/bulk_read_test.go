package store

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestRecordReaderStepsFarAndSeeksWhenLeftBehind checks where the reader
// of a bulk change leaves its iterator: records up to recordSteps ids ahead
// are stepped to, further ones looked up, and an iterator that look-ups
// left behind is sought to the next near record rather than stepped from
// far back. Each read is compared with a plain look-up, over records that
// have older versions to step past.
func TestRecordReaderStepsFarAndSeeksWhenLeftBehind(t *testing.T) {
	s, ids := queryStore(t, 400)
	// Older versions under every third record: a bulk change that ran before.
	for i := 0; i < len(ids); i += 3 {
		if err := s.UpdateContact("op", ids[i], func(c *gdpr.Contact) error { c.Notes = "seen"; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	at := func(rd *recordReader) gdpr.ContactID {
		if rd.it == nil || !rd.it.Valid() {
			return 0
		}
		return gdpr.ContactID(idFromKey(rd.it.Item().Key()))
	}
	err := s.view(func(txn *badger.Txn) error {
		rd := newRecordReader(txn)
		defer rd.close()
		read := func(id gdpr.ContactID) {
			t.Helper()
			got, err := rd.read(id)
			if err != nil {
				t.Fatalf("read(%s): %v", id, err)
			}
			want, err := readContactRec(txn, id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("read(%s) = %+v, look-up %+v", id, got, want)
			}
		}
		read(ids[0]) // a look-up: nothing read before
		read(ids[1]) // near: the iterator starts here
		if got := at(rd); got != ids[1] {
			t.Fatalf("iterator at %s after a near read of %s", got, ids[1])
		}
		read(ids[1+recordSteps]) // as far as is stepped to
		if got := at(rd); got != ids[1+recordSteps] {
			t.Errorf("iterator at %s, want it stepped to %s (%d ids ahead)", got, ids[1+recordSteps], recordSteps)
		}
		far := 2 + 2*recordSteps
		read(ids[far]) // further: looked up, the iterator stays behind
		if got := at(rd); got != ids[1+recordSteps] {
			t.Errorf("iterator at %s after a look-up, want it left at %s", got, ids[1+recordSteps])
		}
		read(ids[far+3]) // near the look-up, far from the iterator: sought
		if got := at(rd); got != ids[far+3] {
			t.Errorf("iterator at %s, want it sought to %s", got, ids[far+3])
		}
		// Any order after that reads what a look-up reads.
		r := rand.New(rand.NewPCG(3, 5))
		i := far + 3
		for range 300 {
			switch r.IntN(4) {
			case 0:
				i = r.IntN(len(ids))
			default:
				i = min(len(ids)-1, i+1+r.IntN(12))
			}
			read(ids[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
