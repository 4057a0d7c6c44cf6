package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRequestCloseRefusesWhatWasNotDoneArt17 runs the DPO's finding from
// the command line: an erasure closed as completed while the contact is
// still active is refused (Art. 17(1); the completion letter would say it
// was erased), as are a restriction of an unrestricted contact (Art. 18)
// and an objection to processing while legitimate interests remain
// (Art. 21(1)); once done, the request closes and its letter fits.
func TestRequestCloseRefusesWhatWasNotDoneArt17(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	run := func(args ...string) result {
		t.Helper()
		return gdprdesk(t, append(args, "--data", dir)...)
	}
	must := func(args ...string) string {
		t.Helper()
		r := run(args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	must("contact", "add", "--email", "c1@example.org", "--country", "GB")
	must("settings", "set", "controller-email", "privacy@shop.example")
	must("contact", "add", "--email", "c2@example.org", "--country", "GB", "--basis", "legitimate_interests", "--evidence", "customer since 2020")
	erasure := must("request", "add", "--type", "erasure", "--contact", "C1")
	r := run("request", "close", erasure, "--outcome", "completed")
	if r.code == 0 {
		t.Fatalf("an erasure of an active contact closed as completed:\n%s", r.stdout)
	}
	oneErrorLine(t, r, "Art. 17")
	if r := run("letter", erasure, "--kind", "completion"); r.code == 0 {
		t.Errorf("a completion letter for an open erasure:\n%s", r.stdout)
	}

	restriction := must("request", "add", "--type", "restriction", "--contact", "C1")
	oneErrorLine(t, run("request", "close", restriction, "--outcome", "completed"), "Art. 18")
	must("restrict", "C1", "--reason", "accuracy contested")
	must("request", "close", restriction, "--outcome", "completed")
	out := filepath.Join(t.TempDir(), "done.txt")
	must("letter", restriction, "--kind", "completion", "--out", out)
	if text, err := os.ReadFile(out); err != nil || !strings.Contains(string(text), "We have restricted") {
		t.Errorf("restriction completion letter: %q %v", text, err)
	}

	objection := must("request", "add", "--type", "objection", "--scope", "processing", "--contact", "C2")
	oneErrorLine(t, run("request", "close", objection, "--outcome", "completed"), "Art. 21(1)")
}

// TestLetterAckAndIdentityRefusedWhereTheyMisleadArt12: the
// acknowledgement says "within one month" and is refused once the request
// is extended (Art. 12(3)); no identity letter goes to a person objecting
// to direct marketing (Art. 21(3)); a request denied because the person
// could not be identified names Art. 11(2) and 12(2) in its refusal.
func TestLetterAckAndIdentityRefusedWhereTheyMisleadArt12(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	run := func(args ...string) result {
		t.Helper()
		return gdprdesk(t, append(args, "--data", dir)...)
	}
	must := func(args ...string) string {
		t.Helper()
		r := run(args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	must("contact", "add", "--email", "c1@example.org", "--country", "IE")
	must("settings", "set", "controller-email", "privacy@shop.example")
	access := must("request", "add", "--type", "access", "--contact", "C1")
	must("letter", access, "--kind", "ack", "--out", filepath.Join(t.TempDir(), "ack.txt"))
	must("request", "extend", access, "--reason", "years of order history", "--told", time.Now().UTC().Format(time.DateOnly))
	r := run("letter", access, "--kind", "ack")
	if r.code != exitFailure {
		t.Errorf("ack of an extended request: exit %d", r.code)
	}
	oneErrorLine(t, r, "extension letter")

	objection := must("request", "add", "--type", "objection", "--scope", "marketing", "--contact", "C1")
	r = run("letter", objection, "--kind", "identity")
	if r.code != exitFailure {
		t.Errorf("identity letter for a marketing objection: exit %d", r.code)
	}
	oneErrorLine(t, r, "Art. 21(3)")
	if r := run("request", "close", objection, "--outcome", "denied", "--ground", "identity-not-established", "--reason", "no proof"); r.code == 0 {
		t.Error("a marketing objection denied for identity")
	}

	other := must("request", "add", "--type", "rectification", "--contact", "C1")
	must("request", "close", other, "--outcome", "denied", "--ground", "identity-not-established", "--reason", "no reply to two requests for proof")
	out := filepath.Join(t.TempDir(), "refusal.txt")
	must("letter", other, "--kind", "refusal", "--out", out) // IE: English
	if text, err := os.ReadFile(out); err != nil || !strings.Contains(string(text), "Art. 11(2) and Art. 12(2) and (6) GDPR") {
		t.Errorf("refusal for identity: %q %v", text, err)
	}
}
