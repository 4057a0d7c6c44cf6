package store

import (
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// A store of schema 2 gets the rule book's records when opened (SPEC §9):
// its consent texts become purposes (marketing when they say so), consent
// records name the versions in force when they were given, a purpose-less
// consent basis gets the standing consent's purpose, and marketing:,
// purpose: and hold: answer from their indexes with counters a recount
// agrees with.
func TestRuleBookUpgradeOfAnOlderStore(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	v1, err := s.AddPolicyVersion("op", gdpr.PolicyConsent, "Yes, send me the newsletter.", t0)
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(48 * time.Hour))
	if _, err := s.AddPolicyVersion("op", gdpr.PolicyConsent, "Yes, send me offers.", clk.Now()); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour) // when only version 1 was in force
	consent := func(purpose string, granted bool) gdpr.ConsentRecord {
		// Recorded the old way: the newest wording, not the one in force.
		return gdpr.ConsentRecord{Purpose: purpose, Granted: granted, At: at, Method: "form", ConsentVersion: 2}
	}
	basis := gdpr.BasisAssignment{Basis: gdpr.BasisConsent, Source: "import", At: at}
	ids := mustCreate(t, s,
		gdpr.Contact{Email: "news@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{basis}, Consents: []gdpr.ConsentRecord{consent("Email Marketing", true)}},
		gdpr.Contact{Email: "gone@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{basis}, Consents: []gdpr.ConsentRecord{consent("Email Marketing", false)}},
		gdpr.Contact{Email: "updates@example.org", Country: "FR", Bases: []gdpr.BasisAssignment{basis}, Consents: []gdpr.ConsentRecord{consent("product updates", true)}},
		gdpr.Contact{Email: "plain@example.org", Country: "US"},
	)
	// Make it what schema 2 left: version 1 records, none of the new
	// indexes and counters, no purposes.
	err = s.db.Update(func(txn *badger.Txn) error {
		for _, prefix := range [][]byte{fieldPrefix(ixMarketing), fieldPrefix(ixPurpose), fieldPrefix(ixHold), prefixPurpose} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
			var keys [][]byte
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
		}
		for _, n := range []string{cntSubjects, cntSubjectsNone, cntPrefixMarketing + "no", cntPrefixMarketing + "consent", cntPrefixHold + "no", cntPrefixPurpose + "email marketing"} {
			if err := txn.Delete(counterKey(n)); err != nil {
				return err
			}
		}
		return txn.Set(keySchema, u64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, dir, clk)
	ps, err := s.Purposes()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "email marketing" || !ps[0].Marketing || ps[1].Name != "product updates" || ps[1].Marketing {
		t.Fatalf("purposes after the upgrade: %+v", ps)
	}
	c := mustContact(t, s, ids[0])
	if r := c.Consents[0]; r.Purpose != "email marketing" || !r.Marketing || r.ConsentVersion != v1.Version {
		t.Errorf("consent record after the upgrade: %+v; want the purpose's name, marketing, wording version %d (in force then)", r, v1.Version)
	}
	if c.Bases[0].Purpose != "email marketing" {
		t.Errorf("consent basis purpose %q, want the standing consent's", c.Bases[0].Purpose)
	}
	for q, want := range map[string]int64{"marketing:yes": 1, "marketing:no": 3, "purpose:\"email marketing\"": 1,
		"purpose:\"product updates\"": 1, "hold:no": 4, "hold:yes": 0} {
		if got := mustCount(t, s, q); got != want {
			t.Errorf("%s after the upgrade: %d, want %d", q, got, want)
		}
		if got := int64(len(collect(t, s, q, 10))); got != want {
			t.Errorf("%s lists %d, want %d", q, got, want)
		}
	}
	checkVerified(t, s)
	// Opening again changes nothing.
	before := allAudit(t, s)
	s.Close()
	s = openAt(t, dir, clk)
	if after := allAudit(t, s); len(after) != len(before) {
		t.Errorf("a second open wrote %d audit entries", len(after)-len(before))
	}
}
