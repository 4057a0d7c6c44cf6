package gdpr

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Field is an indexed contact field of the query language (SPEC §4).
type Field string

// The indexed fields of the query language.
const (
	FieldCountry Field = "country"
	FieldEU      Field = "eu"
	FieldBasis   Field = "basis"
	FieldStatus  Field = "status"
	FieldSource  Field = "source"
	FieldTag     Field = "tag"
	FieldCreated Field = "created"
	// FieldMarketing is marketing:yes|no, eligibility for electronic direct
	// marketing (SPEC §9). It depends on the settings (the soft opt-in), so
	// Resolve turns it into a FieldMarketingClass term before a store plans
	// the query.
	FieldMarketing Field = "marketing"
	FieldPurpose   Field = "purpose" // purpose:NAME, holds a standing consent for it
	FieldHold      Field = "hold"    // hold:yes|no, under a legal hold
	// FieldMarketingClass is the indexed form of marketing: (a
	// MarketingClass); it is not part of the language people type.
	FieldMarketingClass Field = "marketing-class"
)

// Fields returns the query fields in the order help texts list them.
func Fields() []Field {
	return []Field{FieldCountry, FieldEU, FieldBasis, FieldStatus, FieldMarketing, FieldPurpose, FieldHold, FieldSource, FieldTag, FieldCreated}
}

// Resolve returns the query with its marketing: terms written as the
// marketing classes they select under the settings (MarketableClasses), so
// that a store answers marketing:yes from an index of classes and the
// dashboard, the list and the marketing export agree.
func (q Query) Resolve(s Settings) Query {
	out := Query{Words: q.Words, Terms: make([]Term, 0, len(q.Terms))}
	yes := MarketableClasses(s)
	for _, t := range q.Terms {
		if t.Field != FieldMarketing {
			out.Terms = append(out.Terms, t)
			continue
		}
		var classes []string
		for _, cl := range MarketingClasses() {
			in := false
			for _, y := range yes {
				in = in || y == cl
			}
			for _, v := range t.Values {
				if (v == "yes") == in {
					classes = append(classes, string(cl))
					break
				}
			}
		}
		out.Terms = append(out.Terms, Term{Field: FieldMarketingClass, Values: classes})
	}
	return out
}

// Term is one field:value term. Values holds one or more normalized values
// (alternatives written a|b); the term holds when any of them does. For
// created, Op is '<', '>' or '=' and Date the day compared with.
type Term struct {
	Field  Field
	Values []string
	Op     byte
	Date   time.Time
}

// Query is a parsed filter: every term and every word must hold.
type Query struct {
	Terms []Term
	Words []string // lower-cased substrings of name, email or company, compared folded (FoldText)
}

// QueryError is a query that cannot be parsed; it names the bad term.
type QueryError struct {
	Term   string // the term as written
	Reason string
}

func (e *QueryError) Error() string { return fmt.Sprintf("query term %q: %s", e.Term, e.Reason) }

// MaxQueryLen bounds a query so a pasted file cannot stall the filter bar.
const MaxQueryLen = 1000

// ParseQuery parses the query language of SPEC §4: space-separated terms,
// all of which must hold. field:value terms use the indexed fields; a value
// may list alternatives as a|b. Other words match name, email and company
// case-insensitively as substrings; "double quotes" keep spaces in a word.
func ParseQuery(s string) (Query, error) {
	var q Query
	if !utf8.ValidString(s) {
		return q, &QueryError{Term: strings.ToValidUTF8(s, "\uFFFD"), Reason: "not valid UTF-8 text"}
	}
	if len(s) > MaxQueryLen {
		return q, tooLong(s)
	}
	toks, err := tokenize(s)
	if err != nil {
		return q, err
	}
	for _, tok := range toks {
		if tok.quoted {
			if w := strings.ToLower(tok.text); w != "" {
				q.Words = append(q.Words, w)
			}
			continue
		}
		name, value, isTerm := strings.Cut(tok.text, ":")
		if !isTerm || looksLikeWord(name) || strings.HasPrefix(value, "//") {
			q.Words = append(q.Words, strings.ToLower(tok.text))
			continue
		}
		term, err := parseTerm(tok.text, strings.ToLower(name), value)
		if err != nil {
			return Query{}, err
		}
		q.Terms = append(q.Terms, term)
	}
	// Quoting and lower-casing can make the canonical form longer than what
	// was typed; it must stay within the limit so that String parses back.
	if len(q.String()) > MaxQueryLen {
		return Query{}, tooLong(s)
	}
	return q, nil
}

