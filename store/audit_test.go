package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestMutationsAppendExpectedEntries runs every kind of change in turn and
// checks the exact audit entries each appended: one per change, none for a
// refused or empty change, each naming the operator, the clock and the record.
func TestMutationsAppendExpectedEntries(t *testing.T) {
	s, clk := newStore(t)
	var req gdpr.RequestID
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"
	steps := []struct {
		name    string
		do      func() error
		fails   bool
		actions []string
		record  string // of the first entry, when set
	}{
		{"create one", func() error { _, err := s.CreateContact("op", anna()); return err }, false,
			[]string{"contact.create"}, "C1"},
		{"create three", func() error {
			_, err := s.CreateContacts("op", []gdpr.Contact{{Email: "a@example.org", Country: "DE"},
				{Email: "b@example.org", Country: "DE"}, {Email: "c@example.org", Country: "FR"}})
			return err
		}, false, []string{"contact.create", "contact.create", "contact.create"}, "C2"},
		{"create duplicate", func() error { _, err := s.CreateContact("op", anna()); return err }, true, nil, ""},
		{"create invalid batch", func() error {
			_, err := s.CreateContacts("op", []gdpr.Contact{{Email: "d@example.org"}, {Email: "bad"}})
			return err
		}, true, nil, ""},
		{"edit", func() error {
			return s.UpdateContact("op", 2, func(c *gdpr.Contact) error { c.City = "Bonn"; return nil })
		}, false, []string{"contact.edit"}, "C2"},
		{"edit changing nothing", func() error {
			return s.UpdateContact("op", 2, func(c *gdpr.Contact) error { c.City = "Bonn"; return nil })
		}, false, nil, ""},
		{"add a consent record", func() error {
			return s.UpdateContact("op", 2, func(c *gdpr.Contact) error {
				c.Consents = append(c.Consents, gdpr.ConsentRecord{Purpose: "newsletter", Granted: true, At: t0, PolicyVersion: 1})
				return nil
			})
		}, false, []string{"contact.edit"}, "C2"},
		{"restrict", func() error { return s.SetContactStatus("op", 3, gdpr.ContactRestricted, "objection") }, false,
			[]string{"contact.restrict"}, "C3"},
		{"restrict again", func() error { return s.SetContactStatus("op", 3, gdpr.ContactRestricted, "") }, false, nil, ""},
		{"lift", func() error { return s.LiftRestriction("op", 3, t0) }, false,
			[]string{"contact.lift"}, "C3"},
		{"tag country:DE", func() error {
			_, err := s.ApplyBasis(t.Context(), "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests}, nil)
			return err
		}, false, []string{"basis.add"}, ""},
		// Tagged again later: the held basis is renewed (its date restarts
		// the retention clock, Art. 5(1)(e)), and that is audited.
		{"tag country:DE again", func() error {
			_, err := s.ApplyBasis(t.Context(), "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests}, nil)
			return err
		}, false, []string{"basis.add"}, ""},
		{"untag country:DE", func() error {
			_, err := s.ApplyBasis(t.Context(), "op", mustQuery(t, "country:DE"), BasisChange{Basis: gdpr.BasisLegitimateInterests, Remove: true}, nil)
			return err
		}, false, []string{"basis.remove"}, ""},
		{"request", func() error {
			var err error
			req, err = s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: 1})
			return err
		}, false, []string{"request.add"}, "R1"},
		{"deny without reason", func() error { return s.CloseRequest("op", req, gdpr.StatusDenied, "") }, true, nil, ""},
		{"complete", func() error { return s.CloseRequest("op", req, gdpr.StatusCompleted, "done") }, false,
			[]string{"request.close"}, "R1"},
		{"settings", func() error { return s.SaveSettings("op", gdpr.Settings{PrivacyPolicyURL: "https://x.example"}) }, false,
			[]string{"settings.edit"}, "settings"},
		{"same settings", func() error { return s.SaveSettings("op", gdpr.Settings{PrivacyPolicyURL: "https://x.example"}) }, false,
			nil, ""},
		{"sweep", func() error { return s.RecordSweep("op", t0, 0) }, false, []string{"sweep.record"}, "settings"},
		{"policy", func() error {
			_, err := s.AddPolicyVersion("op", gdpr.PolicyPrivacy, "text", time.Time{})
			return err
		}, false, []string{"policy.add"}, "privacy_policy v1"},
		{"rule", func() error { return s.SetSourceRule("op", gdpr.SourceRule{Source: "fair", Basis: gdpr.BasisContract}) }, false,
			[]string{"rule.set"}, "source fair"},
		{"delete rule", func() error { return s.DeleteSourceRule("op", "fair") }, false, []string{"rule.delete"}, "source fair"},
		{"delete missing rule", func() error { return s.DeleteSourceRule("op", "fair") }, true, nil, ""},
		{"checklist", func() error {
			return s.SetChecklistItem("op", "privacy-offline", gdpr.ItemRecord{State: gdpr.StateDone})
		}, false, []string{"checklist.set"}, "checklist privacy-offline"},
		{"checklist refused", func() error { return s.SetChecklistItem("op", "dpo", gdpr.ItemRecord{State: gdpr.StateDone}) }, true,
			nil, ""},
		{"operator", func() error { return s.AddOperator("op", Operator{Name: "zoe", Role: gdpr.RoleStaff, PublicKey: key}) }, false,
			[]string{"operator.add"}, "operator zoe"},
		{"remove operator", func() error { return s.RemoveOperator("op", "zoe") }, false, []string{"operator.remove"}, "operator zoe"},
		{"rotate", func() error { return s.RotateMasterKey("op") }, false, []string{"keys.rotate"}, ""},
	}
	for i, st := range steps {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		clk.Set(at)
		n := len(allAudit(t, s))
		err := st.do()
		if (err != nil) != st.fails {
			t.Errorf("%s: err %v, want failure %v", st.name, err, st.fails)
		}
		es := auditSince(t, s, n)
		if got := actions(es); !slices.Equal(got, st.actions) {
			t.Errorf("%s appended %q, want %q", st.name, got, st.actions)
			continue
		}
		for j, e := range es {
			if e.Operator != "op" || !e.At.Equal(at) || e.Seq != uint64(n+j+1) {
				t.Errorf("%s: entry %+v, want operator op, time %v, seq %d", st.name, e, at, n+j+1)
			}
		}
		if st.record != "" && es[0].Record != st.record {
			t.Errorf("%s: first entry names record %q, want %q", st.name, es[0].Record, st.record)
		}
		checkCounters(t, s, st.name)
	}
	rep := checkVerified(t, s)
	if want := uint64(len(allAudit(t, s))); rep.Entries != want {
		t.Errorf("VerifyAudit checked %d entries, want %d", rep.Entries, want)
	}
}

