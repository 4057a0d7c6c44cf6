package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// FuzzDecodeContact feeds the binary contact codec arbitrary bytes: it must
// return an error or a record, never panic or allocate without bound, and a
// record it accepts must encode back to bytes it decodes to the same record.
func FuzzDecodeContact(f *testing.F) {
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, r := range []contactRec{
		{ID: 1, Slot: 2, Country: "DE", Status: gdpr.ContactActive, Source: "webinar", Tags: []string{"vip"}, CreatedAt: at, UpdatedAt: at,
			Bases:    []basisRec{{Basis: gdpr.BasisConsent, Source: "webinar", At: at, By: "op", Evidence: []byte{1, 2, 3}}},
			Personal: []byte("sealed"), Search: []byte("search")},
		{ID: 99, Status: gdpr.ContactAnonymized, AnonymizedAt: at},
		{ID: 7, Status: gdpr.ContactRestricted, CreatedAt: at, MarketingObjection: at, RestrictedAt: at,
			Bases:    []basisRec{{Basis: gdpr.BasisConsent, Purpose: "newsletter", At: at}},
			Consents: []gdpr.ConsentRecord{{Purpose: "newsletter", Granted: true, At: at, Marketing: true, ConsentVersion: 2}},
			Hold:     &gdpr.Hold{Reason: "invoices", Until: at.AddDate(10, 0, 0), Keep: []string{"last_name"}, At: at, By: "op"}},
	} {
		f.Add(mustEncode(f, &r))
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeContact(b)
		if err != nil {
			return
		}
		again, err := decodeContact(mustEncode(t, &rec))
		if err != nil {
			t.Fatalf("a decoded record does not decode after encoding: %v", err)
		}
		if !bytes.Equal(mustEncode(t, &again), mustEncode(t, &rec)) {
			t.Fatal("encode/decode is not stable")
		}
	})
}

// FuzzDecodeRequest feeds the stored request decoder arbitrary bytes.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"id":3,"type":"erasure","status":"new","received":"2026-01-31T00:00:00Z","due":"2026-03-02T00:00:00Z"}`))
	f.Add([]byte(`{`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeRequest(b)
	})
}

// A corrupt contact record in the store is an error naming the problem,
// not a crash, for every reader of it.
func TestCorruptContactRecordIsAnError(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"})
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(contactKey(ids[0]), []byte{0x07, 0xff}) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Contact(ids[0]); err == nil {
		t.Error("Contact read a corrupt record without an error")
	}
	if _, err := s.Contacts(gdpr.Query{}, nil, 10); err == nil {
		t.Error("Contacts read a corrupt record without an error")
	}
}
