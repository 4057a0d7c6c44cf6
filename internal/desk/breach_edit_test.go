package desk

import (
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// TestEditBreachKeepsALateNotificationLateArt33: after a notification
// made after the 72 hours, moving the time of awareness (which would make
// it on time) is refused, re-assessing the risk is allowed and audited
// old → new, and a notified breach re-assessed as without risk stays
// documented and notified late (Art. 33(1), 33(5)).
func TestEditBreachKeepsALateNotificationLateArt33(t *testing.T) {
	s := openStore(t)
	aware := testNow.Add(-100 * time.Hour).Truncate(time.Minute).Add(17 * time.Second)
	id, err := AddBreach(s, "owner", gdpr.Breach{AwareAt: aware, What: "Anna's invoices emailed to Bob", Risk: gdpr.RiskSome, People: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := NotifyBreach(s, "owner", id, testNow.Add(-2*time.Hour), "REF-1", "the scope was found later", testNow); err != nil {
		t.Fatal(err)
	}
	err = EditBreach(s, "owner", id, func(b *gdpr.Breach) { b.AwareAt = testNow.Add(-50 * time.Hour) })
	if err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Fatalf("awareness moved after a late notification: %v", err)
	}
	// A form that shows the time to the minute keeps it as recorded.
	if err := EditBreach(s, "owner", id, func(b *gdpr.Breach) {
		b.AwareAt, b.Risk = aware.Truncate(time.Minute), gdpr.RiskNone
	}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Breach(id)
	if err != nil {
		t.Fatal(err)
	}
	if !b.AwareAt.Equal(aware) || !b.NotifiedLate || b.State(testNow) != "notified late" || !b.Documented(testNow) {
		t.Errorf("after the edit: aware %v late %v state %q documented %v", b.AwareAt, b.NotifiedLate, b.State(testNow), b.Documented(testNow))
	}
	es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionBreachEdit)})
	if len(es) != 1 || !strings.Contains(es[0].Detail, "risk risk → none") || strings.Contains(es[0].Detail, "Anna") || strings.Contains(es[0].Detail, "aware") {
		t.Errorf("audit: %+v", es)
	}
	// Before any notification the time may be corrected, and the audit
	// says from what to what.
	id2, err := AddBreach(s, "owner", gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "lost USB stick", Risk: gdpr.RiskSome})
	if err != nil {
		t.Fatal(err)
	}
	if err := EditBreach(s, "owner", id2, func(b *gdpr.Breach) { b.AwareAt = testNow.Add(-3 * time.Hour) }); err != nil {
		t.Fatal(err)
	}
	es = auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionBreachEdit), Record: id2.String()})
	if want := "aware 2026-11-29T09:00:00Z → 2026-11-29T07:00:00Z"; len(es) != 1 || !strings.Contains(es[0].Detail, want) {
		t.Errorf("audit of a corrected time: %+v, want %q", es, want)
	}
}