// TestApplyBasisAuditsOnlyChangedContacts: tagging country:DE appends one
// basis.add entry for the chunk, found in the audit trail of each contact it
// changed and of none that already held the basis or did not match; a run
// that changes one contact appends an entry about it, with the evidence
// sealed under its key.
func TestApplyBasisAuditsOnlyChangedContacts(t *testing.T) {
	s, _ := newStore(t)
	consent := []gdpr.BasisAssignment{{Basis: gdpr.BasisLegitimateInterests}}
	ids := mustCreate(t, s,
		gdpr.Contact{Email: "de1@example.org", Country: "DE"},
		gdpr.Contact{Email: "de2@example.org", Country: "DE", Bases: consent},
		gdpr.Contact{Email: "fr1@example.org", Country: "FR"},
		gdpr.Contact{Email: "de3@example.org", Country: "DE", Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract}}},
		gdpr.Contact{Email: "de4@example.org", Country: "DE", Bases: consent},
		gdpr.Contact{Email: "us1@example.org", Country: "US"})
	n := len(allAudit(t, s))
	var progress []BulkProgress
	res, err := s.ApplyBasis(t.Context(), "op", mustQuery(t, "country:DE"),
		BasisChange{Basis: gdpr.BasisLegitimateInterests, Source: "Webinar", Evidence: "webinar signup 2024"},
		func(p BulkProgress) { progress = append(progress, p) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Matched != 4 || res.Changed != 2 || res.Unchanged != 2 || res.Cancelled {
		t.Errorf("ApplyBasis = %+v, want 4 matched, 2 changed, 2 unchanged", res)
	}
	if len(progress) != 1 || progress[0] != (BulkProgress{Done: 4, Changed: 2, Total: 4}) {
		t.Errorf("progress reports %+v, want one {4 2 4}", progress)
	}
	es := auditSince(t, s, n)
	if len(es) != 1 {
		t.Fatalf("the run appended %d entries, want one for its chunk", len(es))
	}
	e := es[0]
	if e.Action != "basis.add" || e.Contacts != 2 || e.Record != "" || e.Personal != "" ||
		!strings.Contains(e.Detail, "legitimate_interests") || !strings.Contains(e.Detail, "webinar") ||
		!strings.Contains(e.Detail, "2 contacts") {
		t.Errorf("entry %+v, want basis.add about 2 contacts naming consent and the source, the evidence left on the contacts", e)
	}
	for i, id := range ids {
		trail, err := s.AuditOf(id.String())
		if err != nil {
			t.Fatal(err)
		}
		found := slices.ContainsFunc(trail, func(x AuditEntry) bool { return x.Seq == e.Seq })
		if want := i == 0 || i == 3; found != want {
			t.Errorf("%s: the chunk's entry in its trail %v, want %v", id, found, want)
		}
		byFilter, err := s.Audit(AuditFilter{Record: id.String(), Action: "basis.add"}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0 || i == 3; (len(byFilter) == 1 && byFilter[0].Seq == e.Seq) != want {
			t.Errorf("%s: Audit filtered by record gave %+v, want the chunk's entry %v", id, byFilter, want)
		}
	}
	n = len(allAudit(t, s))
	if _, err := s.ApplyBasisTo(t.Context(), "op", []gdpr.ContactID{ids[2]},
		BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "phone call"}, nil); err != nil {
		t.Fatal(err)
	}
	if es := auditSince(t, s, n); len(es) != 1 || es[0].Record != ids[2].String() || es[0].Personal != "phone call" ||
		es[0].Contacts != 0 {
		t.Errorf("one contact changed appended %+v, want an entry about %s with the evidence sealed", es, ids[2])
	}
	c := mustContact(t, s, ids[3])
	if !c.HasBasis(gdpr.BasisLegitimateInterests) || !c.HasBasis(gdpr.BasisContract) {
		t.Errorf("C4 bases %+v, want contract and consent", c.Bases)
	}
	for _, b := range c.Bases {
		if b.Basis == gdpr.BasisLegitimateInterests && (b.Source != "webinar" || b.Evidence != "webinar signup 2024" || b.By != "op" || !b.At.Equal(t0)) {
			t.Errorf("added basis %+v, want source webinar, the evidence, by op at the clock", b)
		}
	}
	checkVerified(t, s)
}

// rewriteAudit changes one stored audit entry behind the store's back, the
// way someone editing the database files would.
func rewriteAudit(tb testing.TB, s *Store, seq uint64, change func(m map[string]any)) {
	tb.Helper()
	err := s.db.Update(func(txn *badger.Txn) error {
		v, err := getValue(txn, auditKey(seq))
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		change(m)
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		return txn.Set(auditKey(seq), b)
	})
	if err != nil {
		tb.Fatalf("rewrite audit entry %d: %v", seq, err)
	}
}

// fillForAudit makes a store with a few dozen audit entries.
func fillForAudit(tb testing.TB) *Store {
	tb.Helper()
	s, _ := newStore(tb)
	for i := range 10 {
		mustCreate(tb, s, gdpr.Contact{Email: fmt.Sprintf("p%d@example.org", i), Country: []string{"DE", "FR", "US"}[i%3]})
	}
	// One contact at a time: an entry each, with its evidence sealed.
	for _, id := range []gdpr.ContactID{1, 4, 7, 10} {
		if _, err := s.ApplyBasisTo(tb.Context(), "op", []gdpr.ContactID{id}, BasisChange{Basis: gdpr.BasisLegitimateInterests, Evidence: "fair"}, nil); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, Contact: 2}); err != nil {
		tb.Fatal(err)
	}
	if err := s.UpdateContact("op", 5, func(c *gdpr.Contact) error { c.Country = "AT"; return nil }); err != nil {
		tb.Fatal(err)
	}
	checkVerified(tb, s)
	return s
}

