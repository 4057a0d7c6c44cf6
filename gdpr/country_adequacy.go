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
var adequacy = map[string]string{ // ISO alpha-2 → the decision's condition, "" for none
	"AD": "", // Andorra
	"AR": "", // Argentina
	"CA": "commercial organisations subject to PIPEDA only",
	"CH": "", // Switzerland
	"FO": "", // Faroe Islands
	"GB": "", // United Kingdom
	"GG": "", // Guernsey
	"IL": "", // Israel
	"IM": "", // Isle of Man
	"JE": "", // Jersey
	"JP": "private-sector organisations only",
	"KR": "", // Republic of Korea
	"NZ": "", // New Zealand
	"US": "EU-US Data Privacy Framework (certified organisations only)",
	"UY": "", // Uruguay
}

// AdequacyTableDate is when the adequacy table was last checked against
// the Commission's list.
const AdequacyTableDate = "2026"

// HasAdequacyDecision reports whether the Commission has decided that the
// country (ISO alpha-2) ensures an adequate level of protection (Art. 45),
// so a transfer there needs no further safeguard. For the United States
// Canada and Japan the decision covers only some recipients
// (AdequacyCondition names which); the operator vouches for that when recording it.
func HasAdequacyDecision(cc string) bool {
	_, ok := adequacy[strings.ToUpper(strings.TrimSpace(cc))]
	return ok
}

// AdequacyCondition names the condition of the country's decision, when
// it covers only some recipients ("EU-US Data Privacy Framework (certified
// organisations only)"); "" when it covers all, or there is none.
func AdequacyCondition(cc string) string { return adequacy[strings.ToUpper(strings.TrimSpace(cc))] }
