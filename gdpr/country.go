package gdpr

import (
	"fmt"
	"slices"
	"strings"
)

// EUStatus says whether a contact's country is inside the EU/EEA.
//
// It drives the checklist's "EU contacts" measures: the GDPR applies to the
// personal data of people in the Union (Art. 3) and, through the EEA
// Agreement (Annex XI, as amended by EEA Joint Committee Decision
// No 154/2018), in Iceland, Liechtenstein and Norway too.
type EUStatus string

// The three EU/EEA states of a contact.
const (
	// EUYes: the contact's country is in the EU/EEA (IsEEA).
	EUYes EUStatus = "yes"
	// EUNo: a country is recorded and it is outside the EU/EEA.
	EUNo EUStatus = "no"
	// EUUnknown: no country recorded; the checklist treats it like EU (safe
	// side), because a missing country must not quietly exempt anyone from
	// the GDPR.
	EUUnknown EUStatus = "unknown"
)

// ParseEUStatus parses "yes", "no" or "unknown" case-insensitively (surrounding
// space ignored) and returns an error naming the value for anything else.
func ParseEUStatus(s string) (EUStatus, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes":
		return EUYes, nil
	case "no":
		return EUNo, nil
	case "unknown":
		return EUUnknown, nil
	}
	return "", fmt.Errorf("unknown EU status %q: use yes, no or unknown", s)
}

// eeaList is the EU/EEA as SPEC §2 defines it, sorted so that EEACodes can
// copy it and IsEEA can binary-search it. It is never written.
//
//   - The 27 EU member states (TEU Art. 52). Greece is GR, its ISO code; EL is
//     only the EU's own (VAT, Eurostat) prefix and is mapped to GR by
//     NormalizeCountry, never stored.
//   - IS, LI, NO: the rest of the EEA; the GDPR applies there through the EEA
//     Agreement (Annex XI, EEA Joint Committee Decision No 154/2018).
//   - Parts of member states that ISO codes separately but where EU law, and
//     so the GDPR, applies: AX (Åland, TFEU Art. 355(4)) and the French
//     outermost regions GF, GP, MQ, RE, YT, MF (TFEU Art. 349 and 355(1)).
//
// Deliberately absent: GB (left the EU on 31 January 2020), CH (neither EU
// nor EEA), GI (left with the UK), FO and GL (Danish, outside the EU: TFEU
// Art. 355(5)(a) and Annex II), SJ (Norwegian, but the EEA Agreement does
// not apply to Svalbard: its Protocol 40), BL, PM, NC, PF, WF, TF, AW, CW,
// SX, BQ (overseas countries and territories, TFEU Annex II).
var eeaList = [...]string{
	"AT", "AX", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR",
	"GF", "GP", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV",
	"MF", "MQ", "MT", "NL", "NO", "PL", "PT", "RE", "RO", "SE", "SI", "SK",
	"YT",
}

// IsEEA reports whether an alpha-2 code is in the EU/EEA as SPEC §2 defines
// it: the 27 EU member states (GR, not EL), IS LI NO, and AX GF GP MQ RE YT
// MF. It expects the upper-case code NormalizeCountry returns; anything else,
// including "EL" and lower case, is not in the list.
func IsEEA(code string) bool {
	_, found := slices.BinarySearch(eeaList[:], code)
	return found
}

// EUStatusOf returns EUUnknown for "" (no country recorded), EUYes for a code
// IsEEA accepts, else EUNo.
func EUStatusOf(code string) EUStatus {
	switch {
	case code == "":
		return EUUnknown
	case IsEEA(code):
		return EUYes
	default:
		return EUNo
	}
}

// EEACodes returns the sorted list of codes IsEEA accepts. The slice is fresh
// on every call, so a caller may change it without affecting IsEEA.
func EEACodes() []string {
	return slices.Clone(eeaList[:])
}

// CountryName returns the English short name for an alpha-2 code ("" if
// unknown): the ISO 3166-1 name from country_table.go (e.g. "Korea,
// Republic of"), or Kosovo's name for the user-assigned code XK.
func CountryName(code string) string {
	if name, ok := countryNames[code]; ok {
		return name
	}
	return extraCountryNames[code]
}