func TestVerifyAuditDetectsAlteredEntry(t *testing.T) {
	tests := []struct {
		name   string
		seq    uint64
		change func(m map[string]any)
		want   string // a problem contains this
	}{
		{"action", 11, func(m map[string]any) { m["action"] = "contact.view" }, "audit entry 11 "},
		{"detail", 12, func(m map[string]any) { m["detail"] = "added nothing" }, "audit entry 12 "},
		{"operator", 1, func(m map[string]any) { m["operator"] = "mallory" }, "audit entry 1 "},
		{"time", 5, func(m map[string]any) { m["at"] = "2020-01-01T00:00:00Z" }, "audit entry 5 "},
		{"record", 7, func(m map[string]any) { m["record"] = "C9" }, "audit entry 7 "},
		{"sealed part dropped", 11, func(m map[string]any) { delete(m, "sealed") }, "audit entry 11 "},
		{"last entry", 16, func(m map[string]any) { m["detail"] = "changed nothing" }, "audit entry 16 "},
		{"hash recomputed", 6, func(m map[string]any) {
			// A careful forger also fixes the entry's own hash; the next
			// entry's link to it then breaks.
			m["detail"] = "forged"
			var rec auditRec
			b, _ := json.Marshal(m)
			_ = json.Unmarshal(b, &rec)
			h, _ := chainHash(rec)
			m["hash"] = h
		}, "audit entry 7 does not follow entry 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fillForAudit(t)
			if n := len(allAudit(t, s)); n != 16 {
				t.Fatalf("store has %d audit entries, the cases assume 16", n)
			}
			rewriteAudit(t, s, tt.seq, tt.change)
			rep, err := s.VerifyAudit()
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("VerifyAudit passed an altered log")
			}
			found := false
			for _, p := range rep.Problems {
				if strings.Contains(p, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %q do not name %q", rep.Problems, strings.TrimSpace(tt.want))
			}
		})
	}
}

