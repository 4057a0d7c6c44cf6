package desk

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// testLetters are the small letter templates of testdata/letters (en, de,
// pl; ack, completion, refusal), as an embedded tree would hold them.
func testLetters(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	entries, err := os.ReadDir("testdata/letters")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata/letters", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fsys[LetterTemplateDir+"/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	return fsys
}

// englishWords are common English words that no letter in another
// language should hold (whole words, case-insensitive). Words that are
// also words of a letter language are left out: in, is, we, of, on, to,
// an, as, or, by, for, has, will, kind, file, data, personal, information
// and password (Italian letters use it).
var englishWords = wordSet(`the your yours our request requests please dear regards sincerely with you and
	have this that which received within month months rights erasure complaint authority court been would should
	about because when from not are be us attached copy any must may can if at days here there they them their who what`)

func wordSet(words string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.Fields(words) {
		set[w] = true
	}
	return set
}

// englishIn lists the English words in text, split into words at every
// character that is not a letter or digit (Unicode: "até" is not "at").
func englishIn(text string) []string {
	var found []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if englishWords[w] {
			found = append(found, w)
		}
	}
	return found
}

// sampleData is a letter's data with every field filled: the operator's
// words and the names are neutral tokens, so that any English in a
// rendered letter comes from its template.
func sampleData(kind gdpr.LetterKind, lang string) LetterData {
	return LetterData{Kind: string(kind), Lang: lang, Type: "access", RequestID: "R12", Received: "2026-11-02",
		Due: "2026-12-02", Today: "2026-11-29", Name: "«N»", Email: "n@example.org", Controller: "«C»",
		ControllerEmail: "c@example.org", ControllerAddress: "«A»", DPOName: "«D»", DPOEmail: "d@example.org",
		IdentityNote: "«I»", ExtensionReason: "«E»", Ground: "unfounded", Reason: "«R»", FileName: "«F».xlsx",
		FormatName: FormatName(lang, "x.xlsx"), SHA256: strings.Repeat("ab", 32), Protected: true, Kept: "«K»",
		BreachWhat: "«W»", BreachAware: "2026-11-20", BreachConsequences: "«Q»", BreachMeasures: "«M»"}
}

// letterVariants are the data a kind's templates branch on: every request
// type and objection scope, every refusal ground, with and without a
// name, a DPO, a password and what an erasure keeps.
func letterVariants(kind gdpr.LetterKind, lang string) []LetterData {
	var out []LetterData
	base := sampleData(kind, lang)
	types := []struct{ typ, scope string }{{"access", ""}, {"portability", ""}, {"erasure", ""}, {"rectification", ""},
		{"restriction", ""}, {"objection", "marketing"}, {"objection", "processing"}}
	if kind == gdpr.LetterBreach {
		b := base
		b.Type, b.RequestID, b.Received, b.Due = "", "", "", ""
		out = append(out, b)
		b.DPOName, b.DPOEmail, b.Name = "", "", ""
		return append(out, b)
	}
	for _, tc := range types {
		d := base
		d.Type, d.Scope = tc.typ, tc.scope
		out = append(out, d)
		d.Name, d.DPOName, d.DPOEmail, d.Protected, d.Kept, d.IdentityNote, d.ControllerAddress = "", "", "", false, "", "", ""
		out = append(out, d)
	}
	if kind == gdpr.LetterRefusal {
		for _, g := range []string{"unfounded", "rights-of-others", "national-law", "expression", "legal-obligation", "public-health",
			"archiving", "legal-claims", "still-needed", "not-portable", "compelling-grounds", "accurate", "no-restriction-case", "identity-not-established", "", "other"} {
			d := base
			d.Ground = g
			out = append(out, d)
		}
	}
	return out
}

// TestEveryLetterRendersInEveryLanguage walks the embedded templates
// (SPEC §11): each kind in each language renders with no missing field or
// template error, has a subject and a body, and a letter in another
// language than English holds no English words.
func TestEveryLetterRendersInEveryLanguage(t *testing.T) {
	for _, kind := range gdpr.LetterKinds() {
		for _, lang := range gdpr.LetterLanguages() {
			for i, d := range letterVariants(kind, lang) {
				subject, body, err := ExecuteLetter(assets.FS, "", d)
				if err != nil {
					t.Errorf("%s.%s (variant %d): %v", kind, lang, i, err)
					break
				}
				if strings.TrimSpace(subject) == "" || strings.TrimSpace(body) == "" {
					t.Errorf("%s.%s (variant %d): empty subject %q or body %q", kind, lang, i, subject, body)
				}
				if strings.Contains(subject+body, "<no value>") {
					t.Errorf("%s.%s (variant %d): <no value> in the letter", kind, lang, i)
				}
				if lang == "en" {
					continue
				}
				if found := englishIn(subject + "\n" + body); len(found) > 0 {
					t.Errorf("%s.%s (variant %d): English left: %q\n%s\n\n%s", kind, lang, i, found, subject, body)
				}
			}
		}
	}
}

