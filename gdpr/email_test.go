package gdpr

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// The address of the reproduction: erased, then imported again in
// other spellings of the same address.
const hanako = "hänako.yamadaqx@exämple.de"

// Suppression after erasure (Art. 17) and after an objection to direct
// marketing (Art. 21(3)) must hold for every spelling of one address:
// composed or decomposed, any case, the domain in Unicode or punycode.
func TestCanonicalEmailIsOneFormPerAddress(t *testing.T) {
	want, err := CanonicalEmail(hanako)
	if err != nil {
		t.Fatal(err)
	}
	if want != "hänako.yamadaqx@xn--exmple-cua.de" {
		t.Errorf("canonical form %q, want the folded local part at the punycode domain", want)
	}
	for _, spelling := range []string{
		norm.NFD.String(hanako),
		strings.ToUpper(hanako),
		"HÄNAKO.YAMADAQX@EXÄMPLE.DE",
		"hänako.yamadaqx@xn--exmple-cua.de",
		"Hänako.Yamadaqx@XN--EXMPLE-CUA.DE",
		norm.NFD.String("  Hänako.yamadaqx@xn--exmple-cua.de "),
	} {
		got, err := CanonicalEmail(spelling)
		if err != nil {
			t.Errorf("%q: %v", spelling, err)
			continue
		}
		if got != want {
			t.Errorf("%q canonicalizes to %q, want %q", spelling, got, want)
		}
	}
	// Case folding, not only lower-casing: ß and ss are one address.
	a, _ := CanonicalEmail("straße@example.de")
	b, _ := CanonicalEmail("STRASSE@example.de")
	if a != b || a == "" {
		t.Errorf("straße %q and STRASSE %q differ", a, b)
	}
	// The stored spelling stays as typed, composed, lower-case.
	if got, err := NormalizeEmail(norm.NFD.String("Straße@Exämple.de")); err != nil || got != "straße@exämple.de" {
		t.Errorf("NormalizeEmail = %q, %v; want the composed lower-case spelling", got, err)
	}
}

