package gdpr

import (
	"reflect"
	"strings"
	"testing"
)

// TestBases checks that exactly the six lawful bases of Art. 6(1)(a)–(f)
// exist, in the order of the article.
func TestBases(t *testing.T) {
	want := []Basis{"consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"}
	if got := Bases(); !reflect.DeepEqual(got, want) {
		t.Errorf("Bases() = %q, want %q", got, want)
	}
	// A caller may not change the list for everyone.
	b := Bases()
	b[0] = "changed"
	if Bases()[0] != BasisConsent {
		t.Errorf("Bases() shares its slice between calls")
	}
}

// TestParseBasis checks reading an Art. 6(1) basis as owners type it.
func TestParseBasis(t *testing.T) {
	tests := []struct {
		in   string
		want Basis
	}{
		{"consent", BasisConsent},
		{"contract", BasisContract},
		{"legal_obligation", BasisLegalObligation},
		{"vital_interests", BasisVitalInterests},
		{"public_task", BasisPublicTask},
		{"legitimate_interests", BasisLegitimateInterests},
		{"Consent", BasisConsent},
		{"  CONTRACT\t", BasisContract},
		{"Legal Obligation", BasisLegalObligation},
		{"vital-interests", BasisVitalInterests},
		{"Public-Task", BasisPublicTask},
		{"legitimate interests", BasisLegitimateInterests},
		{"LEGITIMATE-INTERESTS", BasisLegitimateInterests},
	}
	for _, tt := range tests {
		got, err := ParseBasis(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseBasis(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}

	bad := []string{"", "  ", "none", "consents", "legitimate interest", "legitimate__interests", "legitimate  interests", "vital", "a", "6(1)(a)"}
	for _, in := range bad {
		got, err := ParseBasis(in)
		if err == nil {
			t.Errorf("ParseBasis(%q) = %q, want an error", in, got)
			continue
		}
		msg := err.Error()
		for _, b := range Bases() {
			if !strings.Contains(msg, string(b)) {
				t.Errorf("ParseBasis(%q) error %q does not list %q", in, msg, b)
			}
		}
		if !strings.Contains(msg, strings.TrimSpace(in)) {
			t.Errorf("ParseBasis(%q) error %q does not name the value", in, msg)
		}
	}
}

// TestBasisLabel checks the plain-words names of the Art. 6(1) bases shown
// to owners who are not lawyers.
func TestBasisLabel(t *testing.T) {
	tests := []struct {
		b    Basis
		want string
	}{
		{BasisConsent, "Consent"},
		{BasisContract, "Contract"},
		{BasisLegalObligation, "Legal obligation"},
		{BasisVitalInterests, "Vital interests"},
		{BasisPublicTask, "Public task"},
		{BasisLegitimateInterests, "Legitimate interests"},
		{BasisNone, "No basis"},
		{"something_else", "something_else"},
	}
	for _, tt := range tests {
		if got := tt.b.Label(); got != tt.want {
			t.Errorf("Basis(%q).Label() = %q, want %q", tt.b, got, tt.want)
		}
	}
}

// TestNormalizeSource checks that source labels compare as owners expect, so
// that a source rule (Art. 6(1) recorded at collection) finds its contacts.
func TestNormalizeSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Webinar", "webinar"},
		{" webinar ", "webinar"},
		{"webform:Newsletter", "webform:newsletter"},
		{"Trade Fair 2026", "trade fair 2026"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := NormalizeSource(tt.in); got != tt.want {
			t.Errorf("NormalizeSource(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSourceRuleValidate checks source rules: each applies one of the six
// Art. 6(1) bases, never "none", to a named source.
func TestSourceRuleValidate(t *testing.T) {
	tests := []struct {
		name    string
		rule    SourceRule
		wantErr string
	}{
		{"web form to consent", SourceRule{Source: "webform:newsletter", Basis: BasisConsent, Evidence: "consent box ticked"}, ""},
		{"purchase to contract", SourceRule{Source: SourcePurchase, Basis: BasisContract}, ""},
		{"no source", SourceRule{Basis: BasisConsent}, "source label"},
		{"blank source", SourceRule{Source: "  ", Basis: BasisConsent}, "source label"},
		{"no basis", SourceRule{Source: "import"}, "lawful basis"},
		{"none is not a basis", SourceRule{Source: "import", Basis: BasisNone}, "lawful basis"},
		{"unknown basis", SourceRule{Source: "import", Basis: "friendship"}, "friendship"},
		{"basis not in canonical form", SourceRule{Source: "import", Basis: "Legitimate Interests"}, "legitimate_interests"},
	}
	for _, tt := range tests {
		err := tt.rule.Validate()
		checkErr(t, tt.name+": Validate()", err, tt.wantErr)
	}
}

// Short names are unique, so a table column never confuses two bases.
func TestBasisShortNamesAreDistinct(t *testing.T) {
	seen := map[string]Basis{}
	for _, b := range Bases() {
		s := b.Short()
		if s == "" || len(s) > 8 {
			t.Errorf("Basis(%q).Short() = %q: empty or too wide for the column", b, s)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("%q and %q share the short name %q", b, other, s)
		}
		seen[s] = b
	}
	if BasisLegitimateInterests.Short() != "interest" {
		t.Errorf("legitimate interests is %q, want interest (LI is Liechtenstein, next to the country column)", BasisLegitimateInterests.Short())
	}
}
