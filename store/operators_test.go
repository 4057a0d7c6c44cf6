package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// operatorsByName reads the operators into a map.
func operatorsByName(t *testing.T, s *Store) map[string]Operator {
	t.Helper()
	ops, err := s.Operators()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Operator{}
	for _, op := range ops {
		out[op.Name] = op
	}
	return out
}

// operator add never silently replaces an operator, and one key belongs to
// one operator (SPEC §8): the key decides who is at the keyboard, so a key
// under two names would make the audit log name the wrong person.
func TestOperatorNamesAndKeysAreUnique(t *testing.T) {
	s, _ := newStore(t)
	const vicKey, eveKey = "ssh-ed25519 AAAAvic vic@laptop", "ssh-ed25519 AAAAeve eve@laptop"
	if err := s.AddOperator("owner", Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: vicKey}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOperator("owner", Operator{Name: "eve", Role: gdpr.RoleStaff, PublicKey: eveKey}); err != nil {
		t.Fatal(err)
	}
	// The same name again, with eve's key and a higher role: refused.
	err := s.AddOperator("owner", Operator{Name: "vic", Role: gdpr.RoleAdmin, PublicKey: "ssh-ed25519 AAAAnew"})
	if !errors.Is(err, ErrOperatorExists) || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("adding vic again: %v; want ErrOperatorExists pointing to --replace", err)
	}
	// Eve's key under another name, with another comment: refused, naming eve.
	for _, name := range []string{"mallory", "vic"} {
		add := s.AddOperator
		if name == "vic" {
			add = s.ReplaceOperator
		}
		err := add("owner", Operator{Name: name, Role: gdpr.RoleAdmin, PublicKey: "ssh-ed25519 AAAAeve other-comment"})
		if err == nil || !strings.Contains(err.Error(), "operator eve's") {
			t.Errorf("registering eve's key as %s: %v; want a refusal naming eve", name, err)
		}
	}
	ops := operatorsByName(t, s)
	if len(ops) != 2 || ops["vic"].Role != gdpr.RoleViewer || ops["vic"].PublicKey != vicKey || ops["eve"].PublicKey != eveKey {
		t.Fatalf("after the refusals the operators changed: %+v", ops)
	}
	for _, e := range allAudit(t, s) {
		if e.Action == string(gdpr.ActionOperatorReplace) {
			t.Errorf("a refused replacement was audited as made: %+v", e)
		}
	}
}

// ReplaceOperator gives a name another key or role, audited as a
// replacement (old and new role), and is an admin's to make.
func TestReplaceOperatorIsAudited(t *testing.T) {
	s, _ := newStore(t)
	if err := s.AddOperator("owner", Operator{Name: "vic", Role: gdpr.RoleViewer, PublicKey: "ssh-ed25519 AAAAvic"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOperator("owner", Operator{Name: "sam", Role: gdpr.RoleStaff, PublicKey: "ssh-ed25519 AAAAsam"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceOperator("sam", Operator{Name: "vic", Role: gdpr.RoleAdmin, PublicKey: "ssh-ed25519 AAAAnew"}); !errors.Is(err, ErrForbidden) {
		t.Errorf("staff replacing an operator: %v, want ErrForbidden", err)
	}
	if err := s.ReplaceOperator("owner", Operator{Name: "vic", Role: gdpr.RoleAdmin, PublicKey: "ssh-ed25519 AAAAnew"}); err != nil {
		t.Fatal(err)
	}
	if got := operatorsByName(t, s)["vic"]; got.Role != gdpr.RoleAdmin || got.PublicKey != "ssh-ed25519 AAAAnew" {
		t.Errorf("vic after the replacement: %+v", got)
	}
	// Replacing a name nobody holds registers it, as an add.
	if err := s.ReplaceOperator("owner", Operator{Name: "ria", Role: gdpr.RoleStaff, PublicKey: "ssh-ed25519 AAAAria"}); err != nil {
		t.Fatal(err)
	}
	var replaced, refused, added []string
	for _, e := range allAudit(t, s) {
		switch e.Action {
		case string(gdpr.ActionOperatorReplace):
			replaced = append(replaced, e.Operator+" "+e.Record+": "+e.Detail)
		case string(gdpr.ActionAccessRefused):
			refused = append(refused, e.Operator+": "+e.Detail)
		case string(gdpr.ActionOperatorAdd):
			added = append(added, e.Record)
		}
	}
	if want := "owner operator vic: role viewer → admin, another key"; len(replaced) != 1 || replaced[0] != want {
		t.Errorf("replacement entries %q, want [%q]", replaced, want)
	}
	if len(refused) != 1 || !strings.HasPrefix(refused[0], "sam: operator.replace refused") {
		t.Errorf("refusal entries %q, want sam's refused replacement", refused)
	}
	if strings.Join(added, ",") != "operator vic,operator sam,operator ria" {
		t.Errorf("add entries %q", added)
	}
}