func TestVerifyAuditDetectsRemovedEntries(t *testing.T) {
	tests := []struct {
		name string
		seq  uint64
		want string
	}{
		{"last entry", 16, "audit head"},
		{"middle entry", 8, "audit entry 9 "},
		{"first entry", 1, "audit entry 2 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fillForAudit(t)
			if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(auditKey(tt.seq)) }); err != nil {
				t.Fatal(err)
			}
			rep, err := s.VerifyAudit()
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), tt.want) {
				t.Errorf("after removing entry %d: problems %q, want one naming %q", tt.seq, rep.Problems, tt.want)
			}
		})
	}
	t.Run("head removed", func(t *testing.T) {
		s := fillForAudit(t)
		if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(keyAuditHead) }); err != nil {
			t.Fatal(err)
		}
		rep, err := s.VerifyAudit()
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "head is missing") {
			t.Errorf("problems %q, want the missing head named", rep.Problems)
		}
	})
}

func TestVerifyAuditDetectsTamperedCounters(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(txn *badger.Txn) error
		want   string
	}{
		{"total raised", func(txn *badger.Txn) error { return txn.Set(counterKey(cntContacts), u64(11)) },
			"counter contacts is 11 but a recount gives 10"},
		{"country lowered", func(txn *badger.Txn) error { return txn.Set(counterKey("country:DE"), u64(1)) },
			"counter country:DE is 1 but a recount gives 4"},
		{"counter deleted", func(txn *badger.Txn) error { return txn.Delete(counterKey(cntNoBasis)) },
			"counter nobasis is 0 but a recount gives 6"},
		{"counter invented", func(txn *badger.Txn) error { return txn.Set(counterKey("tag:ghost"), u64(3)) },
			"counter tag:ghost is 3 but a recount gives 0"},
		{"open requests", func(txn *badger.Txn) error { return txn.Set(counterKey(cntRequestsOpen), u64(0)) },
			"counter requests:open is 0 but a recount gives 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fillForAudit(t)
			if err := s.db.Update(tt.tamper); err != nil {
				t.Fatal(err)
			}
			rep, err := s.VerifyAudit()
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !slices.Contains(rep.Problems, tt.want) {
				t.Errorf("problems %q, want %q", rep.Problems, tt.want)
			}
		})
	}
}