// TestEveryGroundHasItsWordsArt12 checks that every ground a request may
// be refused on (gdpr.DenialGrounds, of every type) is said in words with
// its article in every language, not in the neutral phrase of an unknown
// ground: the person must be told the reasons (Art. 12(4)) — among them
// identity not established (Art. 11(2), 12(2), 12(6)).
func TestEveryGroundHasItsWordsArt12(t *testing.T) {
	var grounds []gdpr.DenialGround
	for _, typ := range gdpr.RequestTypes() {
		for _, scope := range []gdpr.ObjectionScope{"", gdpr.ScopeProcessing} {
			for _, g := range gdpr.DenialGrounds(gdpr.Request{Type: typ, Scope: scope}) {
				if !slices.Contains(grounds, g) {
					grounds = append(grounds, g)
				}
			}
		}
	}
	if !slices.Contains(grounds, gdpr.GroundIdentity) {
		t.Fatalf("grounds %v lack %s", grounds, gdpr.GroundIdentity)
	}
	for _, lang := range gdpr.LetterLanguages() {
		d := sampleData(gdpr.LetterRefusal, lang)
		d.Ground = "other"
		_, neutral, err := ExecuteLetter(assets.FS, "", d)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range grounds {
			d.Ground = string(g)
			_, body, err := ExecuteLetter(assets.FS, "", d)
			if err != nil {
				t.Fatal(err)
			}
			if body == neutral {
				t.Errorf("refusal.%s: ground %s (%s) reads as the neutral phrase", lang, g, g.Article())
			}
		}
	}
}

