package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// encodePersonal writes the stored form of a contact's personal data
// itself for the common record: it must be json.Marshal's, byte for byte,
// for every record, or records sealed by an import would differ from those
// the desk writes. Texts are drawn from pieces that encoding/json escapes
// and pieces it does not.
func TestEncodePersonalIsJSONMarshal(t *testing.T) {
	plain := []string{"Anna", "Müller", "straße 5", "a@b.de", "+49 30 1234", "東京", "😀", "é", "\u00a0", "O'Brien", "\x7f"}
	escaped := []string{"x\"y", "back\\slash", "a<b", "a&b", "1 > 0", "tab\there", "new\nline", "\x00", "\x1f",
		"\u2028", "\u2029", "\xff", "\xe2\x80"}
	rng := rand.New(rand.NewPCG(1, 2))
	// Mostly plain, so that a record with one escaped piece is common.
	text := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		s := ""
		for range 1 + rng.IntN(3) {
			if rng.IntN(40) == 0 {
				s += escaped[rng.IntN(len(escaped))]
			} else {
				s += plain[rng.IntN(len(plain))]
			}
		}
		return s
	}
	direct := 0
	for i := range 20000 {
		pd := personalData{FirstName: text(), LastName: text(), Email: text(), Phone: text(), Street: text(),
			City: text(), Region: text(), PostalCode: text(), Company: text(), Notes: text(),
			RestrictionReason: text(), Language: text()}
		if i%7 == 0 {
			pd.PastEmails = []string{text()}
		}
		if i%11 == 0 {
			pd.Custom = map[string]string{"k": text(), "a<": text()}
		}
		got, err := encodePersonal(&pd)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(pd)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\n got %s\nwant %s", pd, got, want)
		}
		if len(pd.PastEmails) == 0 && len(pd.Custom) == 0 {
			direct++
		}
	}
	if empty, _ := encodePersonal(&personalData{}); string(empty) != "{}" {
		t.Fatalf("no personal data: %s, want {}", empty)
	}
	if direct == 0 {
		t.Fatal("no record took the direct way")
	}
}