// NormalizeCountry maps an ISO 3166-1 alpha-2 or alpha-3 code, an ISO English
// short name, a common English alternative (United States / USA / United
// States of America / US; United Kingdom / UK / Great Britain / England...;
// Czechia / Czech Republic; Russia; South Korea; Vietnam; Iran; Bolivia;
// Venezuela; Tanzania; Syria; Laos; Moldova; Netherlands / Holland / The
// Netherlands; etc.), "EL" for Greece (EU usage), and the EU/EEA states' own
// names in their own languages (Deutschland, España, Polska, Österreich,
// Sverige, Suomi, Danmark, Norge, Ísland, Italia, Nederland,
// België/Belgique/Belgien, Česko, Magyarország, Hellas/Ελλάδα, Éire, Hrvatska,
// Slovensko, Slovenija, Lietuva, Latvija, Eesti, România, България/Bulgaria,
// Κύπρος, Malta, Luxembourg/Lëtzebuerg, Portugal, France, Liechtenstein,
// Schweiz/Suisse too, ...) to the upper-case alpha-2 code.
//
// Matching is case-insensitive and ignores surrounding space and a leading
// "the"; inside a name, runs of space, hyphens, commas, parentheses and dots
// count as one space (or nothing), and "&" as "and", so "Guinea Bissau",
// "U.S.A." and "Trinidad & Tobago" are found. Native names are listed with
// and without their diacritics ("Österreich", "Osterreich").
//
// Empty (or all-space) input returns "", nil: the contact's EU status is then
// unknown. Anything else returns an error whose message names the value and
// says what is accepted. A code it returns is always accepted again unchanged,
// so normalizing twice is harmless.
func NormalizeCountry(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	var key string
	if isASCIIAlpha(s) {
		key = strings.ToLower(s) // what foldCountry gives such a value, for less
	} else {
		key = foldCountry(s)
	}
	if code, ok := lookupCountry(key); ok {
		return code, nil
	}
	return "", fmt.Errorf("unknown country %q: use an ISO code (DE, DEU) or an English name", s)
}

// lookupCountry finds a folded key among codes first and names second, so a
// real ISO code can never be shadowed by a name (the tests check that no
// hand-made alias looks like a code of another country).
func lookupCountry(key string) (string, bool) {
	if isASCIIAlpha(key) { // key is folded: lower case
		up := strings.ToUpper(key)
		switch len(up) {
		case 2:
			if _, ok := countryNames[up]; ok {
				return up, true
			}
			if _, ok := extraCountryNames[up]; ok {
				return up, true
			}
			if code, ok := reservedAlpha2[up]; ok {
				return code, true
			}
		case 3:
			if code, ok := alpha3ToAlpha2[up]; ok {
				return code, true
			}
		}
	}
	if code, ok := isoNameIndex[key]; ok {
		return code, true
	}
	code, ok := aliasIndex[key]
	return code, ok
}

// isASCIIAlpha reports whether s is ASCII letters of either case only, as
// most country values are ("DE", "Germany").
func isASCIIAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// countryPunct turns the punctuation that varies between spellings of one
// name into spaces (or nothing), so that "Guinea-Bissau", "Guinea Bissau",
// "Korea, Republic of", "U.S.A." and "Côte d’Ivoire" (typographic
// apostrophe) all fold to the form the tables hold. Final sigma becomes σ
// because strings.ToLower turns an upper-case "ΚΥΠΡΟΣ" into "κυπροσ", never
// "κυπρος". A Replacer is safe for concurrent use and never changes.
var countryPunct = strings.NewReplacer(
	".", "", ",", " ", "(", " ", ")", " ", "-", " ", "&", " and ",
	"’", "'", "ʼ", "'", "`", "'", "ς", "σ",
)

// foldCountry is the one normalization both the generated isoNameIndex keys
// (country_table.go) and the lookups go through: lower case, punctuation as
// above, runs of white space as one space, no surrounding space and no
// leading "the". The generator carries a copy of it; the tests check that
// every stored key is already folded, so the two cannot drift apart unseen.
func foldCountry(s string) string {
	f := strings.Fields(countryPunct.Replace(strings.ToLower(s)))
	if len(f) > 1 && f[0] == "the" {
		f = f[1:]
	}
	return strings.Join(f, " ")
}

// reservedAlpha2 holds the two codes ISO 3166 "exceptionally reserves" for
// the EU's own usage and that real address data contains: UK for the United
// Kingdom and EL for Greece (the EU's VAT and Eurostat prefix). They are read
// but never returned; the stored code is the ISO one.
var reservedAlpha2 = map[string]string{
	"UK": "GB",
	"EL": "GR",
}

// extraCountryNames holds codes outside ISO 3166-1 that are accepted anyway.
// XK (Kosovo) is a user-assigned code, but the EU, CLDR and the CRM exports
// this app imports all use it; without it a Kosovo contact would be a
// rejected row.
var extraCountryNames = map[string]string{
	"XK": "Kosovo",
}

