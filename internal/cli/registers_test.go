package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The settings round-trip through settings set and settings show --json,
// each value checked: a country normalized (Art. 3 scope), an IANA zone, a
// BCP 47 language, soft opt-in on|off.
func TestSettingsSetAndShow(t *testing.T) {
	dir := demoDir(t)
	for _, kv := range [][2]string{{"establishment", "us"}, {"soft-opt-in", "on"}, {"timezone", "Europe/Berlin"},
		{"language", "pt-br"}, {"automated-decisions", "none"}, {"dpo-email", "dpo@example.org"}} {
		if r := gdprdesk(t, "settings", "set", kv[0], kv[1], "--data", dir); r.code != 0 {
			t.Fatalf("settings set %s %s: exit %d %s", kv[0], kv[1], r.code, r.stderr)
		}
	}
	r := gdprdesk(t, "settings", "show", "--json", "--data", dir)
	var st gdpr.Settings
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
		t.Fatalf("settings show --json: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st.Establishment != "US" || !st.SoftOptIn || st.TimeZone != "Europe/Berlin" || st.Language != "pt-BR" || st.AutomatedDecisions != "" || st.DPO.Email != "dpo@example.org" {
		t.Errorf("settings after set: %+v", st)
	}
	for _, bad := range [][2]string{{"establishment", "Atlantis"}, {"soft-opt-in", "maybe"}, {"timezone", "Mars/Olympus"},
		{"language", "not a tag!"}, {"colour", "blue"}} {
		r := gdprdesk(t, "settings", "set", bad[0], bad[1], "--data", dir)
		if r.code != 2 {
			t.Errorf("settings set %s %q: exit %d, want 2", bad[0], bad[1], r.code)
		}
		oneErrorLine(t, r, bad[0])
	}
}

// Purposes and recipients round-trip through their commands (--json);
// edit changes only the flags given; dpa-each-processor follows the
// register (Art. 28(3)).
func TestPurposeAndRecipientCommands(t *testing.T) {
	dir := demoDir(t)
	run := func(args ...string) result {
		t.Helper()
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d %s", args, r.code, r.stderr)
		}
		return r
	}
	run("purpose", "add", "Newsletter", "--basis", "consent", "--marketing", "--retention", "until unsubscribed",
		"--retention-days", "730", "--categories", "identity,contact details", "--people", "subscribers", "--description", "monthly news")
	run("purpose", "edit", "newsletter", "--retention", "until you unsubscribe")
	var ps struct {
		Count    int            `json:"count"`
		Purposes []gdpr.Purpose `json:"purposes"`
	}
	if err := json.Unmarshal([]byte(run("purpose", "list", "--json").stdout), &ps); err != nil {
		t.Fatal(err)
	}
	p, ok := gdpr.FindPurpose(ps.Purposes, "newsletter")
	if !ok || p.Basis != gdpr.BasisConsent || !p.Marketing || p.Retention != "until you unsubscribe" || p.RetentionDays != 730 ||
		strings.Join(p.DataCategories, "|") != "identity|contact details" || p.Description != "monthly news" {
		t.Errorf("purpose after add and edit: %+v", p)
	}

	var rs struct {
		Count      int              `json:"count"`
		Recipients []gdpr.Recipient `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(run("recipient", "list", "--json").stdout), &rs); err != nil {
		t.Fatal(err)
	}
	before := rs.Count
	run("recipient", "add", "Cloud Host", "--role", "processor", "--country", "us", "--purposes", "newsletter",
		"--safeguard", "scc", "--safeguard-date", "2025-02-01", "--contact", "privacy@cloud.example", "--service", "hosting")
	check := func() gdpr.Evaluation {
		r := run("checklist", "--json")
		var out struct {
			Items []struct {
				ID    string         `json:"id"`
				State gdpr.ItemState `json:"state"`
				Value string         `json:"value"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			if it.ID == "dpa-each-processor" {
				return gdpr.Evaluation{Done: it.State == gdpr.StateDone, Value: it.Value}
			}
		}
		t.Fatal("no dpa-each-processor item")
		return gdpr.Evaluation{}
	}
	if e := check(); e.Done || !strings.Contains(e.Value, "Cloud Host") {
		t.Errorf("a processor without a DPA: %+v", e)
	}
	run("recipient", "edit", "cloud host", "--dpa-signed", "2025-03-04", "--dpa-ref", "CH-1")
	run("recipient", "edit", "PayWell", "--dpa-signed", "2024-06-01")
	// The demo's parcel service has signed no DPA yet: the item still
	// names it, and only it, until it has.
	if e := check(); e.Done || !strings.Contains(e.Value, "ParcelGo GmbH") || strings.Contains(e.Value, "Cloud Host") {
		t.Errorf("Cloud Host signed, ParcelGo GmbH not: %+v", e)
	}
	run("recipient", "edit", "ParcelGo GmbH", "--dpa-signed", "2025-05-06")
	if err := json.Unmarshal([]byte(run("recipient", "list", "--json").stdout), &rs); err != nil {
		t.Fatal(err)
	}
	rc, ok := gdpr.FindRecipient(rs.Recipients, "Cloud Host")
	if !ok || rc.Role != gdpr.RecipientProcessor || rc.Country != "US" || rc.Safeguard != gdpr.SafeguardSCC || rc.DPARef != "CH-1" ||
		rc.DPASignedAt.IsZero() || rc.Service != "hosting" || strings.Join(rc.Purposes, ",") != "newsletter" {
		t.Errorf("recipient after add and edit: %+v", rc)
	}
	if e := check(); !e.Done {
		t.Errorf("every processor signed: %+v", e)
	}
	run("recipient", "remove", "Cloud Host")
	if err := json.Unmarshal([]byte(run("recipient", "list", "--json").stdout), &rs); err != nil || rs.Count != before {
		t.Errorf("after remove: %d recipients, want the %d before (%v)", rs.Count, before, err)
	}
	if r := gdprdesk(t, "recipient", "add", "X", "--role", "vendor", "--country", "DE", "--data", dir); r.code != 2 {
		t.Errorf("an unknown role: exit %d", r.code)
	}
	if r := gdprdesk(t, "purpose", "add", "newsletter", "--basis", "consent", "--data", dir); r.code != 2 {
		t.Errorf("a purpose added twice: exit %d", r.code)
	}
}

