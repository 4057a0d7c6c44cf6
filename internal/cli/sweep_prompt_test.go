package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
