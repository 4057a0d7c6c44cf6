package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"golang.org/x/text/unicode/norm"
)

const hanako = "hänako.yamadaqx@exämple.de"

// hanakoSpellings are other spellings of one address: decomposed (as a Mac
// writes it), upper case, and the domain in punycode.
var hanakoSpellings = []string{
	norm.NFD.String(hanako),
	"HÄNAKO.YAMADAQX@EXÄMPLE.DE",
	"hänako.yamadaqx@xn--exmple-cua.de",
	norm.NFD.String("Hänako.Yamadaqx@XN--EXMPLE-CUA.DE"),
}

// After erasure (Art. 17) the address stays suppressed in every spelling
// of it: creating, importing (chunked and prepared paths, and a dry run)
// and renaming a contact to it are refused, and IsSuppressed says so.
func TestErasedAddressIsSuppressedInEverySpelling(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{FirstName: "Hanako", Email: hanako, Country: "DE"})[0]
	if _, err := s.Anonymize("anna", id, AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	other := mustCreate(t, s, gdpr.Contact{Email: "someone@example.de"})[0]
	for _, e := range hanakoSpellings {
		if ok, err := s.IsSuppressed(e); err != nil || !ok {
			t.Errorf("IsSuppressed(%q) = %v, %v; want true", e, ok, err)
		}
		if _, err := s.CreateContact("anna", gdpr.Contact{Email: e}); !errors.Is(err, ErrSuppressed) {
			t.Errorf("creating %q: %v, want ErrSuppressed", e, err)
		}
		for _, dry := range []bool{false, true} {
			outs, err := s.ImportContacts("anna", []ImportItem{{Line: 2, Contact: gdpr.Contact{Email: e, Status: gdpr.ContactActive}}}, exMerge, dry)
			if err != nil || outs[0] != ImportSuppressed {
				t.Errorf("import (dry run %v) of %q: %v, %v; want suppressed", dry, e, outs, err)
			}
		}
		im := s.BeginImport()
		items := []ImportItem{{Line: 2, Contact: gdpr.Contact{Email: e, Status: gdpr.ContactActive}}}
		outs, err := im.ImportPrepared("anna", items, im.Prepare("anna", items), exMerge)
		if err != nil || outs[0] != ImportSuppressed {
			t.Errorf("prepared import of %q: %v, %v; want suppressed", e, outs, err)
		}
		err = s.UpdateContact("anna", other, func(c *gdpr.Contact) error { c.Email = e; return nil })
		if !errors.Is(err, ErrSuppressed) {
			t.Errorf("changing a contact's address to %q: %v, want ErrSuppressed", e, err)
		}
	}
	if n := mustCount(t, s, "status:active"); n != 1 {
		t.Errorf("%d active contacts, want only the other one", n)
	}
}

// A person who objected to direct marketing (Art. 21(3)) is the same
// person in every spelling of their address: an import matches the
// existing contact, whose objection stands, instead of creating a new,
// marketable one.
func TestObjectionFollowsEverySpellingOfTheAddress(t *testing.T) {
	s, _ := newStore(t)
	id := mustCreate(t, s, gdpr.Contact{Email: hanako, Country: "DE", MarketingObjection: t0})[0]
	for _, e := range hanakoSpellings {
		outs, err := s.ImportContacts("anna", []ImportItem{{Line: 2, Contact: gdpr.Contact{Email: e, Status: gdpr.ContactActive}}}, exMerge, false)
		if err != nil || outs[0] != ImportUnchanged {
			t.Errorf("import of %q: %v, %v; want it matched to %s, unchanged", e, outs, err, id)
		}
		c, err := s.ContactByEmail(e)
		if err != nil || c.ID != id {
			t.Errorf("ContactByEmail(%q) = %s, %v; want %s", e, c.ID, err, id)
		}
	}
	if c := mustContact(t, s, id); c.MarketingObjection.IsZero() {
		t.Error("the objection was lost")
	}
	if n := mustCount(t, s, ""); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	if _, err := s.CreateContact("anna", gdpr.Contact{Email: hanakoSpellings[1]}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("creating the upper-case spelling: %v, want ErrDuplicate", err)
	}
}

// A store written before CanonicalEmail: its suppression entry is the
// HMAC of the address as typed (lower-cased), and its contacts' look-up
// keys likewise. The entry is still found for every spelling the legacy
// spellings cover (Art. 17), re-admitting removes it, and the next open
// moves the look-up keys to the canonical form once.
func TestEntriesOfEarlierVersionsStillMatch(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	live := mustCreate(t, s, gdpr.Contact{Email: "zoë@exämple.de"})[0]
	// Write the store as an earlier version left it.
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(suppressKey(s.hmacOf(hanako)), nil); err != nil {
			return err
		}
		if err := txn.Delete(emailKey(s.emailHash("zoë@exämple.de"))); err != nil {
			return err
		}
		if err := txn.Set(emailKey(s.hmacOf("zoë@exämple.de")), u64(uint64(live))); err != nil {
			return err
		}
		return txn.Delete(keyUpgradeEmailKeys)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, dir, clk)
	for _, e := range append([]string{hanako}, hanakoSpellings...) {
		if ok, err := s.IsSuppressed(e); err != nil || !ok {
			t.Errorf("IsSuppressed(%q) with an entry of an earlier version = %v, %v; want true", e, ok, err)
		}
	}
	for _, e := range []string{"ZOË@xn--exmple-cua.de", norm.NFD.String("zoë@exämple.de")} {
		if c, err := s.ContactByEmail(e); err != nil || c.ID != live {
			t.Errorf("after the upgrade, ContactByEmail(%q) = %s, %v; want %s", e, c.ID, err, live)
		}
	}
	if n := keyCount(t, s, prefixEmail); n != 1 {
		t.Errorf("%d email look-up keys, want 1 (the old one moved, not copied)", n)
	}
	found := false
	for _, e := range allAudit(t, s) {
		found = found || e.Action == string(gdpr.ActionStoreUpgrade) && strings.Contains(e.Detail, "1 contact(s)")
	}
	if !found {
		t.Error("the upgrade of the look-ups is not audited")
	}
	if err := s.Readmit("anna", hanakoSpellings[2], "asked to rejoin on 2026-03-01"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsSuppressed(hanako); ok {
		t.Error("re-admitted, the address is still suppressed")
	}
	checkVerified(t, s)
}

// Lookalike addresses never reach the store (SPEC §8).
func TestStoreRefusesLookalikeAddresses(t *testing.T) {
	s, _ := newStore(t)
	for addr, reason := range map[string]string{
		"hanako\u200b@example.de":  "invisible character",
		"hanako\u202e@example.de":  "bidirectional control",
		"h\u0430nako@example.de":   "mixes Latin and Cyrillic",
		"hanako@ex\u0430mple.de":   "mixes Latin and Cyrillic",
		"hanako@xn--exmple-4nf.de": "mixes",
	} {
		if _, err := s.CreateContact("anna", gdpr.Contact{Email: addr}); err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("CreateContact(%q) = %v, want a refusal saying %q", addr, err, reason)
		}
	}
}
