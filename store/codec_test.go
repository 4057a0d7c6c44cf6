package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
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
		// Every field, found by reflection: a field added to personalData
		// and not to encodePersonal's list makes the two differ here.
		var pd personalData
		v := reflect.ValueOf(&pd).Elem()
		for f := range v.NumField() {
			field := v.Field(f)
			switch field.Interface().(type) {
			case string:
				field.SetString(text())
			case []string:
				if i%7 == 0 {
					field.Set(reflect.ValueOf([]string{text()}))
				}
			case map[string]string:
				if i%11 == 0 {
					field.Set(reflect.ValueOf(map[string]string{"k": text(), "a<": text()}))
				}
			default:
				t.Fatalf("personalData.%s is a %s: teach encodePersonal and this test about it", v.Type().Field(f).Name, field.Type())
			}
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
