package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The breach register (Art. 33(5)): a breach and its audit entry commit
// together; its texts are sealed, never in the clear record, a key or the
// audit log; updates apply the rule book's checks inside the transaction.
func TestBreachRegisterSealsAndAuditsArt33(t *testing.T) {
	s, clk := newStore(t)
	secret := "Laptop of Erika Mustermann stolen"
	b := gdpr.Breach{AwareAt: t0.Add(-2 * time.Hour), What: secret, Risk: gdpr.RiskSome, People: 120, Records: 300,
		DataCategories: []string{"contact details"}, Consequences: "phishing of Erika's customers", Measures: "passwords reset"}
	id, err := s.AddBreach("owner", b)
	if err != nil || id != 1 {
		t.Fatalf("AddBreach = %s, %v; want B1", id, err)
	}
	got, err := s.Breach(id)
	if err != nil {
		t.Fatal(err)
	}
	if got.What != secret || got.Consequences != b.Consequences || got.People != 120 || !got.AwareAt.Equal(b.AwareAt) ||
		got.RecordedBy != "owner" || !got.RecordedAt.Equal(t0) || len(got.DataCategories) != 1 {
		t.Errorf("breach read back = %+v", got)
	}
	// Nothing of the texts in the clear: every value under br/, every key,
	// every audit entry.
	err = s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().KeyCopy(nil)
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if bytes.Contains(k, []byte("Erika")) || bytes.Contains(v, []byte("Erika")) {
				t.Errorf("key %q holds the breach text in the clear", k)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	es := allAudit(t, s)
	last := es[len(es)-1]
	if last.Action != string(gdpr.ActionBreachAdd) || last.Record != "B1" || !strings.Contains(last.Detail, "due 2026-03-13T07:30:00Z") {
		t.Errorf("audit entry = %+v", last)
	}

	// Late notification: the rule book's check runs in the transaction.
	clk.Set(t0.Add(80 * time.Hour))
	notify := func(late string) error {
		return s.UpdateBreach("owner", id, gdpr.ActionBreachNotify, "authority told", func(b *gdpr.Breach) error {
			at := clk.Now()
			if err := gdpr.ValidateNotify(*b, at, late); err != nil {
				return err
			}
			b.NotifiedAt, b.LateReason = at, late
			return nil
		})
	}
	n := len(allAudit(t, s))
	if err := notify(""); err == nil || !strings.Contains(err.Error(), "reasons for the delay") {
		t.Fatalf("late notification without a reason: %v", err)
	}
	if len(allAudit(t, s)) != n {
		t.Error("a refused notification was audited as done")
	}
	if err := notify("scope known only on day 4"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Breach(id)
	if got.LateReason != "scope known only on day 4" || got.NotifiedAt.IsZero() || !got.Documented(clk.Now()) {
		t.Errorf("after late notification: %+v", got)
	}
	if err := s.UpdateBreach("owner", id, gdpr.ActionContactEdit, "", func(*gdpr.Breach) error { return nil }); err == nil {
		t.Error("UpdateBreach took a non-breach action")
	}
	checkVerified(t, s)
}

// Staff record breaches (anyone may discover one, SPEC §8 roles); a viewer
// is refused and the refusal audited.
func TestBreachRolesStaffMayRecord(t *testing.T) {
	s, _ := newStore(t)
	addOp(t, s, "vic", gdpr.RoleViewer)
	addOp(t, s, "sam", gdpr.RoleStaff)
	b := gdpr.Breach{AwareAt: t0.Add(-time.Hour), What: "mail to the wrong list", Risk: gdpr.RiskNone}
	if _, err := s.AddBreach("vic", b); !errors.Is(err, ErrForbidden) {
		t.Fatalf("viewer AddBreach: %v, want ErrForbidden", err)
	}
	id, err := s.AddBreach("sam", b)
	if err != nil {
		t.Fatalf("staff AddBreach: %v", err)
	}
	if list, _ := s.Breaches(); len(list) != 1 || list[0].ID != id {
		t.Errorf("register after a refused and an allowed add: %+v", list)
	}
}

// The breaches are in the checklist snapshot, and a backup carries them.
func TestBreachSnapshotAndBackup(t *testing.T) {
	s, clk := newStore(t)
	if _, err := s.AddBreach("owner", gdpr.Breach{AwareAt: t0.Add(-time.Hour), What: "lost USB stick", Risk: gdpr.RiskHigh, People: 3}); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(100 * time.Hour))
	items, _, _, err := s.Checklist()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, it := range items {
		if it.ID == "breaches-documented" {
			found = true
			if it.State != gdpr.StateTodo || !strings.Contains(it.Value, "B1") {
				t.Errorf("breaches-documented = %s %q, want todo naming B1", it.State, it.Value)
			}
		}
	}
	if !found {
		t.Error("no breaches-documented item")
	}
	var buf bytes.Buffer
	if _, err := s.Backup(&buf, testPassphrase); err != nil {
		t.Fatal(err)
	}
	dir, _ := restoreInto(t, buf.Bytes(), RestoreOptions{Passphrase: testPassphrase})
	r := openAt(t, dir, newClock(t0))
	list, err := r.Breaches()
	if err != nil || len(list) != 1 || list[0].What != "lost USB stick" || list[0].Risk != gdpr.RiskHigh {
		t.Errorf("restored register = %+v, %v", list, err)
	}
	if id, err := r.AddBreach("owner", gdpr.Breach{AwareAt: t0, What: "second", Risk: gdpr.RiskNone}); err != nil || id != 2 {
		t.Errorf("next breach after restore = %s, %v; want B2", id, err)
	}
}