// Staff and viewers cannot change the registers or the settings (SPEC §8:
// admin only); the refusal is one line and nothing changes. A viewer reads
// everything, the register too (SPEC §8: viewer reads only).
func TestRegistersRefusedToStaffAndViewers(t *testing.T) {
	dir := demoDir(t)
	newOperator(t, dir, "anna", "staff")
	newOperator(t, dir, "vera", "viewer")
	for _, who := range []string{"anna", "vera"} {
		for _, args := range [][]string{
			{"purpose", "add", "events", "--basis", "consent"},
			{"recipient", "add", "Printer", "--role", "processor", "--country", "DE"},
			{"recipient", "edit", "PayWell", "--dpa-signed", "2024-01-01"},
			{"recipient", "remove", "PayWell"},
			{"settings", "set", "establishment", "US"},
		} {
			r := gdprdesk(t, append(args, "--data", dir, "--operator", who)...)
			if r.code == 0 {
				t.Errorf("%s: %v was allowed", who, args)
				continue
			}
			oneErrorLine(t, r, "not allowed")
		}
	}
	list := func(as ...string) (int, []gdpr.Recipient) {
		var rs struct {
			Count      int              `json:"count"`
			Recipients []gdpr.Recipient `json:"recipients"`
		}
		r := gdprdesk(t, append([]string{"recipient", "list", "--json", "--data", dir}, as...)...)
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rs) != nil {
			t.Fatalf("%v lists the register: exit %d %s", as, r.code, r.stderr)
		}
		return r.code, rs.Recipients
	}
	_, want := list()
	if len(want) == 0 {
		t.Fatal("the demo's register is empty")
	}
	if code, got := list("--operator", "vera"); code != 0 || len(got) != len(want) {
		t.Errorf("a viewer lists the register: exit %d, %d recipients, want %d", code, len(got), len(want))
	}
	// Nothing the refused commands tried is in the register.
	if p, ok := gdpr.FindRecipient(want, "PayWell"); !ok || p.DPASignedAt.Format("2006-01-02") == "2024-01-01" {
		t.Errorf("PayWell after the refused edit and remove: %+v (found %v)", p, ok)
	}
	if _, ok := gdpr.FindRecipient(want, "Printer"); ok {
		t.Error("a refused recipient add is in the register")
	}
}
