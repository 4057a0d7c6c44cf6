package gdpr

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail trims an address and lower-cases it as a whole (SPEC §6:
// plus-addresses stay distinct) and checks that it is a plain, valid address
// of at most 254 characters. Internationalized addresses (UTF-8 local part,
// IDN domain) are valid; they are put in Unicode normal form C, so that the
// stored spelling does not depend on the keyboard that typed it.
//
// An address that could pass for another is refused (SPEC §8): one holding
// a bidirectional control (U+202E turns "moc.elpmaxe" into "example.com" on
// screen), an invisible character (a zero-width space, a soft hyphen) or a
// control character, or one that mixes scripts within one part, such as a
// Cyrillic "а" among Latin letters ("pаypal"). A part may be written in any
// single script; digits, "-", "_" and "+" belong to every script, and
// Japanese (Han with kana), Chinese (Han with Bopomofo) and Korean (Han
// with Hangul), each also with Latin, count as one script, as in
// Unicode's UTS #39.
//
// NormalizeEmail gives the spelling that is stored and shown; CanonicalEmail
// gives the form addresses are compared in.
func NormalizeEmail(s string) (string, error) {
	// An address already in its stored form, of the common kind (lower-case
	// ASCII dot-atoms, not punycode), is what normalizeEmail would give
	// back unchanged: it is returned at once. An import checks each address
	// several times (the reader, then the store), so this is most calls.
	if at := strings.LastIndexByte(s, '@'); at > 0 && len(s) <= MaxEmailLen && plainAddress(s, at) {
		if d := s[at+1:]; strings.IndexByte(d, '.') >= 0 && !strings.Contains(d, "xn--") {
			return s, nil
		}
	}
	return normalizeEmail(s)
}

// normalizeEmail is NormalizeEmail without the shortcut for an address
// already in its stored form.
func normalizeEmail(s string) (string, error) {
	// Checked before lower-casing, which would turn bad bytes into U+FFFD.
	if !utf8.ValidString(s) {
		return "", errors.New("email is not valid UTF-8 text")
	}
	t := strings.TrimSpace(s)
	ascii := isASCII(t)
	if !ascii {
		if err := checkAddressRunes(t); err != nil {
			return "", err
		}
		t = norm.NFC.String(t)
	}
	e := strings.ToLower(t)
	if e == "" {
		return "", errors.New("email is missing")
	}
	if n := utf8.RuneCountInString(e); n > MaxEmailLen {
		return "", fmt.Errorf("email is too long: %d characters, at most %d", n, MaxEmailLen)
	}
	if ascii && strings.IndexFunc(e, isControl) >= 0 {
		return "", fmt.Errorf("email %q holds a control character: type the address again", s)
	}
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n<>,;\"") {
		return "", fmt.Errorf("email %q is not a valid address (expected name@example.com)", s)
	}
	if !plainAddress(e, at) {
		if _, err := mail.ParseAddress(e); err != nil {
			return "", fmt.Errorf("email %q is not a valid address (expected name@example.com)", s)
		}
	}
	domain := e[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", fmt.Errorf("email %q has no valid domain (expected name@example.com)", s)
	}
	if !isASCII(domain) {
		if _, err := idna.Lookup.ToASCII(domain); err != nil {
			return "", fmt.Errorf("email %q has no valid internationalized domain (%v)", s, err)
		}
	}
	if !ascii || strings.Contains(domain, "xn--") {
		if err := checkScripts(s, e[:at], domain); err != nil {
			return "", err
		}
	}
	return e, nil
}

// CanonicalEmail is the form in which two addresses are the same address
// (SPEC §8): the suppression list of erased people (Art. 17) and of
// objections to direct marketing (Art. 21(3)), the look-up of a contact by
// address and the import's repeated rows all compare it. It is
// NormalizeEmail's address with the local part case-folded (Unicode full
// case folding, then normal form C) and the domain in its ASCII form
// (IDNA 2008 with UTS #46 mapping, "exämple.de" → "xn--exmple-cua.de"), so
// that the decomposed (NFD) and composed spellings, upper and lower case,
// and the Unicode and punycode spellings of a domain are one address.
//
// An ASCII address keeps exactly the form NormalizeEmail gives it —
// trimmed and lower-cased — which is what every earlier version compared,
// so the suppression entries and look-ups written before stay valid. For
// addresses with other characters see LegacyEmailSpellings.
func CanonicalEmail(addr string) (string, error) {
	e, err := NormalizeEmail(addr)
	if err != nil {
		return "", err
	}
	if isASCII(e) {
		return e, nil
	}
	at := strings.LastIndexByte(e, '@')
	local, domain := e[:at], e[at+1:]
	local = norm.NFC.String(cases.Fold().String(local))
	if !isASCII(domain) {
		d, err := idna.Lookup.ToASCII(domain)
		if err != nil { // NormalizeEmail checked it
			return "", fmt.Errorf("email %q has no valid internationalized domain (%v)", addr, err)
		}
		domain = d
	}
	return local + "@" + domain, nil
}