// countryAliases lists, by hand, the names ISO's English list does not
// contain: common English alternatives and the EU/EEA states' (and
// Switzerland's) names in their own languages, each with and without
// diacritics. They are written as people write them; aliasIndex folds them
// once. ISO names, common names and official names are already in
// isoNameIndex and need not be repeated.
var countryAliases = map[string][]string{
	// EU member states, own names (TEU Art. 52 lists them in their languages).
	"AT": {"Österreich", "Osterreich", "Oesterreich"},
	"BE": {"België", "Belgie", "Belgique", "Belgien"},
	"BG": {"България", "Bulgariya", "Balgariya"},
	"CY": {"Κύπρος", "Κυπρος", "Kypros", "Kıbrıs", "Kibris"},
	"CZ": {"Česko", "Cesko", "Česká republika", "Ceska republika"},
	"DE": {"Deutschland", "Bundesrepublik Deutschland"},
	"DK": {"Danmark"},
	"EE": {"Eesti"},
	"ES": {"España", "Espana", "Espanya", "Espainia", "Reino de España", "Reino de Espana"},
	"FI": {"Suomi"},
	"FR": {"République française", "Republique francaise"},
	"GR": {"Ελλάδα", "Ελλαδα", "Ελλάς", "Ελλας", "Hellas", "Ellada", "Elláda"},
	"HR": {"Hrvatska"},
	"HU": {"Magyarország", "Magyarorszag"},
	"IE": {"Éire", "Eire"},
	"IT": {"Italia"},
	"LT": {"Lietuva"},
	"LU": {"Lëtzebuerg", "Letzebuerg", "Luxemburg"},
	"LV": {"Latvija"},
	"NL": {"Nederland", "Holland"},
	"PL": {"Polska"},
	"RO": {"România"},
	"SE": {"Sverige"},
	"SI": {"Slovenija"},
	"SK": {"Slovensko", "Slovenská republika", "Slovenska republika"},

	// The rest of the EEA, and Switzerland (not EU/EEA, but its names are
	// common in European data and must resolve to CH, not be rejected).
	"IS": {"Ísland", "Island"},
	"NO": {"Norge", "Noreg"},
	"CH": {"Schweiz", "Suisse", "Svizzera", "Svizra", "Confoederatio Helvetica"},

	// Parts of member states with their own ISO code, in French / Swedish /
	// Finnish.
	"AX": {"Åland", "Aland", "Ahvenanmaa"},
	"GF": {"Guyane", "Guyane française", "Guyane francaise"},
	"RE": {"La Réunion", "La Reunion"},
	"MF": {"Saint-Martin", "Saint Martin", "St Martin"},

	// Common English alternatives.
	"AE": {"UAE", "Emirates"},
	"BA": {"Bosnia"},
	"BL": {"St Barts", "Saint Barts", "St Barths"},
	"BN": {"Brunei"},
	"BQ": {"Bonaire", "Caribbean Netherlands"},
	"CC": {"Cocos Islands", "Keeling Islands"},
	"CD": {"Democratic Republic of the Congo", "DR Congo", "DRC", "Congo-Kinshasa"},
	"CG": {"Congo-Brazzaville", "Congo Republic"},
	"CI": {"Ivory Coast"},
	"CV": {"Cape Verde"},
	"FK": {"Falkland Islands", "Falklands", "Malvinas"},
	"FM": {"Micronesia"},
	"GB": {
		"Great Britain", "Britain", "England", "Scotland", "Wales",
		"Northern Ireland",
	},
	"GS": {"South Georgia"},
	"KR": {"Republic of Korea", "Korea South"},
	"KP": {"Korea North"},
	"LA": {"Lao PDR"},
	"MK": {"Macedonia"},
	"MM": {"Burma"},
	"MO": {"Macau"},
	"PN": {"Pitcairn Islands"},
	"PS": {"Palestine"},
	"RU": {"Russia"},
	"SH": {"Saint Helena", "St Helena"},
	"SX": {"Sint Maarten"},
	"SZ": {"Swaziland"},
	"TL": {"East Timor"},
	"TR": {"Turkey"},
	"UM": {"US Minor Outlying Islands"},
	"VA": {"Vatican", "Vatican City", "Holy See", "Vatican City State"},
	"VG": {"BVI"},
	"VI": {"US Virgin Islands"},
	"XK": {"Kosovo"},
}

// aliasIndex is countryAliases folded into one lookup map. It is built once
// during package initialization and never written afterwards.
var aliasIndex = buildAliasIndex()

func buildAliasIndex() map[string]string {
	n := 0
	for _, names := range countryAliases {
		n += len(names)
	}
	m := make(map[string]string, n)
	for code, names := range countryAliases {
		for _, name := range names {
			m[foldCountry(name)] = code
		}
	}
	return m
}
