package gdpr

import (
	"strings"
	"testing"
)

// TestRoleMay checks SPEC §8's roles: a viewer reads only; staff work
// contacts and requests but cannot anonymize, change settings, the
// checklist or the operators; an admin may do everything; a name that is no
// registered operator may do nothing. A refusal says why, in words.
func TestRoleMay(t *testing.T) {
	tests := []struct {
		role Role
		a    Action
		ok   bool
		why  string
	}{
		{RoleAdmin, ActionContactAnonymize, true, ""},
		{RoleAdmin, ActionOperatorAdd, true, ""},
		{RoleAdmin, Action("something.new"), true, ""},
		{RoleStaff, ActionContactEdit, true, ""},
		{RoleStaff, ActionBasisAdd, true, ""},
		{RoleStaff, ActionConsentGrant, true, ""},
		{RoleStaff, ActionConsentWithdraw, true, ""},
		{RoleStaff, ActionRequestAdd, true, ""},
		{RoleStaff, ActionRequestClose, true, ""},
		{RoleStaff, ActionContactExport, true, ""},
		{RoleStaff, ActionContactAnonymize, false, "staff cannot anonymize; ask an admin"},
		{RoleStaff, ActionSettingsEdit, false, "staff cannot change settings; ask an admin"},
		{RoleStaff, ActionPolicyAdd, false, "staff cannot change settings; ask an admin"},
		{RoleStaff, ActionRuleSet, false, "staff cannot change settings; ask an admin"},
		{RoleStaff, ActionRuleDelete, false, "staff cannot change settings; ask an admin"},
		{RoleStaff, ActionChecklistSet, false, "staff cannot change the checklist; ask an admin"},
		{RoleStaff, ActionOperatorAdd, false, "staff cannot manage operators; ask an admin"},
		{RoleStaff, ActionOperatorRemove, false, "staff cannot manage operators; ask an admin"},
		{RoleStaff, ActionOperatorReplace, false, "staff cannot manage operators; ask an admin"},
		{RoleStaff, ActionKeysRotate, false, "staff cannot rotate the keys; ask an admin"},
		{RoleStaff, ActionSuppressionReadmit, false, "staff cannot re-admit erased addresses; ask an admin"},
		{RoleStaff, ActionSweepRecord, false, "staff cannot sweep; ask an admin"},
		{RoleViewer, ActionBasisAdd, false, "viewers cannot change lawful bases"},
		{RoleViewer, ActionConsentGrant, false, "viewers cannot record consent"},
		{RoleViewer, ActionConsentWithdraw, false, "viewers cannot record consent"},
		{RoleViewer, ActionContactExport, false, "viewers cannot export access packages"},
		{RoleViewer, ActionRequestAdd, false, "viewers cannot log requests"},
		{RoleViewer, ActionContactAnonymize, false, "viewers cannot anonymize"},
		{"", ActionContactCreate, false, "unregistered operators cannot add contacts"},
		{"root", ActionContactCreate, false, "unregistered operators cannot add contacts"},
		// A refusal is recorded, and the index kept, whoever works.
		{RoleViewer, ActionAccessRefused, true, ""},
		{"", ActionAccessRefused, true, ""},
		{RoleViewer, ActionStoreUpgrade, true, ""},
		{RoleStaff, ActionStoreRepair, true, ""},
	}
	for _, tt := range tests {
		ok, why := tt.role.May(tt.a)
		if ok != tt.ok || why != tt.why {
			t.Errorf("%q.May(%q) = %v, %q; want %v, %q", tt.role, tt.a, ok, why, tt.ok, tt.why)
		}
	}
}

// TestRoleMayDownload: a file of DIR/exports holds personal data, and
// handing it out over SSH must keep it confidential (Art. 5(1)(f),
// Art. 32): staff and admins, who may write access packages, may fetch
// them; viewers, who read on screen only, may not.
func TestRoleMayDownload(t *testing.T) {
	for role, want := range map[Role]bool{RoleAdmin: true, RoleStaff: true, RoleViewer: false, "": false} {
		ok, why := role.May(ActionExportDownload)
		if ok != want {
			t.Errorf("%q.May(export.download) = %v, %q; want %v", role, ok, why, want)
		}
		if exp, _ := role.May(ActionContactExport); exp != ok {
			t.Errorf("%q: may download %v but may export %v; Art. 32 wants the same answer", role, ok, exp)
		}
		if !ok && !strings.Contains(why, "download exported files") {
			t.Errorf("%q: refusal %q does not say what was refused", role, why)
		}
	}
}

// TestParseRole reads the three roles of SPEC §8 as typed, and nothing else.
func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": RoleAdmin, " Staff ": RoleStaff, "VIEWER": RoleViewer} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"owner", "", "admins"} {
		if _, err := ParseRole(in); err == nil || !strings.Contains(err.Error(), "admin, staff or viewer") {
			t.Errorf("ParseRole(%q): %v, want an error naming the roles", in, err)
		}
	}
}
