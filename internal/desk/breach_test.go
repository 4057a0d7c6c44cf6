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

// erasedWhileWriting is a store on which, as the breach letters of a chunk
// are recorded, one contact has been erased meanwhile; it also checks
// that no letter's file holds anything yet when the files are registered.
type erasedWhileWriting struct {
	*store.Store
	t      *testing.T
	victim gdpr.ContactID
}

func (s erasedWhileWriting) RecordBreachLetters(operator string, id gdpr.BreachID, letters []store.BreachLetter) ([]gdpr.ContactID, error) {
	for _, l := range letters {
		for _, f := range l.Files {
			if fi, err := os.Stat(f.Path); err != nil || fi.Size() != 0 {
				s.t.Errorf("%s holds data before it is registered (%v)", f.Path, err)
			}
		}
	}
	if _, err := s.Anonymize("owner", s.victim, store.AnonymizeOptions{}); err != nil {
		return nil, err
	}
	return s.Store.RecordBreachLetters(operator, id, letters)
}

// TestBreachLettersRegisterBeforeWritingArt34: the letters' files are
// registered before anything of the person's goes into them, and a
// contact the store finds erased when the chunk is recorded gets no file
// and no audit entry (the store reports it; nothing is left on disk for
// an erased person). Erasing a person whose letter was deleted by hand
// copes with the missing file.
func TestBreachLettersRegisterBeforeWritingArt34(t *testing.T) {
	s := openStore(t)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop", Email: "privacy@shop.example"}, Language: "en"}); err != nil {
		t.Fatal(err)
	}
	ids := create(t, s,
		gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Country: "DE", Source: "webshop"},
		gdpr.Contact{FirstName: "Vanishing", Email: "vanishing@example.org", Country: "DE", Source: "webshop"})
	id, err := AddBreach(s, "owner", gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "copied", Query: "source:webshop", Risk: gdpr.RiskHigh})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Dir(), "letters") // under the data directory: the erasure deletes them
	res, err := BreachLetters(erasedWhileWriting{Store: s, t: t, victim: ids[1]}, BreachLettersRequest{Operator: "owner", Breach: id, Dir: dir, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Letters != 1 || res.Drafts != 1 || res.Skipped != 1 {
		t.Errorf("result %+v", res)
	}
	got := files(t, dir)
	if len(got) != 2 {
		t.Fatalf("files %v, want Anna's letter and draft only", got)
	}
	for _, name := range got {
		if strings.Contains(name, ids[1].String()) {
			t.Errorf("a file for the erased contact: %s", name)
		}
	}
	reg, err := s.WrittenFiles(ids...)
	if err != nil || len(reg) != 2 || reg[0].Contact != ids[0] {
		t.Fatalf("register %+v %v", reg, err)
	}
	for _, f := range reg {
		if sum, err := fileSHA256(f.Path); err != nil || sum != f.SHA256 {
			t.Errorf("%s: sha256 %s %v, registered %s", f.Path, sum, err, f.SHA256)
		}
	}
	for _, e := range auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionLetterWrite)}) {
		if e.Record == ids[1].String() || e.Record == id.String() && !strings.Contains(e.Detail, "to 1 people") {
			t.Errorf("audit entry %+v", e)
		}
	}
	if err := os.Remove(reg[0].Path); err != nil {
		t.Fatal(err)
	}
	if _, _, erased, err := Erase(s, "owner", ids[0], store.AnonymizeOptions{}); err != nil || len(erased.Deleted) != 1 || len(erased.ByHand()) != 0 {
		t.Errorf("erasing a person whose letter is gone: %+v %v", erased, err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("after the erasure: %v", got)
	}
}

// TestBreachLettersErrorsDoNotQuoteTheQuery: the breach's query is sealed
// (its terms may name people), so neither "no contact matches" nor a
// query that no longer parses repeats it in the error (SPEC §8).
func TestBreachLettersErrorsDoNotQuoteTheQuery(t *testing.T) {
	s := openStore(t)
	create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.de"})
	id, err := s.AddBreach("owner", gdpr.Breach{AwareAt: testNow.Add(-time.Hour), What: "copied", Query: "kowalski", Risk: gdpr.RiskHigh})
	if err != nil {
		t.Fatal(err)
	}
	_, err = BreachLetters(s, BreachLettersRequest{Operator: "owner", Breach: id, Dir: t.TempDir(), Now: testNow})
	if err == nil || strings.Contains(err.Error(), "kowalski") || !strings.Contains(err.Error(), "no contact matches") {
		t.Errorf("no match: %v", err)
	}
	// A query recorded before the query language changed.
	_, err = BreachLetters(oldQuery{s, "kowalskifield:jan"}, BreachLettersRequest{Operator: "owner", Breach: id, Dir: t.TempDir(), Now: testNow})
	if err == nil || strings.Contains(err.Error(), "kowalski") || !strings.Contains(err.Error(), id.String()) {
		t.Errorf("unparsable query: %v", err)
	}
}

// oldQuery is a store whose breaches hold a query that does not parse.
type oldQuery struct {
	*store.Store
	query string
}

func (s oldQuery) Breach(id gdpr.BreachID) (gdpr.Breach, error) {
	b, err := s.Store.Breach(id)
	b.Query = s.query
	return b, err
}
