package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRetentionSweepPromptGoesToStderr: with --json, stdout is one JSON
// document even when a terminal is asked to confirm --apply: the
// confirmation prompt goes to stderr (SPEC §4).
func TestRetentionSweepPromptGoesToStderr(t *testing.T) {
	dir := demoDir(t)
	for _, args := range [][]string{{"sweep", "--retention", "--apply", "--json"}, {"sweep", "--apply", "--json"}} {
		var out, errb bytes.Buffer
		a := &app{stdin: strings.NewReader("yes\n"), stdout: &out, stderr: &errb, now: time.Now, stdinTTY: true}
		code := a.run(context.Background(), append(args, "--data", dir))
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); code != 0 || err != nil || doc["applied"] != true {
			t.Errorf("%v: exit %d, stdout is not one JSON document (%v):\n%s\nstderr: %s", args, code, err, out.String(), errb.String())
		}
		if !strings.Contains(errb.String(), "Type yes to confirm") {
			t.Errorf("%v: no prompt on stderr: %q", args, errb.String())
		}
	}
}

// TestRetentionJSONTailIsEscaped: the tail of sweep --retention --json
// (counts by purpose) is written as writeJSON writes: a bidi control in a
// purpose's name is escaped, never raw on stdout, and decodes exactly.
func TestRetentionJSONTailIsEscaped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "D")
	run := func(args ...string) result {
		t.Helper()
		r := gdprdesk(t, append(args, "--data", dir)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return r
	}
	const name = "web\u202einar"
	run("contact", "add", "--email", "anna@example.org", "--country", "DE")
	run("purpose", "add", name, "--basis", "consent", "--retention-days", "30")
	run("consent", "grant", "C1", "--purpose", name, "--at", "2020-01-01", "--method", "form")
	r := run("sweep", "--retention", "--json")
	if strings.ContainsRune(r.stdout, '\u202e') {
		t.Errorf("a raw bidi control on stdout:\n%q", r.stdout)
	}
	var doc struct {
		ByPurpose map[string]int64 `json:"by_purpose"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.ByPurpose[name] != 1 {
		t.Errorf("by_purpose %v (%v):\n%s", doc.ByPurpose, err, r.stdout)
	}
}
