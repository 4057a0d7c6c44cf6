package gdpr

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

// Free text ignores case and accents: muller finds Müller (issue 20.13).
func TestFoldText(t *testing.T) {
	cases := map[string]string{
		"Müller":              "muller",
		norm.NFD.String("Mü"): "mu",
		"Łukasz Żółć":         "lukasz zolc",
		"STRAẞE Straße":       "strasse strasse",
		"Søren Ærø":           "soren aero",
		"Œuvre Đorđe":         "oeuvre dorde",
		"François Núñez":      "francois nunez",
		"İstanbul":            "istanbul",
		"plain@example.com":   "plain@example.com",
		"a\x00B":              "a\x00b",
	}
	for in, want := range cases {
		if got := FoldText(in); got != want {
			t.Errorf("FoldText(%q) = %q, want %q", in, got, want)
		}
	}
	// A transcription is not a fold.
	if FoldText("Müller") == FoldText("Mueller") {
		t.Error("Müller and Mueller fold alike; only the base letter is kept")
	}
	// Words and the search text agree.
	q, err := ParseQuery("MULLER lukasz")
	if err != nil {
		t.Fatal(err)
	}
	c := &Contact{FirstName: "Łukasz", LastName: "Müller", Email: "lm@example.pl"}
	if !q.Matches(c) {
		t.Errorf("%q does not match %s", q.String(), SearchText(c))
	}
	if q2, _ := ParseQuery("mueller"); q2.Matches(c) {
		t.Error("mueller matches Müller")
	}
}