// ASCII addresses keep the form of every earlier version (trimmed and
// lower-cased), so the suppression entries already stored (HMACs of that
// form) still match; they have no legacy spellings.
func TestCanonicalEmailKeepsASCIIAddressesAsBefore(t *testing.T) {
	for in, want := range map[string]string{
		"  John.Doe+News@Example.COM ": "john.doe+news@example.com",
		"a@xn--exmple-cua.de":          "a@xn--exmple-cua.de",
		"o'brien@example.ie":           "o'brien@example.ie",
		"user@sub-domain.example.org":  "user@sub-domain.example.org",
	} {
		got, err := CanonicalEmail(in)
		if err != nil || got != want {
			t.Errorf("CanonicalEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
		if old := strings.ToLower(strings.TrimSpace(in)); got != old {
			t.Errorf("%q: canonical %q differs from the earlier form %q", in, got, old)
		}
		if l := LegacyEmailSpellings(in); len(l) != 0 {
			t.Errorf("%q: legacy spellings %q, want none", in, l)
		}
	}
}

// Entries written before CanonicalEmail (HMACs of the lower-cased address
// as typed) are found through the legacy spellings (Art. 17: an erased
// person stays suppressed across the upgrade).
func TestLegacyEmailSpellingsCoverTheEarlierForms(t *testing.T) {
	for _, typed := range []string{"HÄNAKO.yamadaqx@xn--exmple-cua.de", norm.NFD.String(hanako)} {
		got := LegacyEmailSpellings(typed)
		for _, old := range []string{hanako, norm.NFD.String(hanako), "hänako.yamadaqx@xn--exmple-cua.de"} {
			found := false
			for _, g := range got {
				found = found || g == old
			}
			if !found {
				t.Errorf("%q: legacy spellings %q miss %q", typed, got, old)
			}
		}
	}
}

// Addresses that could pass for another are refused with the reason
// (SPEC §8), whatever the front end.
func TestNormalizeEmailRefusesLookalikes(t *testing.T) {
	for _, c := range []struct{ addr, reason string }{
		{"hanako\u200b@example.de", "invisible character (U+200B"},
		{"hanako@exa\u200dmple.de", "invisible character (U+200D"},
		{"\ufeffhanako@example.de", "invisible character (U+FEFF"},
		{"hanako\u202e@example.de", "bidirectional control character (U+202E"},
		{"\u2067hanako@example.de", "bidirectional control character (U+2067"},
		{"p\u0430ypal@example.com", "mixes Latin and Cyrillic letters in \"pаypal\""},
		{"hanako@p\u0430ypal.com", "mixes Latin and Cyrillic"},
		{"hanako@xn--pypal-4ve.com", "mixes Latin and Cyrillic"}, // the same, in punycode
		{"\u03bfmega@example.com", "mixes Greek and Latin"},
		{"han\x01ako@example.de", "control character"},
	} {
		_, err := NormalizeEmail(c.addr)
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%q: error %v, want one saying %q", c.addr, err, c.reason)
		}
		if _, err := CanonicalEmail(c.addr); err == nil {
			t.Errorf("%q: CanonicalEmail accepted it", c.addr)
		}
	}
	// One script per part is fine, whatever the script; Japanese mixes
	// Han and kana by nature; digits and hyphens go with any script.
	for _, ok := range []string{"иван@пример.рф", "ivan@пример.рф", "山田はなこ@例え.jp", "δοκιμή@παράδειγμα.δοκιμή",
		"hänako-2@exämple.de", "user123@example.com"} {
		if _, err := CanonicalEmail(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range []string{hanako, norm.NFD.String(hanako), "HÄNAKO.YAMADAQX@xn--exmple-cua.de", "john@example.com",
		"p\u0430ypal@example.com", "a\u200b@b.de", "straße@例え.jp", "\"quoted local\"@example.com", "a@b", "İstanbul@example.tr", "ꭰ@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalEmail(s)
		if err != nil {
			return
		}
		again, err := CanonicalEmail(c)
		if err != nil {
			t.Fatalf("canonical form %q of %q is refused: %v", c, s, err)
		}
		if again != c {
			t.Fatalf("not idempotent: %q → %q → %q", s, c, again)
		}
		n, err := NormalizeEmail(s)
		if err != nil {
			t.Fatalf("%q: canonical but not normal: %v", s, err)
		}
		if cn, _ := CanonicalEmail(n); cn != c {
			t.Fatalf("%q: the stored spelling %q compares as %q, the address as %q", s, n, cn, c)
		}
	})
}

// ComparableEmail is CanonicalEmail's form for every valid address (ASCII
// by its fast path too), and an address CanonicalEmail refuses compares as
// it is: so suppression (Art. 17) sees one hash per address.
func TestComparableEmailIsTheCanonicalForm(t *testing.T) {
	for _, a := range []string{" Anna.Muster@Example.COM ", "hänako.yamadaqx@exämple.de", "HÄNAKO.yamadaqx@xn--exmple-cua.de", "ha\u0308nako.yamadaqx@exa\u0308mple.de"} {
		c, err := CanonicalEmail(a)
		if err != nil {
			t.Fatalf("CanonicalEmail(%q): %v", a, err)
		}
		if got := ComparableEmail(a); got != c {
			t.Errorf("ComparableEmail(%q) = %q, want the canonical %q", a, got, c)
		}
	}
	odd := "pay\u200bpal@example.com" // refused today; may be stored by an older version
	if _, err := CanonicalEmail(odd); err == nil {
		t.Fatalf("CanonicalEmail(%q) took a zero-width space", odd)
	}
	if got := ComparableEmail(odd); got != odd {
		t.Errorf("ComparableEmail(%q) = %q, want it as stored", odd, got)
	}
}

// NormalizeEmail's shortcut for an address already in its stored form must
// give what the long way gives, for every input (SPEC §6 and §8: the
// stored spelling, and the lookalikes refused). The inputs are built from
// the characters each check of the long way looks at, in every position,
// and the fuzz seeds; a difference in the value or in being refused fails.
func TestNormalizeEmailShortcutIsTheLongWay(t *testing.T) {
	parts := []string{"a", "z", "0", "9", ".", "..", "-", "_", "+", "!", "~", "@", "@@", "xn--", "xn--exmple-cua",
		"A", "Z", " ", "\t", "\"", "<", ",", ";", "\x00", "\x7f", "ä", "а", "\u200b", "\u202e", "de", "com", "example"}
	seen, shortcut := 0, 0
	check := func(s string) {
		t.Helper()
		seen++
		got, gotErr := NormalizeEmail(s)
		want, wantErr := normalizeEmail(s)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: NormalizeEmail gives %q, %v; the long way %q, %v", s, got, gotErr, want, wantErr)
		}
		if gotErr == nil && got == s {
			shortcut++
		}
	}
	// Every address of up to two parts before and two after an "@".
	var build func(prefix string, n int, after bool)
	build = func(prefix string, n int, after bool) {
		check(prefix)
		if n == 0 {
			if !after {
				build(prefix+"@", 2, true)
			}
			return
		}
		for _, p := range parts {
			build(prefix+p, n-1, after)
		}
	}
	build("", 2, false)
	for _, s := range []string{hanako, "john@example.com", "JOHN@example.com", " john@example.com", "john@example.com ",
		"john@xn--exmple-cua.de", "john@xn--pypal-4ve.com", "john@exa_mple.com", "a@b", "a@b.", "a@.b", "a.@b.de", ".a@b.de", "a..b@c.de", "a@b..de",
		strings.Repeat("a", 243) + "@example.de", strings.Repeat("a", 244) + "@example.de", "a@b@c.de", "\"a b\"@c.de"} {
		check(s)
	}
	if shortcut == 0 || shortcut == seen {
		t.Fatalf("%d inputs, %d already normal: the test no longer reaches both ways", seen, shortcut)
	}
}