func TestAuditPaging(t *testing.T) {
	s := fillForAudit(t)
	all := allAudit(t, s)
	var got []AuditEntry
	var before uint64
	for {
		page, err := s.Audit(AuditFilter{}, before, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		before = page[len(page)-1].Seq
		if before == 1 {
			break
		}
	}
	if len(got) != len(all) {
		t.Fatalf("paging newest first gave %d entries, want %d", len(got), len(all))
	}
	for i, e := range got {
		if want := all[len(all)-1-i]; e.Seq != want.Seq || e.Hash != want.Hash {
			t.Errorf("page entry %d = seq %d, want %d", i, e.Seq, want.Seq)
		}
	}
	filters := []struct {
		f    AuditFilter
		want int
	}{
		{AuditFilter{Action: "contact."}, 11},
		{AuditFilter{Action: "contact.create"}, 10},
		{AuditFilter{Action: "basis.add"}, 4},
		{AuditFilter{Record: "C5"}, 2},
		{AuditFilter{Operator: "tester"}, 10},
		{AuditFilter{Operator: "nobody"}, 0},
	}
	for _, f := range filters {
		es, err := s.Audit(f.f, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != f.want {
			t.Errorf("Audit(%+v) = %d entries, want %d", f.f, len(es), f.want)
		}
	}
}

// TestApplyBasisAgainRenewsItsDateArt5_1e: tagging a basis a contact
// already holds (a new order) is counted with those already as asked, but
// rewrites the held assignment with the new time, source and evidence, so
// the retention schedule (storage limitation, Art. 5(1)(e)) runs from it;
// the renewal is audited on the contact.
func TestApplyBasisAgainRenewsItsDateArt5_1e(t *testing.T) {
	s, clk := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{Email: "order@example.org", Country: "DE",
		Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisContract, Source: "purchase"}}})
	later := t0.AddDate(2, 0, 0)
	clk.Set(later)
	n := len(allAudit(t, s))
	res, err := s.ApplyBasisTo(t.Context(), "op", ids, BasisChange{Basis: gdpr.BasisContract, Source: "shop", Evidence: "order 2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 0 || res.Unchanged != 1 {
		t.Errorf("result %+v, want the contact counted as already holding it", res)
	}
	c := mustContact(t, s, ids[0])
	if len(c.Bases) != 1 || !c.Bases[0].At.Equal(later) || c.Bases[0].Evidence != "order 2" || c.Bases[0].Source != "shop" || c.Bases[0].By != "op" {
		t.Errorf("bases %+v, want the contract renewed at %s with the new evidence", c.Bases, later)
	}
	if es := auditSince(t, s, n); len(es) != 1 || es[0].Record != ids[0].String() || !strings.Contains(es[0].Detail, "renewed") {
		t.Errorf("the renewal appended %+v, want one entry about %s saying the date was renewed", es, ids[0])
	}
	orders := gdpr.Purpose{Name: "orders", Basis: gdpr.BasisContract, RetentionDays: 365}
	if got := gdpr.RetentionLapsed(&c, []gdpr.Purpose{orders}, later.AddDate(0, 6, 0)); got != nil {
		t.Errorf("the renewed contract lapsed %v, want kept (its clock restarted %s)", got, later)
	}
}
