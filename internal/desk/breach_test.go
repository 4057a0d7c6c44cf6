package desk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
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

// Art. 34(2): the notice of a breach goes to each person the breach's
// query names, in the person's language (the contact's, else the
// country's, else the default), as text and an email draft; an erased
// contact gets none, nor does a contact the query does not match. Each
// letter is registered on its contact and audited; the audit names no one.
func TestBreachLettersArt34(t *testing.T) {
	s := openStore(t)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop", Email: "privacy@shop.example"}, Language: "en"}); err != nil {
		t.Fatal(err)
	}
	ids := create(t, s,
		gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Country: "DE", Source: "webshop"},
		gdpr.Contact{FirstName: "Luc", Email: "luc@example.fr", Country: "BE", Language: "fr", Source: "webshop"},
		gdpr.Contact{FirstName: "Pat", Email: "pat@example.com", Country: "US", Source: "webshop"},
		gdpr.Contact{FirstName: "Gone", Email: "gone@example.org", Country: "DE", Source: "webshop"},
		gdpr.Contact{FirstName: "Other", Email: "other@example.org", Country: "DE", Source: "fair"})
	if _, err := s.Anonymize("owner", ids[3], store.AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	noQuery, err := AddBreach(s, "owner", gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "a laptop was stolen", Risk: gdpr.RiskHigh})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := BreachLetters(s, BreachLettersRequest{Operator: "owner", Breach: noQuery, Dir: dir, Now: testNow}); !errors.Is(err, ErrBreachNoQuery) {
		t.Fatalf("letters without a query: %v, want ErrBreachNoQuery", err)
	}
	id, err := AddBreach(s, "owner", gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "the order database was copied", Query: "source:webshop",
		Risk: gdpr.RiskHigh, Consequences: "phishing emails", Measures: "passwords reset"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := BreachLetters(s, BreachLettersRequest{Operator: "owner", Breach: id, Dir: dir, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Letters != 3 || res.Drafts != 3 || res.NoEmail != 0 || res.Skipped != 0 || res.ByLang["de"] != 1 || res.ByLang["fr"] != 1 || res.ByLang["en"] != 1 {
		t.Fatalf("result %+v", res)
	}
	read := func(c gdpr.ContactID, ext string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "letter-"+id.String()+"-"+c.String()+"-2026-11-29"+ext))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if de := read(ids[0], ".txt"); !strings.Contains(de, "Sicherheitsvorfall") || !strings.Contains(de, "the order database was copied") || !strings.Contains(de, "passwords reset") {
		t.Errorf("German letter:\n%s", de)
	}
	if eml := read(ids[1], ".eml"); !strings.Contains(eml, "luc@example.fr") || !strings.Contains(eml, "X-Unsent: 1") {
		t.Errorf("French draft:\n%s", eml)
	}
	if en := read(ids[2], ".txt"); !strings.Contains(en, "security incident") {
		t.Errorf("English letter:\n%s", en)
	}
	if got := files(t, dir); len(got) != 6 {
		t.Errorf("files %v, want 3 letters and 3 drafts", got)
	}
	reg, err := s.WrittenFiles(ids[0], ids[2], ids[3])
	if err != nil || len(reg) != 4 || reg[0].Kind != store.FileLetter || reg[1].Kind != store.FileEmailDraft || reg[2].Contact != ids[2] {
		t.Errorf("register %+v %v", reg, err)
	}
	es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionLetterWrite)})
	if len(es) != 4 {
		t.Fatalf("audit entries %d, want one on the breach and one per person: %+v", len(es), es)
	}
	for _, e := range es {
		if strings.Contains(e.Detail, "anna") || strings.Contains(e.Detail, "Luc") || !strings.Contains(e.Detail, id.String()) && e.Record != id.String() {
			t.Errorf("audit entry %+v", e)
		}
	}
	// Drafts are not a notification: the people are not recorded as told.
	if b, _ := s.Breach(id); !b.InformedAt.IsZero() {
		t.Error("writing the letters recorded the people as told")
	}

	// A viewer is refused by the store, and the files of the refused chunk go.
	if err := s.AddOperator("owner", store.Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAAvic"}); err != nil {
		t.Fatal(err)
	}
	vdir := t.TempDir()
	if _, err := BreachLetters(s, BreachLettersRequest{Operator: "vic", Breach: id, Dir: vdir, Now: testNow}); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("a viewer's letters: %v", err)
	}
	if got := files(t, vdir); len(got) != 0 {
		t.Errorf("refused letters left %v", got)
	}
}
