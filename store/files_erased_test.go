package store

import (
	"errors"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestRegisterFilesRefusesErasedContact: a file written with an erased
// person's data is refused, never skipped silently (it would be left on
// disk with nothing to erase it by); RecordBreachLetters reports the
// contacts it finds erased instead of failing, registers and audits only
// the others, and nothing at all when all are erased (SPEC §8, Art. 34).
func TestRegisterFilesRefusesErasedContact(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s, gdpr.Contact{FirstName: "Anna", Email: "anna@example.org"}, gdpr.Contact{FirstName: "Gone", Email: "gone@example.org"})
	if _, err := s.Anonymize("tester", ids[1], AnonymizeOptions{}); err != nil {
		t.Fatal(err)
	}
	file := func(name string) []WrittenFile {
		return []WrittenFile{{Kind: FileLetter, Format: "txt", Path: "/tmp/" + name, SHA256: "00"}}
	}
	if err := s.RecordExportFiles("tester", ids[1], "json", "00", file("gone.json")); !errors.Is(err, ErrContactErased) {
		t.Errorf("a file registered for an erased contact: %v", err)
	}
	b, err := s.AddBreach("tester", gdpr.Breach{AwareAt: t0, What: "copied", Risk: gdpr.RiskHigh})
	if err != nil {
		t.Fatal(err)
	}
	before := len(allAudit(t, s))
	erased, err := s.RecordBreachLetters("tester", b, []BreachLetter{
		{Contact: ids[0], Lang: "en", Files: file("a.txt")}, {Contact: ids[1], Lang: "en", Files: file("g.txt")}})
	if err != nil || len(erased) != 1 || erased[0] != ids[1] {
		t.Fatalf("erased %v %v", erased, err)
	}
	if fs, err := s.WrittenFiles(ids...); err != nil || len(fs) != 1 || fs[0].Contact != ids[0] {
		t.Errorf("register %+v %v", fs, err)
	}
	es := auditSince(t, s, before)
	if len(es) != 2 || es[0].Record != b.String() || es[1].Record != ids[0].String() {
		t.Errorf("audit %+v", es)
	}
	before = len(allAudit(t, s))
	if erased, err := s.RecordBreachLetters("tester", b, []BreachLetter{{Contact: ids[1], Lang: "en", Files: file("g2.txt")}}); err != nil || len(erased) != 1 {
		t.Errorf("all erased: %v %v", erased, err)
	}
	if n := len(allAudit(t, s)) - before; n != 0 {
		t.Errorf("%d audit entries for letters to nobody", n)
	}
}
