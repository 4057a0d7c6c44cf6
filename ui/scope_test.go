package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// SPEC §9: one rule names the contacts in scope without a basis. The
// dashboard's figure, the contacts list its key w opens and the sweep's
// candidates are that one set: the same count and the same rows — for a
// controller established in the EU/EEA (Art. 3(1): a US contact without a
// basis is in the set) and for one established outside (Art. 3(2): it is
// not, and the EU representative of Art. 27 applies).
func TestWithoutBasisFigureListAndSweepAreOneSet(t *testing.T) {
	for _, tt := range []struct {
		establishment string
		usInSet       bool
		euRep         gdpr.ItemState
	}{
		{"DE", true, gdpr.StateNA},
		{"US", false, gdpr.StateTodo},
	} {
		t.Run(tt.establishment, func(t *testing.T) {
			s := openDemo(t, 300)
			st, err := s.Settings()
			if err != nil {
				t.Fatal(err)
			}
			st.Establishment, st.EURep = tt.establishment, gdpr.Person{}
			if err := s.SaveSettings("owner", st); err != nil {
				t.Fatal(err)
			}
			ids, err := s.CreateContacts("owner", []gdpr.Contact{{Email: "far.away@example.com", Country: "US"}})
			if err != nil {
				t.Fatal(err)
			}
			rows := oneSet(t, s)
			if got := slices.Contains(rows, ids[0]); got != tt.usInSet {
				t.Errorf("established in %s: the US contact without a basis is in the set: %v, want %v", tt.establishment, got, tt.usInSet)
			}
			items, _, _, err := s.Checklist()
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.ID == "eu-rep" && it.State != tt.euRep {
					t.Errorf("established in %s: eu-rep is %s (%s), want %s", tt.establishment, it.State, it.Value, tt.euRep)
				}
			}
		})
	}
}

// oneSet checks that the dashboard's figure, the list w opens, the
// checklist's basis-recorded and the sweep's candidates are one set, and
// returns its rows.
func oneSet(t *testing.T, s *store.Store) []gdpr.ContactID {
	t.Helper()
	const label = "in scope, no basis"
	d := drive(t, newTestModel(s), 120, 40)
	figure := ""
	for _, l := range strings.Split(d.screen(), "\n") {
		if i := strings.Index(l, label); i >= 0 {
			if f := strings.Fields(l[i+len(label):]); len(f) > 0 {
				figure = f[0]
			}
		}
	}
	if figure == "" || figure == "0" {
		t.Fatalf("the dashboard shows no figure without a basis (%q): the test would prove nothing", figure)
	}

	d.keys("w")
	list := d.m.screens[tabContacts].(*contacts)
	if d.m.active != tabContacts {
		t.Fatalf("w went to screen %d", d.m.active)
	}
	var rows []gdpr.ContactID
	var cursor store.Cursor
	for {
		page, err := s.Contacts(list.query, cursor, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Contacts {
			rows = append(rows, c.ID)
		}
		if !page.More {
			break
		}
		cursor = page.Next
	}
	listed := gdpr.Thousands(int64(len(rows)))
	d.mustShow(listed + " match")

	var swept []gdpr.ContactID
	rep, err := desk.Sweep(context.Background(), s, desk.SweepOptions{Operator: "owner", Now: fixedNow(), Candidate: func(c gdpr.Contact) error {
		swept = append(swept, c.ID)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if figure != listed || rep.Candidates != int64(len(rows)) {
		t.Fatalf("the dashboard says %s, the list w opens (%s) has %s rows, the sweep finds %d", figure, list.queryText, listed, rep.Candidates)
	}
	for i := range rows {
		if swept[i] != rows[i] {
			t.Fatalf("row %d: the list shows %s, the sweep would erase %s", i, rows[i], swept[i])
		}
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if snap.EUWithoutBasis != int64(len(rows)) {
		t.Fatalf("the checklist counts %d without a basis, the list %d", snap.EUWithoutBasis, len(rows))
	}
	return rows
}

// An access package written from the contact view is audited, as one
// written by the command line is (SPEC §8: every package written is
// audited), and the entry holds nothing personal.
func TestContactViewExportIsAudited(t *testing.T) {
	s := openDemo(t, 100)
	out := t.TempDir()
	d, sel := openActiveContact(t, s, out)
	d.keys("p", "enter", "enter", "enter") // XLSX, no password, no draft
	// The status line may cut a long temporary path: the message is read
	// whole, and the screen shows its start.
	if msg := d.m.message; !strings.HasPrefix(msg, "Wrote "+out) || !strings.Contains(msg, "audited") {
		t.Errorf("status message %q, want what was written and that it was audited", msg)
	}
	d.mustShow("Wrote ")
	files, _ := filepath.Glob(filepath.Join(out, "access-"+sel.ID.String()+"-*.xlsx"))
	if len(files) != 1 {
		t.Fatalf("packages written: %v", files)
	}
	es, err := s.Audit(store.AuditFilter{Action: string(gdpr.ActionContactExport), Record: sel.ID.String()}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Operator != "owner" {
		t.Fatalf("audit entries of the export: %+v, want one by owner", es)
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(es[0].Detail, "xlsx") || !strings.Contains(es[0].Detail, sha256Hex(b)) {
		t.Errorf("entry %q does not name the format and the file's SHA-256", es[0].Detail)
	}
	for _, personal := range []string{sel.Email, sel.FirstName, sel.LastName} {
		if personal != "" && strings.Contains(es[0].Detail, personal) {
			t.Errorf("the audit entry holds %q in clear", personal)
		}
	}
	d.mustShow("contact.export") // in the contact's trail on screen
	consistent(t, s)
}

// openActiveContact opens the view of the first active contact, on a model
// that writes access packages into out.
func openActiveContact(t *testing.T, s *store.Store, out string) (*driver, gdpr.Contact) {
	t.Helper()
	d := drive(t, newTestModel(s, func(o *Options) { o.ExportDir = out }), 120, 40)
	d.keys("2")
	filter(d, "status:active")
	sel, _ := d.m.screens[tabContacts].(*contacts).win.Selected()
	d.keys("enter")
	d.mustShow(sel.ID.String()+" ", "Audit trail")
	return d, sel
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
