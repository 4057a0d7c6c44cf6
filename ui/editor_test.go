package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// runPlainly runs the editor as tea.ExecProcess would, without a
// terminal to hand over, and checks the file it is given: 0600, alone in
// a private folder. It records the path, to check it is removed after.
func runPlainly(t *testing.T, seen *string) execFunc {
	return func(c *exec.Cmd, fn tea.ExecCallback) tea.Cmd {
		return func() tea.Msg {
			path := c.Args[len(c.Args)-1]
			*seen = path
			fi, err := os.Stat(path)
			if err != nil {
				t.Errorf("the text is not written for the editor: %v", err)
			} else if fi.Mode().Perm() != 0o600 {
				t.Errorf("the text file is %v, want 0600", fi.Mode().Perm())
			}
			if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
				t.Errorf("the editor's folder is not private: %v %v", di.Mode().Perm(), err)
			}
			return fn(c.Run())
		}
	}
}

// With $EDITOR set, E on a policy-text row opens the text in the editor;
// what it wrote comes back into the form, and is recorded as the next
// version (Art. 7(1): the wording people agreed to, kept for good). The
// temporary file is gone afterwards.
func TestSettingsPolicyTextInEditor(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "editor.sh")
	want := "Yes, send me the monthly newsletter, written in my own editor."
	// The editor sees the previous wording, and replaces it.
	body := "#!/bin/sh\ngrep -q . \"$1\" || exit 3\nprintf '%s\\n' '" + want + "' > \"$1\"\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", script)
	s := openDemo(t, 50)
	var seen string
	d := openSettings(t, s, func(o *Options) { o.AllowEditor, o.exec = true, runPlainly(t, &seen) })
	d.selectRow("+ new consent text version")
	if !offersEditor(d) {
		t.Fatal("E is not among the keys of a policy row")
	}
	d.keys("E")
	d.mustShow("New consent text version", "as written in your editor", "written in my own")
	d.keys("enter", "enter")
	d.mustShow("Recorded consent text v")
	var got gdpr.PolicyVersion
	vs, err := s.PolicyVersions()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range vs {
		if p.Kind == gdpr.PolicyConsent && p.Version > got.Version {
			got = p
		}
	}
	if got.Text != want {
		t.Fatalf("recorded %q, want the editor's %q", got.Text, want)
	}
	if seen == "" {
		t.Fatal("the editor did not run")
	}
	if _, err := os.Stat(filepath.Dir(seen)); !os.IsNotExist(err) {
		t.Fatalf("the editor's folder %s is left behind (%v)", filepath.Dir(seen), err)
	}
}

// An editor that fails leaves nothing recorded and says so; without
// AllowEditor (an SSH session) E does nothing and the inline form stays.
func TestSettingsEditorFailsOrIsNotOffered(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "editor.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 1\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", "")
	t.Setenv("EDITOR", script)
	s := openDemo(t, 50)
	before, _ := s.PolicyVersions()
	var seen string
	d := openSettings(t, s, func(o *Options) { o.AllowEditor, o.exec = true, runPlainly(t, &seen) })
	d.selectRow("+ new consent text version")
	d.keys("E")
	d.mustShow("✗ $EDITOR: editor.sh ended with exit status 1; nothing was kept")
	if after, _ := s.PolicyVersions(); len(after) != len(before) {
		t.Fatal("a failed editor recorded a version")
	}
	if _, err := os.Stat(filepath.Dir(seen)); seen == "" || !os.IsNotExist(err) {
		t.Fatalf("the editor's folder %q is left behind (%v)", seen, err)
	}

	remote := openSettings(t, s) // AllowEditor unset, as over SSH
	remote.selectRow("+ new consent text version")
	if offersEditor(remote) || strings.Contains(remote.screen(), "$EDITOR") {
		t.Fatal("the editor is offered without AllowEditor")
	}
	remote.keys("E")
	if remote.m.screens[tabSettings].(*settings).dialog != nil || remote.m.screens[tabSettings].(*settings).editing != nil {
		t.Fatal("E opened something without AllowEditor")
	}
	remote.keys("enter")
	remote.mustShow("New consent text version", "alt+enter or ctrl+j")
}

// offersEditor reports whether the settings screen lists E among its keys.
func offersEditor(d *driver) bool {
	for _, b := range d.m.screens[tabSettings].Help() {
		if b.Enabled() && b.Help().Key == "E" {
			return true
		}
	}
	return false
}