// TestLetterTemplateOverride: a file in DIR/templates/letters wins over the
// embedded one of the same name, file by file; a field the data lacks
// fails with the template's name.
func TestLetterTemplateOverride(t *testing.T) {
	embedded := testLetters(t)
	dir := t.TempDir()
	d := sampleData(gdpr.LetterAck, "en")
	subject, body, err := ExecuteLetter(embedded, dir, d)
	if err != nil || subject != "Your request R12: received" || !strings.HasPrefix(body, "Dear «N»,") {
		t.Fatalf("embedded: %q %q %v", subject, body, err)
	}
	over := filepath.Join(dir, "templates", "letters")
	if err := os.MkdirAll(over, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(over, "ack.en.txt"), []byte("Subject: Our own words {{.RequestID}}\n\n{{template \"greeting\" .}}\nOwn body.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	subject, body, err = ExecuteLetter(embedded, dir, d)
	if err != nil || subject != "Our own words R12" || body != "Dear «N»,\nOwn body.\n" {
		t.Errorf("override: %q %q %v", subject, body, err)
	}
	// The other kinds still come from the embedded set.
	if subject, _, err := ExecuteLetter(embedded, dir, sampleData(gdpr.LetterRefusal, "en")); err != nil || subject != "Your request R12: refused" {
		t.Errorf("refusal beside the override: %q %v", subject, err)
	}
	if err := os.WriteFile(filepath.Join(over, "ack.en.txt"), []byte("Subject: x {{.Nope}}\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ExecuteLetter(embedded, dir, d); err == nil || !strings.Contains(err.Error(), "ack.en.txt") || !strings.Contains(err.Error(), "Nope") {
		t.Errorf("missing field: %v", err)
	}
	if err := os.WriteFile(filepath.Join(over, "ack.en.txt"), []byte("no subject line\n\nbody\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ExecuteLetter(embedded, dir, d); err == nil || !strings.Contains(err.Error(), "Subject") {
		t.Errorf("no subject: %v", err)
	}
	if _, _, err := ExecuteLetter(embedded, "", sampleData(gdpr.LetterAck, "fr")); err == nil || !strings.Contains(err.Error(), "fr.txt") {
		t.Errorf("missing language: %v", err)
	}
}

// TestRenderLetterChoosesTheLanguageAndPackage renders letters for
// requests: a German contact gets German, an override of --lang wins, a
// contact without a language field gets their country's; the completion
// letter of an access request carries the package recorded on it (SHA-256,
// file name from the register, "protected" for an encrypted workbook); a
// letter that does not fit the request's step is refused.
func TestRenderLetterChoosesTheLanguageAndPackage(t *testing.T) {
	s := openStore(t)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Laden GmbH", Email: "privacy@laden.example"},
		DPO: gdpr.Person{Email: "dpo@laden.example"}}); err != nil {
		t.Fatal(err)
	}
	ids := create(t, s, gdpr.Contact{FirstName: "Anna", LastName: "Schmidt", Email: "anna@example.de", Language: "de-AT", Country: "FR"},
		gdpr.Contact{FirstName: "Jan", Email: "jan@example.pl", Country: "PL"})
	anna := addRequest(t, s, gdpr.RequestAccess, ids[0])
	jan := addRequest(t, s, gdpr.RequestErasure, ids[1])
	in := LetterRequest{Kind: gdpr.LetterAck, Request: anna, Templates: testLetters(t), Now: testNow}
	l, err := RenderLetter(s, in)
	if err != nil {
		t.Fatal(err)
	}
	if l.Lang != "de" || !strings.HasPrefix(l.Subject, "Ihre Anfrage R") || !strings.Contains(l.Body, "Guten Tag Anna Schmidt,") ||
		!strings.Contains(l.Body, "Datenschutzbeauftragte: dpo@laden.example") || l.To.Address != "anna@example.de" || l.From.Address != "privacy@laden.example" {
		t.Errorf("German letter: %+v", l)
	}
	in.Lang = "en-GB"
	if l, err = RenderLetter(s, in); err != nil || l.Lang != "en" || !strings.Contains(l.Body, "Dear Anna Schmidt,") {
		t.Errorf("--lang en: %+v %v", l, err)
	}
	if l, err = RenderLetter(s, LetterRequest{Kind: gdpr.LetterAck, Request: jan, Templates: testLetters(t), Now: testNow}); err != nil || l.Lang != "pl" || !strings.Contains(l.Body, "Dzień dobry Jan,") {
		t.Errorf("Polish letter by country: %+v %v", l, err)
	}
	if _, err := RenderLetter(s, LetterRequest{Kind: gdpr.LetterRefusal, Request: jan, Templates: testLetters(t), Now: testNow}); err == nil || !strings.Contains(err.Error(), "not denied") {
		t.Errorf("refusal of an open request: %v", err)
	}

	dir := t.TempDir()
	res, err := ExportAccess(s, AccessExport{Operator: "owner", Contact: ids[0], Format: exporters.FormatXLSX, Password: "Sesam-123", Request: anna, Dir: dir, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	l, err = RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: anna, Templates: testLetters(t), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(res.Path)
	if l.Attachment == nil || sha256Hex(l.Attachment.Data) != res.SHA256 || l.Attachment.Name != name || !l.Data.Protected ||
		l.Data.SHA256 != res.SHA256 || l.Data.FormatName != "Excel-Arbeitsmappe" ||
		!strings.Contains(l.Body, "Anbei: "+name+" (Excel-Arbeitsmappe), SHA-256 "+res.SHA256+". Das Passwort erhalten Sie getrennt.") {
		t.Errorf("completion letter: %+v", l)
	}
	if strings.Contains(l.Body, "Sesam-123") {
		t.Error("the password is in the letter")
	}
	eml, err := l.EML(testNow)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(eml), "Sesam-123") || !strings.Contains(string(eml), "X-Unsent: 1") {
		t.Errorf("draft: password or X-Unsent wrong")
	}
	// Another file is not the package recorded on the request.
	if _, err := RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: anna, Templates: testLetters(t), Now: testNow,
		Attachment: &Attachment{Name: "other.xlsx", Data: []byte("other")}}); err == nil || !strings.Contains(err.Error(), "not the package") {
		t.Errorf("a foreign attachment: %v", err)
	}
	// The file changed on disk: the letter says so and attaches nothing.
	if err := os.WriteFile(res.Path, []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err = RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: anna, Templates: testLetters(t), Now: testNow}); err != nil ||
		l.Attachment != nil || len(l.Notes) != 1 || !strings.Contains(l.Notes[0], "changed") || l.Data.FileName != name {
		t.Errorf("changed package: %+v %v", l, err)
	}

	// An erased person: the letter names nobody and has no address.
	if err := s.CloseRequest("owner", anna, gdpr.StatusCompleted, "sent"); err != nil {
		t.Fatal(err)
	}
	// Erasing the person completes their request (Art. 17).
	if _, err := s.Anonymize("owner", ids[1], store.AnonymizeOptions{Request: jan}); err != nil {
		t.Fatal(err)
	}
	l, err = RenderLetter(s, LetterRequest{Kind: gdpr.LetterCompletion, Request: jan, Templates: testLetters(t), Now: testNow})
	if err != nil || l.Data.Name != "" || l.To.Address != "" || !strings.Contains(l.Body, "Szanowni Państwo,") {
		t.Errorf("letter to an erased person: %+v %v", l, err)
	}
	if _, err := l.EML(testNow); err == nil || !strings.Contains(err.Error(), "no email address") {
		t.Errorf("draft to an erased person: %v", err)
	}
}

