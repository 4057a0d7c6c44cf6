package gdpr

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeCountry(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// Alpha-2, any case, surrounding space.
		{"DE", "DE"},
		{"de", "DE"},
		{" fr ", "FR"},
		{"\tUs\n", "US"},
		{"GB", "GB"},
		{"CH", "CH"},
		// Alpha-3.
		{"DEU", "DE"},
		{"deu", "DE"},
		{"USA", "US"},
		{"GBR", "GB"},
		{"GRC", "GR"},
		{"che", "CH"},
		// ISO English short names, mixed case.
		{"Germany", "DE"},
		{"gErMaNy", "DE"},
		{"UNITED STATES", "US"},
		{"United Kingdom", "GB"},
		{"Czechia", "CZ"},
		{"Greece", "GR"},
		{"Russian Federation", "RU"},
		{"Korea, Republic of", "KR"},
		{"Bolivia, Plurinational State of", "BO"},
		{"Guinea-Bissau", "GW"},
		{"Holy See (Vatican City State)", "VA"},
		{"Åland Islands", "AX"},
		{"Réunion", "RE"},
		{"Saint Martin (French part)", "MF"},
		{"Türkiye", "TR"},
		// ISO official and common names.
		{"United States of America", "US"},
		{"Czech Republic", "CZ"},
		{"Federal Republic of Germany", "DE"},
		{"Hellenic Republic", "GR"},
		{"South Korea", "KR"},
		{"North Korea", "KP"},
		{"Vietnam", "VN"},
		{"Viet Nam", "VN"},
		{"Iran", "IR"},
		{"Bolivia", "BO"},
		{"Venezuela", "VE"},
		{"Tanzania", "TZ"},
		{"Syria", "SY"},
		{"Laos", "LA"},
		{"Moldova", "MD"},
		{"Taiwan", "TW"},
		// Hand-made English alternatives.
		{"US", "US"},
		{"U.S.A.", "US"},
		{"u.s.", "US"},
		{"UK", "GB"},
		{"U.K.", "GB"},
		{"Great Britain", "GB"},
		{"Britain", "GB"},
		{"England", "GB"},
		{"Scotland", "GB"},
		{"Wales", "GB"},
		{"Northern Ireland", "GB"},
		{"Russia", "RU"},
		{"Netherlands", "NL"},
		{"The Netherlands", "NL"},
		{"the netherlands", "NL"},
		{"Holland", "NL"},
		{"Turkey", "TR"},
		{"Ivory Coast", "CI"},
		{"Cote d'Ivoire", "CI"},
		{"Côte d’Ivoire", "CI"}, // typographic apostrophe
		{"Macedonia", "MK"},
		{"Swaziland", "SZ"},
		{"Burma", "MM"},
		{"Cape Verde", "CV"},
		{"DR Congo", "CD"},
		{"Democratic Republic of the Congo", "CD"},
		{"Congo", "CG"},
		{"Republic of the Congo", "CG"},
		{"UAE", "AE"},
		{"Palestine", "PS"},
		{"Vatican", "VA"},
		{"Korea, South", "KR"},
		{"Trinidad & Tobago", "TT"},
		{"Guinea Bissau", "GW"},
		{"St. Lucia", "LC"},
		{"Saint Lucia", "LC"},
		{"The Bahamas", "BS"},
		{"Kosovo", "XK"},
		{"XK", "XK"},
		// EL is the EU's prefix for Greece; ISO (and this app) store GR.
		{"EL", "GR"},
		{"el", "GR"},
		// The EU/EEA states' own names, with and without diacritics.
		{"Deutschland", "DE"},
		{"España", "ES"},
		{"Espana", "ES"},
		{"ESPAÑA", "ES"},
		{"Polska", "PL"},
		{"Österreich", "AT"},
		{"Osterreich", "AT"},
		{"Sverige", "SE"},
		{"Suomi", "FI"},
		{"Danmark", "DK"},
		{"Norge", "NO"},
		{"Ísland", "IS"},
		{"Island", "IS"},
		{"Italia", "IT"},
		{"Nederland", "NL"},
		{"België", "BE"},
		{"Belgie", "BE"},
		{"Belgique", "BE"},
		{"Belgien", "BE"},
		{"Česko", "CZ"},
		{"Cesko", "CZ"},
		{"Magyarország", "HU"},
		{"Magyarorszag", "HU"},
		{"Hellas", "GR"},
		{"Ελλάδα", "GR"},
		{"ΕΛΛΑΔΑ", "GR"},
		{"Éire", "IE"},
		{"Eire", "IE"},
		{"Hrvatska", "HR"},
		{"Slovensko", "SK"},
		{"Slovenija", "SI"},
		{"Lietuva", "LT"},
		{"Latvija", "LV"},
		{"Eesti", "EE"},
		{"România", "RO"},
		{"Romania", "RO"},
		{"България", "BG"},
		{"Bulgaria", "BG"},
		{"Κύπρος", "CY"},
		{"ΚΥΠΡΟΣ", "CY"}, // upper case lowers to a non-final σ
		{"Malta", "MT"},
		{"Luxembourg", "LU"},
		{"Lëtzebuerg", "LU"},
		{"Letzebuerg", "LU"},
		{"Portugal", "PT"},
		{"France", "FR"},
		{"Liechtenstein", "LI"},
		{"Schweiz", "CH"},
		{"Suisse", "CH"},
		{"Svizzera", "CH"},
		{"Guyane", "GF"},
		{"La Réunion", "RE"},
		{"Saint-Martin", "MF"},
		{"Åland", "AX"},
		// Odd spacing and NBSP.
		{"  United   States  ", "US"},
		{"\u00a0Deutschland\u00a0", "DE"},
		// Empty means "no country recorded".
		{"", ""},
		{"   ", ""},
		{"\t\n", ""},
	}
	for _, tc := range tests {
		got, err := NormalizeCountry(tc.in)
		if err != nil {
			t.Errorf("NormalizeCountry(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("NormalizeCountry(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeCountryRejects(t *testing.T) {
	tests := []string{
		"Atlantis",
		"XX",
		"ZZZ",
		"EU", // the Union is not a country
		"Europe",
		"the",
		".",
		"-",
		"D",
		"DEUT",
		"Korea", // ambiguous: North or South
		"Germany!",
		"12",
		"\x00",
		"\xff\xfe",
	}
	for _, in := range tests {
		got, err := NormalizeCountry(in)
		if err == nil {
			t.Errorf("NormalizeCountry(%q) = %q, want an error", in, got)
			continue
		}
		if got != "" {
			t.Errorf("NormalizeCountry(%q) returned %q along with its error", in, got)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("NormalizeCountry(%q) error %q does not name the value", in, err)
		}
		if !strings.Contains(err.Error(), "ISO code") {
			t.Errorf("NormalizeCountry(%q) error %q does not say what is accepted", in, err)
		}
	}
	_, err := NormalizeCountry("Atlantis")
	want := `unknown country "Atlantis": use an ISO code (DE, DEU) or an English name`
	if err == nil || err.Error() != want {
		t.Errorf("NormalizeCountry(Atlantis) error = %v, want %q", err, want)
	}
}

// TestCountryTableRoundTrip checks every ISO entry: its alpha-2 (any case), its
// alpha-3 and its name all come back as the alpha-2 code, so the import
// accepts whatever the canonical export wrote.
func TestCountryTableRoundTrip(t *testing.T) {
	// ISO 3166-1 had 249 entries in iso-codes 4.15.0.
	if len(countryNames) != 249 || len(alpha3ToAlpha2) != 249 {
		t.Errorf("table has %d names and %d alpha-3 codes, want 249 each", len(countryNames), len(alpha3ToAlpha2))
	}
	for code, name := range countryNames {
		for _, in := range []string{code, strings.ToLower(code), name, strings.ToUpper(name)} {
			if got, err := NormalizeCountry(in); err != nil || got != code {
				t.Errorf("NormalizeCountry(%q) = %q, %v; want %q", in, got, err, code)
			}
		}
		if CountryName(code) != name {
			t.Errorf("CountryName(%q) = %q, want %q", code, CountryName(code), name)
		}
	}
	for a3, code := range alpha3ToAlpha2 {
		if got, err := NormalizeCountry(a3); err != nil || got != code {
			t.Errorf("NormalizeCountry(%q) = %q, %v; want %q", a3, got, err, code)
		}
		if CountryName(code) == "" {
			t.Errorf("alpha-3 %s maps to %s, which has no name", a3, code)
		}
	}
	for key, code := range isoNameIndex {
		if got, err := NormalizeCountry(key); err != nil || got != code {
			t.Errorf("NormalizeCountry(%q) = %q, %v; want %q", key, got, err, code)
		}
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct{ code, want string }{
		{"DE", "Germany"},
		{"GR", "Greece"},
		{"GB", "United Kingdom"},
		{"US", "United States"},
		{"KR", "Korea, Republic of"},
		{"XK", "Kosovo"},
		{"EL", ""}, // a reserved alias, never a stored code
		{"UK", ""},
		{"de", ""}, // codes are upper case
		{"DEU", ""},
		{"", ""},
		{"ZZ", ""},
	}
	for _, tc := range tests {
		if got := CountryName(tc.code); got != tc.want {
			t.Errorf("CountryName(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

// TestCountryTablesConsistent guards the data: the generated keys must be in
// the form foldCountry produces (else they could never match), every alias
// must point at a known code, no name may be claimed by two countries, and
// no alias may look like an ISO code of another country (codes are looked up
// first and would silently win).
func TestCountryTablesConsistent(t *testing.T) {
	for key := range isoNameIndex {
		if f := foldCountry(key); f != key {
			t.Errorf("isoNameIndex key %q is not folded (fold gives %q): regenerate country_table.go", key, f)
		}
	}
	seen := map[string]string{}
	for code, names := range countryAliases {
		if CountryName(code) == "" {
			t.Errorf("countryAliases has unknown code %q", code)
		}
		for _, name := range names {
			key := foldCountry(name)
			if key == "" {
				t.Errorf("alias %q of %s folds to nothing", name, code)
				continue
			}
			if other, ok := seen[key]; ok && other != code {
				t.Errorf("alias %q is claimed by %s and %s", name, other, code)
			}
			seen[key] = code
			if iso, ok := isoNameIndex[key]; ok {
				if iso != code {
					t.Errorf("alias %q of %s is ISO's name for %s", name, code, iso)
				} else {
					t.Errorf("alias %q of %s repeats an ISO name; drop it", name, code)
				}
			}
			if got, err := NormalizeCountry(name); err != nil || got != code {
				t.Errorf("NormalizeCountry(%q) = %q, %v; want %q (shadowed by a code?)", name, got, err, code)
			}
		}
	}
	for alias, code := range reservedAlpha2 {
		if _, ok := countryNames[alias]; ok {
			t.Errorf("reserved alias %s is now an assigned ISO code", alias)
		}
		if CountryName(code) == "" {
			t.Errorf("reserved alias %s points at unknown %s", alias, code)
		}
	}
	for code := range extraCountryNames {
		if _, ok := countryNames[code]; ok {
			t.Errorf("extra code %s is now in ISO 3166-1; drop it from extraCountryNames", code)
		}
	}
}

func TestParseEUStatus(t *testing.T) {
	tests := []struct {
		in      string
		want    EUStatus
		wantErr bool
	}{
		{"yes", EUYes, false},
		{"YES", EUYes, false},
		{"No", EUNo, false},
		{"unknown", EUUnknown, false},
		{" Unknown ", EUUnknown, false},
		{"", "", true},
		{"maybe", "", true},
		{"y", "", true},
		{"eu", "", true},
	}
	for _, tc := range tests {
		got, err := ParseEUStatus(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseEUStatus(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.in)) {
			t.Errorf("ParseEUStatus(%q) error %q does not name the value", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("ParseEUStatus(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, s := range []EUStatus{EUYes, EUNo, EUUnknown} {
		if got, err := ParseEUStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseEUStatus(%q) = %q, %v; want it back", s, got, err)
		}
	}
}

func TestEUStatusOf(t *testing.T) {
	tests := []struct {
		code string
		want EUStatus
	}{
		// No country recorded: unknown, which the checklist treats like EU.
		{"", EUUnknown},
		// EU member states (TEU Art. 52).
		{"DE", EUYes},
		{"FR", EUYes},
		{"GR", EUYes},
		{"IE", EUYes},
		{"CY", EUYes},
		{"HR", EUYes},
		// EEA EFTA states: the GDPR applies there through the EEA Agreement,
		// Annex XI (EEA Joint Committee Decision No 154/2018).
		{"IS", EUYes},
		{"LI", EUYes},
		{"NO", EUYes},
		// Parts of member states with their own ISO code (TFEU Art. 349,
		// 355(1) and 355(4)).
		{"AX", EUYes},
		{"GF", EUYes},
		{"GP", EUYes},
		{"MQ", EUYes},
		{"RE", EUYes},
		{"YT", EUYes},
		{"MF", EUYes},
		// Outside: the UK since 31 January 2020, Switzerland (bilateral
		// treaties, not the EEA), the US; Danish Faroe and Greenland and
		// Svalbard (EEA Agreement Protocol 40); overseas countries and
		// territories (TFEU Annex II).
		{"GB", EUNo},
		{"CH", EUNo},
		{"US", EUNo},
		{"GI", EUNo},
		{"FO", EUNo},
		{"GL", EUNo},
		{"SJ", EUNo},
		{"BL", EUNo},
		{"NC", EUNo},
		{"CW", EUNo},
		{"XK", EUNo},
		// Not normalized: EL is not stored (NormalizeCountry turns it into GR).
		{"EL", EUNo},
	}
	for _, tc := range tests {
		if got := EUStatusOf(tc.code); got != tc.want {
			t.Errorf("EUStatusOf(%q) = %q, want %q", tc.code, got, tc.want)
		}
		if got := IsEEA(tc.code); got != (tc.want == EUYes) {
			t.Errorf("IsEEA(%q) = %v, want %v", tc.code, got, tc.want == EUYes)
		}
	}
	// What the import stores for the EU's own spelling of Greece.
	code, err := NormalizeCountry("EL")
	if err != nil || EUStatusOf(code) != EUYes {
		t.Errorf("EL normalizes to %q (%v), status %q; want an EU country", code, err, EUStatusOf(code))
	}
}

func TestEEACodes(t *testing.T) {
	codes := EEACodes()
	if len(codes) != 27+3+7 {
		t.Errorf("EEACodes has %d codes, want 37 (27 EU + IS LI NO + 7 parts): %v", len(codes), codes)
	}
	if !slices.IsSorted(codes) {
		t.Errorf("EEACodes is not sorted: %v", codes)
	}
	if len(slices.Compact(slices.Clone(codes))) != len(codes) {
		t.Errorf("EEACodes has duplicates: %v", codes)
	}
	for _, c := range codes {
		if !IsEEA(c) {
			t.Errorf("EEACodes lists %s but IsEEA(%s) is false", c, c)
		}
		if CountryName(c) == "" {
			t.Errorf("EEACodes lists %s, which has no ISO name", c)
		}
		if got, err := NormalizeCountry(c); err != nil || got != c {
			t.Errorf("NormalizeCountry(%q) = %q, %v", c, got, err)
		}
	}
	// Every other known code is outside.
	n := 0
	for code := range countryNames {
		if IsEEA(code) {
			n++
		}
	}
	if n != len(codes) {
		t.Errorf("IsEEA accepts %d ISO codes, EEACodes lists %d", n, len(codes))
	}
	// A fresh slice: changing it must not change the list.
	codes[0] = "GB"
	if IsEEA("GB") || EEACodes()[0] != "AT" {
		t.Errorf("changing EEACodes' result changed the list")
	}
}

// TestEEAAgainstCLDR checks the list against CLDR's "EU" territory group, as
// SPEC §2 asks. testdata/cldr-territoryContainment.json is a verbatim copy of
// supplemental/territoryContainment.json from the npm package cldr-core
// 48.2.0 (CLDR 48), taken with `npm install cldr-core`; it is committed
// because CI has no npm. golang.org/x/text's region data is not used: it is
// from 2017 and still counts GB in the EU.
func TestEEAAgainstCLDR(t *testing.T) {
	raw, err := os.ReadFile("testdata/cldr-territoryContainment.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Supplemental struct {
			Version struct {
				CLDR string `json:"_cldrVersion"`
			} `json:"version"`
			TerritoryContainment map[string]struct {
				Contains []string `json:"_contains"`
			} `json:"territoryContainment"`
		} `json:"supplemental"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	eu := doc.Supplemental.TerritoryContainment["EU"].Contains
	if len(eu) != 27 {
		t.Fatalf("CLDR %s EU group has %d members, want 27: %v", doc.Supplemental.Version.CLDR, len(eu), eu)
	}
	for _, c := range eu {
		if !IsEEA(c) {
			t.Errorf("CLDR counts %s in the EU but IsEEA(%s) is false", c, c)
		}
	}
	var extra []string
	for _, c := range EEACodes() {
		if !slices.Contains(eu, c) {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	// The EEA EFTA states and the parts of member states with their own code.
	want := []string{"AX", "GF", "GP", "IS", "LI", "MF", "MQ", "NO", "RE", "YT"}
	if !slices.Equal(extra, want) {
		t.Errorf("IsEEA minus CLDR's EU = %v, want %v", extra, want)
	}
	for _, c := range []string{"GB", "CH"} {
		if IsEEA(c) {
			t.Errorf("IsEEA(%s) = true, want false", c)
		}
		if slices.Contains(eu, c) {
			t.Errorf("CLDR's EU group contains %s", c)
		}
	}
}

func FuzzNormalizeCountry(f *testing.F) {
	for _, s := range []string{
		"", " ", "DE", "deu", "Germany", "the Netherlands", "U.S.A.", "EL",
		"Österreich", "ΚΥΠΡΟΣ", "Côte d’Ivoire", "Trinidad & Tobago",
		"Atlantis", "the", "-", "\xff", "İ", "ǅ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeCountry(s)
		if err != nil {
			if got != "" {
				t.Errorf("NormalizeCountry(%q) = %q with error %v", s, got, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Errorf("NormalizeCountry(%q) error %q does not name the value", s, err)
			}
			return
		}
		if got == "" {
			if strings.TrimSpace(s) != "" {
				t.Errorf("NormalizeCountry(%q) = \"\" without error for non-blank input", s)
			}
			return
		}
		if len(got) != 2 || got[0] < 'A' || got[0] > 'Z' || got[1] < 'A' || got[1] > 'Z' {
			t.Errorf("NormalizeCountry(%q) = %q, not a 2-letter upper-case code", s, got)
		}
		if CountryName(got) == "" {
			t.Errorf("NormalizeCountry(%q) = %q, which has no name", s, got)
		}
		// A stored code is accepted again unchanged (Contact validation relies on it).
		if again, err := NormalizeCountry(got); err != nil || again != got {
			t.Errorf("NormalizeCountry(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}

// TestCountryLettersTakeTheShortWay: a value of ASCII letters only is
// looked up lower-cased, without foldCountry; that gives what folding gives,
// for every code and name the tables know, in any case, and for letters
// that name no country.
func TestCountryLettersTakeTheShortWay(t *testing.T) {
	var values []string
	for code, name := range countryNames {
		values = append(values, code, strings.ToLower(code), name)
	}
	for code := range alpha3ToAlpha2 {
		values = append(values, code)
	}
	for name := range isoNameIndex {
		values = append(values, name, strings.ToUpper(name))
	}
	for alias := range aliasIndex {
		values = append(values, alias)
	}
	values = append(values, "Deutschland", "XX", "uk", "EL", "Xk", "thegambia")
	short := 0
	for _, v := range values {
		if !isASCIIAlpha(v) {
			continue
		}
		short++
		fast, okFast := lookupCountry(strings.ToLower(v))
		slow, okSlow := lookupCountry(foldCountry(v))
		if fast != slow || okFast != okSlow {
			t.Errorf("%q: %q, %v lower-cased; %q, %v folded", v, fast, okFast, slow, okSlow)
		}
	}
	if short < 400 {
		t.Errorf("only %d values took the short way", short)
	}
	if isASCIIAlpha("Guinea-Bissau") || isASCIIAlpha("the gambia") || isASCIIAlpha("") || isASCIIAlpha("Côte") || !isASCIIAlpha("DE") {
		t.Error("isASCIIAlpha is wrong")
	}
}