// tooLong is the error for an over-long query; it quotes the start of the
// query, cut on a character boundary.
func tooLong(s string) *QueryError {
	head := s
	if len(head) > 20 {
		head = strings.ToValidUTF8(head[:20], "") + "…"
	}
	return &QueryError{Term: head, Reason: fmt.Sprintf("query is too long (at most %d bytes)", MaxQueryLen)}
}

// looksLikeWord keeps bare words that merely contain a colon (a time, a
// path) from being read as unknown fields: a field name is letters only. A
// URL ("http://…") is caught by its "//" in ParseQuery.
func looksLikeWord(name string) bool {
	if name == "" {
		return true
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return true
		}
	}
	return false
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	var b strings.Builder
	// quoted: the token starts with a quote, so it is a word even if it
	// holds a colon; a quote after field: keeps spaces in a term's value
	// (source:"trade fair").
	inQuote, quoted, sawQuote := false, false, false
	flush := func() {
		if b.Len() > 0 || sawQuote {
			toks = append(toks, token{text: b.String(), quoted: quoted})
		}
		b.Reset()
		quoted, sawQuote = false, false
	}
	for _, r := range s {
		switch {
		case r == '"':
			if !sawQuote && b.Len() == 0 {
				quoted = true
			}
			inQuote = !inQuote
			sawQuote = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			flush()
		default:
			b.WriteRune(r)
		}
	}
	if inQuote {
		return nil, &QueryError{Term: s, Reason: "a double quote is not closed"}
	}
	flush()
	return toks, nil
}

func parseTerm(raw, name, value string) (Term, error) {
	t := Term{Field: Field(name)}
	bad := func(format string, args ...any) (Term, error) {
		return Term{}, &QueryError{Term: raw, Reason: fmt.Sprintf(format, args...)}
	}
	known := false
	for _, f := range Fields() {
		if f == t.Field {
			known = true
		}
	}
	if !known {
		names := make([]string, 0, len(Fields()))
		for _, f := range Fields() {
			names = append(names, string(f))
		}
		return bad("unknown field %q: use %s, or a bare word to search names, emails and companies", name, strings.Join(names, ", "))
	}
	if value == "" {
		return bad("%s needs a value, e.g. %s", name, exampleFor(t.Field))
	}
	if t.Field == FieldCreated {
		op, rest := byte('='), value
		switch value[0] {
		case '<', '>', '=':
			op, rest = value[0], value[1:]
		}
		d, err := time.Parse(time.DateOnly, rest)
		if err != nil {
			return bad("created needs a date as YYYY-MM-DD, e.g. created:<2024-01-01")
		}
		t.Op, t.Date = op, d
		return t, nil
	}
	for _, alt := range strings.Split(value, "|") {
		v, err := normalizeValue(t.Field, alt)
		if err != nil {
			return bad("%v", err)
		}
		t.Values = append(t.Values, v)
	}
	return t, nil
}

func exampleFor(f Field) string {
	switch f {
	case FieldCountry:
		return "country:DE"
	case FieldEU:
		return "eu:yes"
	case FieldBasis:
		return "basis:consent or basis:none"
	case FieldStatus:
		return "status:restricted"
	case FieldSource:
		return "source:webinar"
	case FieldTag:
		return "tag:vip"
	case FieldMarketing:
		return "marketing:yes"
	case FieldPurpose:
		return "purpose:newsletter"
	case FieldHold:
		return "hold:yes"
	}
	return "created:<2024-01-01"
}