// TestWriteLetterRegistersTheDrafts: the text and the .eml are written
// under new names and registered with the person's files, in the
// transaction of the letter's audit entry on the request; a request that
// names no contact (an address only) gets its letter too, audited, with
// nothing to register, so it gets no files (an unregistered file would
// outlive any erasure); a viewer writes nothing.
func TestWriteLetterRegistersTheDrafts(t *testing.T) {
	s := openStore(t)
	if err := s.SaveSettings("owner", gdpr.Settings{Controller: gdpr.Person{Name: "Shop", Email: "privacy@shop.example"}}); err != nil {
		t.Fatal(err)
	}
	id := create(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.de", Country: "DE"})[0]
	req := addRequest(t, s, gdpr.RequestErasure, id)
	dir := t.TempDir()
	in := LetterRequest{Kind: gdpr.LetterAck, Request: req, Templates: testLetters(t), Now: testNow}
	w, err := WriteLetter(s, LetterDraft{Operator: "owner", Letter: in, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(w.TextPath) != "letter-"+req.String()+"-ack-2026-11-29.txt" || filepath.Base(w.EMLPath) != "letter-"+req.String()+"-ack-2026-11-29.eml" {
		t.Errorf("written %s, %s", w.TextPath, w.EMLPath)
	}
	again, err := WriteLetter(s, LetterDraft{Operator: "owner", Letter: in, Dir: dir})
	if err != nil || again.TextPath == w.TextPath {
		t.Errorf("second letter %s %v", again.TextPath, err)
	}
	reg, err := s.WrittenFiles(id)
	if err != nil || len(reg) != 4 || reg[0].Kind != store.FileLetter || reg[1].Kind != store.FileEmailDraft || reg[0].Path != w.TextPath {
		t.Errorf("register %+v %v", reg, err)
	}
	es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionLetterWrite)})
	if len(es) != 2 || es[0].Record != req.String() || strings.Contains(es[0].Detail, "anna") {
		t.Errorf("audit %+v", es)
	}

	byMail, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail, SubjectEmail: "nobody@example.org", Received: testNow})
	if err != nil {
		t.Fatal(err)
	}
	mdir := t.TempDir()
	_, err = WriteLetter(s, LetterDraft{Operator: "owner", Letter: LetterRequest{Kind: gdpr.LetterAck, Request: byMail, Templates: testLetters(t), Now: testNow}, Dir: mdir})
	if !errors.Is(err, ErrLetterNoContact) || strings.Contains(err.Error(), "nobody@") {
		t.Errorf("letter to an address only: %v", err)
	}
	if got := files(t, mdir); len(got) != 0 {
		t.Errorf("a letter for a request with no contact left unregistered files %v", got)
	}
	if es := auditOf(t, s, store.AuditFilter{Action: string(gdpr.ActionLetterWrite)}); len(es) != 2 {
		t.Errorf("audit entries %d, want 2", len(es))
	}

	if err := s.AddOperator("owner", store.Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAAvic"}); err != nil {
		t.Fatal(err)
	}
	vdir := t.TempDir()
	if _, err := WriteLetter(s, LetterDraft{Operator: "vic", Letter: in, Dir: vdir}); err == nil {
		t.Error("a viewer wrote a letter")
	}
	if got := files(t, vdir); len(got) != 0 {
		t.Errorf("a refused letter left %v", got)
	}
}