// ComparableEmail is the form an address is compared in — look-ups,
// suppression, repeats within an import — for every caller alike:
// CanonicalEmail's, computed fast for ASCII (where it is the address
// trimmed and lower-cased, without validating it again on every row of an
// import); an address CanonicalEmail refuses (a lookalike stored by an
// older version) is compared as it is stored.
func ComparableEmail(addr string) string {
	if isASCII(addr) {
		return strings.ToLower(strings.TrimSpace(addr))
	}
	if c, err := CanonicalEmail(addr); err == nil {
		return c
	}
	return addr
}

// SameEmail reports whether two addresses are one address (CanonicalEmail);
// an address CanonicalEmail refuses is only the same as itself.
func SameEmail(a, b string) bool {
	if a == b {
		return true
	}
	ca, errA := CanonicalEmail(a)
	cb, errB := CanonicalEmail(b)
	return errA == nil && errB == nil && ca == cb
}

// LegacyEmailSpellings lists the forms in which versions before
// CanonicalEmail compared an address with characters beyond ASCII: they
// kept its HMAC as typed, only trimmed and lower-cased. The suppression
// list holds nothing but those HMACs, so its older entries cannot be
// recomputed; a look-up also tries these spellings of the address — the
// composed and decomposed forms with the Unicode and the punycode spelling
// of the domain — and finds every older entry typed in one of them. An
// older entry typed in a mix (part composed, part decomposed) is found
// only by that spelling (docs/RELIABILITY.md).
// The list is empty for an ASCII address, whose form never changed.
func LegacyEmailSpellings(addr string) []string {
	if isASCII(addr) {
		return nil // the common case, without normalizing again
	}
	e, err := NormalizeEmail(addr)
	if err != nil || isASCII(e) {
		return nil
	}
	at := strings.LastIndexByte(e, '@')
	local, domain := e[:at], e[at+1:]
	domains := []string{domain}
	if d, err := idna.Lookup.ToUnicode(domain); err == nil {
		domains = append(domains, d)
	}
	if d, err := idna.Lookup.ToASCII(domain); err == nil {
		domains = append(domains, d)
	}
	var out []string
	for _, d := range domains {
		for _, f := range []norm.Form{norm.NFC, norm.NFD} {
			s := strings.ToLower(f.String(local + "@" + d))
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// checkAddressRunes refuses the characters that make an address look like
// another: bidirectional controls, invisible (format) characters and
// controls.
func checkAddressRunes(s string) error {
	for _, r := range s {
		switch {
		case isBidiControl(r):
			return fmt.Errorf("email %q holds a bidirectional control character (U+%04X), which makes an address show differently from what it is: type the address again", s, r)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("email %q holds an invisible character (U+%04X, e.g. a zero-width space): type the address again", s, r)
		case unicode.IsControl(r):
			return fmt.Errorf("email %q holds a control character (U+%04X): type the address again", s, r)
		}
	}
	return nil
}

func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// checkScripts refuses a local part or domain label that mixes scripts.
// A punycode label is judged by the Unicode it stands for.
func checkScripts(addr, local, domain string) error {
	if u, err := idna.Lookup.ToUnicode(domain); err == nil {
		domain = u
	}
	labels := strings.Split(local, ".")
	labels = append(labels, strings.Split(domain, ".")...)
	for _, l := range labels {
		if a, b, mixed := mixedScripts(l); mixed {
			return fmt.Errorf("email %q mixes %s and %s letters in %q, as an address made to imitate another does: type the address again in one script", addr, a, b, l)
		}
	}
	return nil
}

// mixedScripts reports two scripts a label mixes, when it mixes any that
// do not go together (see NormalizeEmail).
func mixedScripts(label string) (a, b string, mixed bool) {
	var seen []string
	for _, r := range label {
		s := scriptOf(r)
		if s != "" && !slices.Contains(seen, s) {
			seen = append(seen, s)
		}
	}
	if len(seen) < 2 {
		return "", "", false
	}
	for _, group := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		all := true
		for _, s := range seen {
			all = all && slices.Contains(group, s)
		}
		if all {
			return "", "", false
		}
	}
	return seen[0], seen[1], true
}

// commonScripts are looked at first; any other script is found in
// unicode.Scripts.
var commonScripts = []string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul",
	"Arabic", "Hebrew", "Armenian", "Georgian", "Devanagari", "Thai", "Bopomofo"}

// scriptOf names the script of a letter, or "" for a character every
// script shares (digits, punctuation, combining marks).
func scriptOf(r rune) string {
	if r < utf8.RuneSelf {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return "Latin"
		}
		return ""
	}
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for _, name := range commonScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, t := range unicode.Scripts {
		if unicode.Is(t, r) {
			return name
		}
	}
	return ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// plainAddress reports whether e (lower-case, its last @ at at) is the
// common kind of address that net/mail accepts without a doubt: a dot-atom
// of ASCII letters, digits and atext symbols, an @, and dot-separated
// labels of letters, digits and hyphens. It spares an import of a million
// rows a million parses; anything else is left to net/mail.
func plainAddress(e string, at int) bool {
	const atext = "!#$%&'*+/=?^_`{|}~-"
	dotAtom := func(s string, extra string) bool {
		if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			case c == '.':
				if s[i-1] == '.' {
					return false
				}
			case strings.IndexByte(extra, c) >= 0:
			default:
				return false
			}
		}
		return true
	}
	return dotAtom(e[:at], atext) && dotAtom(e[at+1:], "-")
}
