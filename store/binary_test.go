package store

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The record codec keeps the rule book's state (version 2), and reads the
// records of version 1 as having none of it.
func TestContactCodecKeepsTheRuleBookState(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	rec := contactRec{ID: 7, Slot: 3, Country: "FR", Status: gdpr.ContactRestricted, CreatedAt: at, UpdatedAt: at,
		MarketingObjection: at.Add(time.Hour), RestrictedAt: at.Add(2 * time.Hour),
		Bases:    []basisRec{{Basis: gdpr.BasisConsent, Purpose: "newsletter", Source: "webform", At: at, By: "anna"}},
		Consents: []gdpr.ConsentRecord{{Purpose: "newsletter", Granted: true, At: at, Method: "form", Marketing: true, ConsentVersion: 2, PolicyVersion: 1}},
		Hold:     &gdpr.Hold{Reason: "invoices: 10 years", Until: at.AddDate(10, 0, 0), Keep: []string{"last_name", "street"}, At: at, By: "anna"},
		Personal: []byte("sealed")}
	got, err := decodeContact(mustEncode(t, &rec))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, rec)
	}
	// A version 1 record: the same bytes without what version 2 added.
	v1 := contactRec{ID: 8, Country: "DE", Status: gdpr.ContactActive, CreatedAt: at,
		Bases:    []basisRec{{Basis: gdpr.BasisContract, Source: "purchase", At: at}},
		Consents: []gdpr.ConsentRecord{{Purpose: "email marketing", Granted: true, At: at}}}
	e := encoder{}
	e.b = append(e.b, contactCodecV1)
	e.u(uint64(v1.ID))
	e.u(0)
	e.str(v1.Country)
	e.str(string(v1.Status))
	e.str("")
	e.u(0)
	e.u(1)
	e.str(string(gdpr.BasisContract))
	e.str("purchase")
	e.bytes(nil)
	e.time(at)
	e.str("")
	e.u(1)
	e.str("email marketing")
	e.flag(true)
	e.time(at)
	e.str("")
	e.u(0)
	e.u(0)
	e.i(0)
	e.flag(false)
	e.time(at)
	e.time(time.Time{})
	e.time(time.Time{})
	e.bytes(nil)
	e.bytes(nil)
	old, err := decodeContact(e.b)
	if err != nil {
		t.Fatalf("a version 1 record: %v", err)
	}
	if !reflect.DeepEqual(old, v1) {
		t.Fatalf("version 1:\n got %+v\nwant %+v", old, v1)
	}
}

func mustEncode(t testing.TB, r *contactRec) []byte {
	t.Helper()
	b, err := encodeContact(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The codec refuses a date its int64 nanoseconds cannot hold instead of
// wrapping it (2300-01-01 was stored as 1715-06-13), and keeps the dates
// at the edges of the product's range exactly.
func TestContactCodecRefusesADateItCannotHold(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		for name, rec := range map[string]contactRec{
			"created":  {ID: 1, Status: gdpr.ContactActive, CreatedAt: at},
			"consent":  {ID: 1, Status: gdpr.ContactActive, Consents: []gdpr.ConsentRecord{{Purpose: "newsletter", Granted: true, At: at}}},
			"hold end": {ID: 1, Status: gdpr.ContactHeld, Hold: &gdpr.Hold{Reason: "tax", Until: at}},
		} {
			b, err := encodeContact(&rec)
			if err == nil || b != nil || !strings.Contains(err.Error(), at.Format(time.DateOnly)) {
				t.Errorf("%s %s: got %d bytes, error %v; want no bytes and an error naming the date", name, at.Format(time.DateOnly), len(b), err)
			}
		}
	}
	first, last := gdpr.StorableDateRange()
	for _, at := range []time.Time{first, last} {
		rec := contactRec{ID: 2, Status: gdpr.ContactActive, CreatedAt: at, UpdatedAt: at}
		got, err := decodeContact(mustEncode(t, &rec))
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(at) || !got.UpdatedAt.Equal(at) {
			t.Errorf("boundary %s came back as %s", at, got.CreatedAt)
		}
	}
}
