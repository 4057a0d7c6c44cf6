package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// withPurpose registers a purpose in the store at dir (no server running).
func withPurpose(t *testing.T, dir string, p gdpr.Purpose) {
	t.Helper()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SavePurpose("owner", p); err != nil {
		t.Fatal(err)
	}
}

func ids(cs contactsJSON) []gdpr.ContactID {
	var out []gdpr.ContactID
	for _, c := range cs.Contacts {
		out = append(out, c.ID)
	}
	return out
}

// consentProof reads the checklist's consent-proof value.
func consentProof(t *testing.T, dir string) string {
	t.Helper()
	r := gdprdesk(t, "checklist", "--json", "--data", dir)
	var out struct {
		Items []checklistItemJSON `json:"items"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
		t.Fatalf("checklist --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, it := range out.Items {
		if it.ID == "consent-proof" {
			return it.Value
		}
	}
	t.Fatal("no consent-proof item")
	return ""
}

// Consent per purpose from the command line (SPEC §9): a grant gives
// basis:consent and, for a marketing purpose, marketing:yes, with proof
// (Art. 6(1)(a), 7(1)); a withdrawal takes both away and keeps the history
// (Art. 7(3)), and consent-proof stops counting it.
func TestConsentGrantAndWithdrawArt7(t *testing.T) {
	dir := demoDir(t)
	withPurpose(t, dir, gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true})
	none := listJSON(t, dir, "basis:none status:active")
	if none.Count == 0 {
		t.Fatal("the demo has no active contact without a basis")
	}
	id := none.Contacts[0].ID
	proofBefore := consentProof(t, dir)

	r := gdprdesk(t, "consent", "grant", id.String(), "--purpose", "Newsletter", "--method", "webform, double opt-in", "--data", dir)
	if r.code != 0 {
		t.Fatalf("consent grant: exit %d: %s", r.code, r.stderr)
	}
	for _, q := range []string{"basis:consent", "marketing:yes", "purpose:newsletter"} {
		if !slices.Contains(ids(listJSON(t, dir, q)), id) {
			t.Errorf("after the grant %s is not in %s", id, q)
		}
	}
	if after := consentProof(t, dir); after == proofBefore {
		t.Errorf("consent-proof did not count the proven consent: %q", after)
	}

	r = gdprdesk(t, "consent", "withdraw", id.String(), "--purpose", "newsletter", "--method", "unsubscribe link", "--data", dir)
	if r.code != 0 {
		t.Fatalf("consent withdraw: exit %d: %s", r.code, r.stderr)
	}
	for _, q := range []string{"basis:consent", "marketing:yes", "purpose:newsletter"} {
		if slices.Contains(ids(listJSON(t, dir, q)), id) {
			t.Errorf("after the withdrawal %s is still in %s", id, q)
		}
	}
	var c gdpr.Contact
	for _, x := range listJSON(t, dir, "basis:none status:active").Contacts {
		if x.ID == id {
			c = x
		}
	}
	if len(c.Consents) != 2 || !c.Consents[0].Granted || c.Consents[1].Granted {
		t.Errorf("history after the withdrawal: %+v, want the grant and the withdrawal", c.Consents)
	}
	if after := consentProof(t, dir); after != proofBefore {
		t.Errorf("consent-proof after the withdrawal: %q, want %q as before", after, proofBefore)
	}
	// Withdrawing again: nothing to withdraw, said in one line.
	r = gdprdesk(t, "consent", "withdraw", id.String(), "--purpose", "newsletter", "--data", dir)
	if r.code != exitFailure {
		t.Errorf("second withdrawal: exit %d, want 1", r.code)
	}
	oneErrorLine(t, r, "nothing to withdraw")
	// An unknown purpose names the register's list.
	r = gdprdesk(t, "consent", "grant", id.String(), "--purpose", "raffle", "--data", dir)
	oneErrorLine(t, r, "gdprdesk purpose list")
	if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 || !strings.Contains(v.stdout, "OK") {
		t.Errorf("audit verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}

// A bulk consent names its purpose and gives every contact a consent record
// carrying the evidence, so each has proof and each can withdraw (SPEC §9,
// Art. 7(1), 7(3)); a bulk removal is a withdrawal per contact.
func TestTagConsentRecordsConsentPerContact(t *testing.T) {
	dir := demoDir(t)
	withPurpose(t, dir, gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true})
	targets := listJSON(t, dir, "country:DE basis:none status:active")
	if targets.Count < 2 {
		t.Fatal("the demo has too few German contacts without a basis")
	}
	r := gdprdesk(t, "tag", "--query", "country:DE basis:none status:active", "--basis", "consent", "--purpose", "newsletter",
		"--evidence", "signed list at the fair", "--source", "fair", "--data", dir)
	if r.code != 0 {
		t.Fatalf("tag --basis consent --purpose: exit %d: %s", r.code, r.stderr)
	}
	tagged := map[gdpr.ContactID]gdpr.Contact{}
	for _, c := range listJSON(t, dir, "purpose:newsletter").Contacts {
		tagged[c.ID] = c
	}
	for _, want := range targets.Contacts {
		c, ok := tagged[want.ID]
		if !ok {
			t.Errorf("%s has no standing consent for newsletter after the bulk tag", want.ID)
			continue
		}
		if len(c.Consents) == 0 || c.Consents[len(c.Consents)-1].Method != "bulk: fair" || !c.HasBasisFor(gdpr.BasisConsent, "newsletter") {
			t.Errorf("%s: consents %+v, bases %+v", want.ID, c.Consents, c.Bases)
		}
	}
	first := targets.Contacts[0].ID
	if r := gdprdesk(t, "consent", "withdraw", first.String(), "--purpose", "newsletter", "--data", dir); r.code != 0 {
		t.Errorf("withdrawing a bulk consent: exit %d: %s", r.code, r.stderr)
	}
	r = gdprdesk(t, "tag", "--query", "country:DE", "--basis", "consent", "--purpose", "newsletter", "--remove", "--data", dir)
	if r.code != 0 {
		t.Fatalf("tag --remove: exit %d: %s", r.code, r.stderr)
	}
	if left := listJSON(t, dir, "country:DE purpose:newsletter"); left.Count != 0 {
		t.Errorf("%d German contacts still consent to newsletter after the bulk withdrawal", left.Count)
	}
	for _, c := range listJSON(t, dir, "country:DE basis:none status:active").Contacts {
		if _, was := tagged[c.ID]; was && (len(c.Consents) < 2 || c.Consents[len(c.Consents)-1].Granted) {
			t.Errorf("%s: history %+v, want the bulk grant and a withdrawal", c.ID, c.Consents)
		}
	}
	if v := gdprdesk(t, "audit", "verify", "--data", dir); v.code != 0 || !strings.Contains(v.stdout, "OK") {
		t.Errorf("audit verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}
