package desk

import (
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Art. 33(3): the draft to the authority carries the nature of the breach
// (categories, approximate numbers), the contact point, the likely
// consequences and the measures; a breach given by query counts its people.
func TestBreachNoticeHasArt33Contents(t *testing.T) {
	s := openStore(t)
	create(t, s, gdpr.Contact{Email: "a@example.org", Country: "DE"}, gdpr.Contact{Email: "b@example.org", Country: "DE"},
		gdpr.Contact{Email: "c@example.org", Country: "FR"})
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop GmbH", Email: "hi@shop.example"},
		DPO: gdpr.Person{Name: "Dana DPO", Email: "dpo@shop.example"}}); err != nil {
		t.Fatal(err)
	}
	aware := testNow.Add(-80 * time.Hour)
	id, err := AddBreach(s, "owner", gdpr.Breach{AwareAt: aware, What: "mailing list exported by mistake", Query: "country:DE",
		Risk: gdpr.RiskSome, Records: 40, DataCategories: []string{"identity", "contact details"}, PeopleCategories: []string{"customers"},
		Consequences: "unwanted emails", Measures: "file deleted, recipients asked to delete"})
	if err != nil {
		t.Fatal(err)
	}
	b, _, ok, err := UrgentBreach(s, testNow)
	if err != nil || !ok || b.ID != id || b.People != 2 {
		t.Fatalf("UrgentBreach = %+v, %v, %v (want the breach, 2 people from country:DE)", b, ok, err)
	}
	text, err := BreachNotice(s, id, testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mailing list exported by mistake", "customers", "people concerned: 2", "records concerned: 40",
		"identity, contact details", "Dana DPO, dpo@shop.example", "unwanted emails", "file deleted", "Shop GmbH",
		"2026-11-26 02:00 UTC", "a risk to the rights", "after that period"} {
		if !strings.Contains(text, want) {
			t.Errorf("notice lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<no value>") {
		t.Errorf("notice has an empty field:\n%s", text)
	}
	// Late: the reason is required, then recorded; the breach is no longer urgent.
	if err := NotifyBreach(s, "owner", id, time.Time{}, "REF-1", "", testNow); err == nil {
		t.Fatal("a late notification without reasons was recorded")
	}
	if err := NotifyBreach(s, "owner", id, time.Time{}, "REF-1", "the export was found on day 4", testNow); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := UrgentBreach(s, testNow); ok {
		t.Error("a notified breach of risk is still urgent")
	}
	got, _ := s.Breach(id)
	if got.NotifyRef != "REF-1" || got.LateReason == "" || !got.Documented(testNow) {
		t.Errorf("after notify: %+v", got)
	}
	if err := EditBreach(s, "owner", id, func(b *gdpr.Breach) { b.Risk, b.NotifiedAt = gdpr.RiskHigh, time.Time{} }); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Breach(id)
	if got.Risk != gdpr.RiskHigh || got.NotifiedAt.IsZero() || !got.InformPending() {
		t.Errorf("edit changed the notification or missed the risk: %+v", got)
	}
	if err := InformBreach(s, "owner", id, time.Time{}, true, "", testNow); err == nil {
		t.Error("not informing without an Art. 34(3) reason was recorded")
	}
	if err := InformBreach(s, "owner", id, time.Time{}, false, "", testNow); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Breach(id); !got.InformedAt.Equal(testNow) || got.Open() {
		t.Errorf("after inform: %+v", got)
	}
}
