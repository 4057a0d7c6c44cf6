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
	// Recipients as schema 2 kept them: free text in the settings.
	if err := s.SaveSettings("op", gdpr.Settings{Recipients: []gdpr.Recipient{
		{Name: "MailDrop Ltd", Role: "processor: newsletter delivery", Contact: "privacy@maildrop.example"},
		{Name: "Tax adviser", Role: "accounting"},
	}}); err != nil {
		t.Fatal(err)
	}
	// A completed restriction without notifications, counted the old way
	// (Art. 19 did not cover restriction).
	rid, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestRestriction, Contact: ids[3], Channel: gdpr.ChannelEmail, Received: gdpr.Day(clk.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Restrict("op", ids[3], "accuracy contested"); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseRequest("op", rid, gdpr.StatusCompleted, "restricted"); err != nil {
		t.Fatal(err)
	}
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
		if err := txn.Delete(counterKey(cntUnnotified)); err != nil {
			return err
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
	// One list of recipients: the register (SPEC §10).
	rs, err := s.Recipients()
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Settings(); len(st.Recipients) != 0 || len(rs) != 2 {
		t.Fatalf("after the upgrade: %d recipients left in the settings, register %+v", len(st.Recipients), rs)
	}
	if m, _ := gdpr.FindRecipient(rs, "MailDrop Ltd"); m.Role != gdpr.RecipientProcessor || m.Service != "newsletter delivery" || m.Contact != "privacy@maildrop.example" {
		t.Errorf("MailDrop after the upgrade: %+v", m)
	}
	if x, _ := gdpr.FindRecipient(rs, "Tax adviser"); x.Role != gdpr.RecipientController || x.Service != "accounting" {
		t.Errorf("tax adviser after the upgrade: %+v", x)
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