func normalizeValue(f Field, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("empty value: e.g. %s", exampleFor(f))
	}
	switch f {
	case FieldCountry:
		code, err := NormalizeCountry(v)
		if err != nil {
			return "", err
		}
		return code, nil
	case FieldEU:
		s, err := ParseEUStatus(v)
		return string(s), err
	case FieldBasis:
		if strings.EqualFold(v, string(BasisNone)) {
			return string(BasisNone), nil
		}
		b, err := ParseBasis(v)
		if err != nil {
			return "", fmt.Errorf("unknown lawful basis %q: use %s or none", v, basisList())
		}
		return string(b), nil
	case FieldStatus:
		s, err := ParseContactStatus(v)
		return string(s), err
	case FieldSource:
		return NormalizeSource(v), nil
	case FieldTag:
		return NormalizeTag(v), nil
	case FieldMarketing, FieldHold:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "yes", "y", "true":
			return "yes", nil
		case "no", "n", "false":
			return "no", nil
		}
		return "", fmt.Errorf("%s takes yes or no, not %q", f, v)
	case FieldPurpose:
		return NormalizePurposeName(v), nil
	}
	return "", fmt.Errorf("unknown field %q", f)
}

// Empty reports whether the query selects every contact.
func (q Query) Empty() bool { return len(q.Terms) == 0 && len(q.Words) == 0 }

// String writes the query back in canonical form.
func (q Query) String() string {
	var parts []string
	for _, t := range q.Terms {
		if t.Field == FieldCreated {
			op := string(t.Op)
			if t.Op == '=' {
				op = ""
			}
			parts = append(parts, "created:"+op+t.Date.Format(time.DateOnly))
			continue
		}
		value := strings.Join(t.Values, "|")
		if strings.ContainsAny(value, " \t\r\n") {
			value = `"` + value + `"`
		}
		parts = append(parts, string(t.Field)+":"+value)
	}
	for _, w := range q.Words {
		if strings.ContainsAny(w, " \t\r\n:") {
			w = `"` + w + `"`
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " ")
}

// MatchesTerm reports whether the contact satisfies one term. Only fields
// that are not personal data are read, so the store can check terms without
// unsealing the contact.
func (t Term) MatchesTerm(c *Contact) bool {
	if t.Field == FieldCreated {
		day := Day(c.CreatedAt)
		switch t.Op {
		case '<':
			return day.Before(t.Date)
		case '>':
			return day.After(t.Date)
		default:
			return day.Equal(t.Date)
		}
	}
	for _, v := range t.Values {
		if matchValue(t.Field, v, c) {
			return true
		}
	}
	return false
}

func matchValue(f Field, v string, c *Contact) bool {
	switch f {
	case FieldCountry:
		return c.Country == v
	case FieldEU:
		return string(c.EU()) == v
	case FieldBasis:
		if v == string(BasisNone) {
			return len(c.Bases) == 0
		}
		return c.HasBasis(Basis(v))
	case FieldStatus:
		return string(c.Status) == v
	case FieldSource:
		return NormalizeSource(c.Source) == v
	case FieldTag:
		return c.HasTag(v)
	case FieldMarketing:
		// Unresolved (no settings at hand): the soft opt-in is off, the
		// safe side.
		return c.Marketable(Settings{}) == (v == "yes")
	case FieldMarketingClass:
		return string(c.MarketingClass()) == v
	case FieldPurpose:
		for _, p := range c.ConsentPurposes() {
			if p == v {
				return true
			}
		}
		return false
	case FieldHold:
		return (c.Hold != nil) == (v == "yes")
	}
	return false
}

// MatchesTerms reports whether every field term holds.
func (q Query) MatchesTerms(c *Contact) bool {
	for _, t := range q.Terms {
		if !t.MatchesTerm(c) {
			return false
		}
	}
	return true
}

// MatchesWords reports whether every bare word occurs in the name, email or
// company, ignoring case and accents. haystack is SearchText of the
// contact.
func (q Query) MatchesWords(haystack string) bool {
	for _, w := range q.Words {
		if !strings.Contains(haystack, FoldText(w)) {
			return false
		}
	}
	return true
}

// FoldedWords are the bare words as the search text holds them (FoldText).
func (q Query) FoldedWords() []string {
	out := make([]string, len(q.Words))
	for i, w := range q.Words {
		out[i] = FoldText(w)
	}
	return out
}

// Matches reports whether the contact satisfies the whole query.
func (q Query) Matches(c *Contact) bool {
	return q.MatchesTerms(c) && (len(q.Words) == 0 || q.MatchesWords(SearchText(c)))
}

// SearchText is what bare words are matched against: first and last name,
// email and company, folded (FoldText: lower case, no accents), separated
// so a word cannot span two fields.
func SearchText(c *Contact) string {
	return FoldText(c.FirstName + " " + c.LastName + "\x00" + c.Email + "\x00" + c.Company)
}
