package gdpr

import (
	"slices"
	"strings"
)

// KnownValues are the values of the query language that live in the store
// rather than in the law: the source labels of the source rules, the
// purposes of the register, tags. Completion offers them.
type KnownValues struct {
	Sources, Purposes, Tags []string
}

// Completion is what tab offers at the end of a filter line: Part is the
// word being completed (a field name, or a value after field: or |), Stem
// the line before it, and Options what may replace Part, in order.
type Completion struct {
	Stem, Part string
	Options    []string
	field      bool // Part is a field name
}

// QueryCompletions returns the completion of the last word of a filter
// line: a field name ("cou" → "country:"), or a value of the field it
// names ("country:d" → DE, DJ, DK, DM, DO; "basis:le" → legal_obligation,
// legitimate_interests). Country names of three letters or more complete
// to their code ("country:germ" → DE). A value after | is completed on its
// own (basis:consent|con). Inside an open quote, or after created:, there
// is nothing to offer.
func QueryCompletions(text string, known KnownValues) Completion {
	if strings.Count(text, `"`)%2 == 1 {
		return Completion{Stem: text}
	}
	start := strings.LastIndexAny(text, " \t\r\n") + 1
	tok := text[start:]
	name, value, isTerm := strings.Cut(tok, ":")
	if !isTerm {
		if tok != "" && looksLikeWord(tok) {
			return Completion{Stem: text}
		}
		c := Completion{Stem: text[:start], Part: tok, field: true}
		for _, f := range Fields() {
			if hasPrefixFold(string(f), tok) {
				c.Options = append(c.Options, string(f)+":")
			}
		}
		return c
	}
	at := start + len(name) + 1
	if i := strings.LastIndex(value, "|"); i >= 0 {
		at += i + 1
		value = value[i+1:]
	}
	c := Completion{Stem: text[:at], Part: value}
	f := Field(strings.ToLower(name))
	for _, v := range fieldValues(f, known) {
		if hasPrefixFold(v, value) {
			c.Options = append(c.Options, v)
		}
	}
	if f == FieldCountry && len(value) >= 3 {
		folded := foldCountry(value)
		for _, code := range fieldValues(FieldCountry, known) {
			if strings.HasPrefix(foldCountry(CountryName(code)), folded) && !slices.Contains(c.Options, code) {
				c.Options = append(c.Options, code)
			}
		}
	}
	return c
}

// Text is the line after tab: a single option replaces Part (a value is
// followed by a space, ready for the next term); several replace it with
// their longest common beginning; none leave the line as it is.
func (c Completion) Text() string {
	switch len(c.Options) {
	case 0:
		return c.Stem + c.Part
	case 1:
		if c.field {
			return c.Stem + c.Options[0]
		}
		return c.Stem + c.Options[0] + " "
	}
	common := c.Options[0]
	for _, o := range c.Options[1:] {
		n := 0
		for n < len(common) && n < len(o) && common[n] == o[n] {
			n++
		}
		common = common[:n]
	}
	if len(common) < len(c.Part) { // options differ from what was typed only in case
		return c.Stem + c.Part
	}
	return c.Stem + common
}

// fieldValues is every value a field takes, as the query language writes
// it: fixed sets from the law and the desk, the store's for source,
// purpose and tag. created: takes dates, which are not listed.
func fieldValues(f Field, known KnownValues) []string {
	yesNo := []string{"yes", "no"}
	switch f {
	case FieldCountry:
		codes := make([]string, 0, len(countryNames))
		for code := range countryNames {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		return codes
	case FieldEU:
		return []string{string(EUYes), string(EUNo), string(EUUnknown)}
	case FieldBasis:
		var out []string
		for _, b := range Bases() {
			out = append(out, string(b))
		}
		return append(out, string(BasisNone))
	case FieldStatus:
		var out []string
		for _, s := range ContactStatuses() {
			out = append(out, string(s))
		}
		return out
	case FieldMarketing, FieldHold:
		return yesNo
	case FieldSource:
		return normalizedSet(known.Sources, NormalizeSource)
	case FieldPurpose:
		return normalizedSet(known.Purposes, NormalizePurposeName)
	case FieldTag:
		return normalizedSet(known.Tags, NormalizeTag)
	}
	return nil
}

// normalizedSet is the values normalized, without blanks, duplicates or
// values a term cannot hold unquoted, sorted.
func normalizedSet(vs []string, norm func(string) string) []string {
	var out []string
	for _, v := range vs {
		if n := norm(v); n != "" && !strings.ContainsAny(n, " \t\r\n|\"") && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// FieldHelp is one field of the query language as help texts show it: an
// example term and what values it takes.
type FieldHelp struct {
	Field   Field
	Example string // a term, e.g. country:DE
	Values  string // what the field takes, e.g. yes|no|unknown
}

// QueryFieldHelp describes every field of the query language, in the
// order of Fields, from the same value sets tab completes, so the help
// never drifts from what the parser takes.
func QueryFieldHelp() []FieldHelp {
	var out []FieldHelp
	for _, f := range Fields() {
		ex, _, _ := strings.Cut(exampleFor(f), " ")
		h := FieldHelp{Field: f, Example: ex}
		switch f {
		case FieldCountry:
			h.Values = "a country code or English name"
		case FieldSource:
			h.Values = "a source label, e.g. of a source rule"
		case FieldPurpose:
			h.Values = "a purpose in the register"
		case FieldTag:
			h.Values = "a tag"
		case FieldCreated:
			h.Values = "<DAY, >DAY or DAY, as YYYY-MM-DD"
		default:
			vs := fieldValues(f, KnownValues{})
			if len(vs) > 4 {
				vs = []string{vs[0], "…", vs[len(vs)-1]}
			}
			h.Values = strings.Join(vs, "|")
		}
		out = append(out, h)
	}
	return out
}
