package gdpr

import "strings"

// adequacy is the table of the countries and territories with an
// adequacy decision of the European Commission (Art. 45(3)), as listed on
// the Commission's page "Adequacy decisions"
// (commission.europa.eu, data protection, international dimension) as of
// 2026. Some decisions cover only part of the country's organisations; the
// condition is named. Left out: the European Patent Organisation (not a
// country); Brazil, whose decision was still in its adoption procedure
// when the table was written — add it when the Commission's page lists it
// as adopted.
var adequacy = map[string]string{
	"AD": "Andorra",
	"AR": "Argentina",
	"CA": "Canada (commercial organisations subject to PIPEDA only)",
	"CH": "Switzerland",
	"FO": "Faroe Islands",
	"GB": "United Kingdom",
	"GG": "Guernsey",
	"IL": "Israel",
	"IM": "Isle of Man",
	"JE": "Jersey",
	"JP": "Japan (private sector)",
	"KR": "Republic of Korea",
	"NZ": "New Zealand",
	"US": "EU-US Data Privacy Framework (certified organisations only)",
	"UY": "Uruguay",
}

// AdequacyTableDate is when the adequacy table was last checked against
// the Commission's list.
const AdequacyTableDate = "2026"

// HasAdequacyDecision reports whether the Commission has decided that the
// country (ISO alpha-2) ensures an adequate level of protection (Art. 45),
// so a transfer there needs no further safeguard. For the United States
// and Canada the decision covers only some recipients (AdequacyScope
// names which); the operator vouches for that when recording it.
func HasAdequacyDecision(cc string) bool {
	_, ok := adequacy[strings.ToUpper(strings.TrimSpace(cc))]
	return ok
}

// AdequacyScope names the decision for the country, with its condition
// ("EU-US Data Privacy Framework (certified organisations only)"), or ""
// when there is none.
func AdequacyScope(cc string) string { return adequacy[strings.ToUpper(strings.TrimSpace(cc))] }
