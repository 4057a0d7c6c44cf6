package gdpr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// sampleContacts is a small customer list for the query tests: one contact
// per EU status, with and without lawful bases (Art. 6(1)).
func sampleContacts() map[string]*Contact {
	return map[string]*Contact{
		"ann": {
			ID: 1, FirstName: "Ann", LastName: "Smith", Email: "ann.smith@example.de", Company: "Acme GmbH",
			City: "Berlin", Notes: "prefers phone",
			Country: "DE", Status: ContactActive, Source: "webform:newsletter", Tags: []string{"VIP"},
			Bases:     []BasisAssignment{{Basis: BasisConsent, Source: "webform:newsletter"}},
			CreatedAt: time.Date(2023, 6, 15, 9, 0, 0, 0, time.UTC),
		},
		"bob": {
			ID: 2, FirstName: "Bob", LastName: "Jones", Email: "bob@example.com", Company: "Widgets Inc",
			Country: "US", Status: ContactRestricted, Source: " Import", Tags: []string{"newsletter"},
			CreatedAt: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC),
		},
		"cleo": {
			ID: 3, FirstName: "Cleo", Email: "cleo@shop.example",
			Country: "", Status: ContactActive, Source: "purchase",
			CreatedAt: time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC),
		},
		"dora": {
			ID: 4, Country: "FR", Status: ContactAnonymized, Source: "purchase",
			Bases: []BasisAssignment{
				{Basis: BasisContract, Source: "purchase"},
				{Basis: BasisLegitimateInterests, Source: "manual"},
			},
			CreatedAt: time.Date(2022, 11, 3, 0, 0, 0, 0, time.UTC),
		},
	}
}

// TestParseQueryFields checks each indexed field of the query language of
// SPEC §4 and the normalization of its values (countries to ISO 3166-1
// alpha-2, bases to the Art. 6(1) names).
func TestParseQueryFields(t *testing.T) {
	term := func(f Field, v ...string) Term { return Term{Field: f, Values: v} }
	created := func(op byte, d time.Time) Term { return Term{Field: FieldCreated, Op: op, Date: d} }
	tests := []struct {
		in   string
		want Query
	}{
		{"", Query{}},
		{"   \t ", Query{}},
		{"country:DE", Query{Terms: []Term{term(FieldCountry, "DE")}}},
		{"country:de", Query{Terms: []Term{term(FieldCountry, "DE")}}},
		{"country:DEU", Query{Terms: []Term{term(FieldCountry, "DE")}}},
		{"country:Germany", Query{Terms: []Term{term(FieldCountry, "DE")}}},
		{"country:EL", Query{Terms: []Term{term(FieldCountry, "GR")}}},
		{"COUNTRY:fr|Deutschland", Query{Terms: []Term{term(FieldCountry, "FR", "DE")}}},
		{"eu:yes", Query{Terms: []Term{term(FieldEU, "yes")}}},
		{"eu:No", Query{Terms: []Term{term(FieldEU, "no")}}},
		{"eu:UNKNOWN", Query{Terms: []Term{term(FieldEU, "unknown")}}},
		{"eu:yes|unknown", Query{Terms: []Term{term(FieldEU, "yes", "unknown")}}},
		{"basis:consent", Query{Terms: []Term{term(FieldBasis, "consent")}}},
		{"basis:Legitimate-Interests", Query{Terms: []Term{term(FieldBasis, "legitimate_interests")}}},
		{"basis:legal_obligation|vital_interests|public_task|contract", Query{Terms: []Term{term(FieldBasis, "legal_obligation", "vital_interests", "public_task", "contract")}}},
		{"basis:none", Query{Terms: []Term{term(FieldBasis, "none")}}},
		{"basis:NONE|consent", Query{Terms: []Term{term(FieldBasis, "none", "consent")}}},
		{"status:active", Query{Terms: []Term{term(FieldStatus, "active")}}},
		{"status:Restricted|anonymized", Query{Terms: []Term{term(FieldStatus, "restricted", "anonymized")}}},
		{"source:Webinar", Query{Terms: []Term{term(FieldSource, "webinar")}}},
		{"source:webform:newsletter", Query{Terms: []Term{term(FieldSource, "webform:newsletter")}}},
		{"tag:VIP|newsletter", Query{Terms: []Term{term(FieldTag, "vip", "newsletter")}}},
		{"created:<2024-01-01", Query{Terms: []Term{created('<', date(2024, 1, 1))}}},
		{"created:>2023-12-31", Query{Terms: []Term{created('>', date(2023, 12, 31))}}},
		{"created:=2024-02-29", Query{Terms: []Term{created('=', date(2024, 2, 29))}}},
		{"created:2024-02-29", Query{Terms: []Term{created('=', date(2024, 2, 29))}}},
		{"eu:yes basis:none", Query{Terms: []Term{term(FieldEU, "yes"), term(FieldBasis, "none")}}},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q) error: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseQuery(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

// TestParseQueryWords checks bare words (SPEC §4): lower-cased, quotes keep
// spaces, and words that merely contain a colon (a URL, a time) stay words.
func TestParseQueryWords(t *testing.T) {
	tests := []struct {
		in    string
		words []string
		terms int
	}{
		{"smith", []string{"smith"}, 0},
		{"Ann  SMITH", []string{"ann", "smith"}, 0},
		{`"Ann Smith"`, []string{"ann smith"}, 0},
		{`"Ann Smith" acme`, []string{"ann smith", "acme"}, 0},
		{`""`, nil, 0},
		{`"country:DE"`, []string{"country:de"}, 0},
		{`"foo:bar"`, []string{"foo:bar"}, 0},
		{`ab"c d"e`, []string{"abc de"}, 0},
		{"http://x", []string{"http://x"}, 0},
		{"HTTPS://Shop.example/a?b=c", []string{"https://shop.example/a?b=c"}, 0},
		{"10:30", []string{"10:30"}, 0},
		{":x", []string{":x"}, 0},
		{"jörg", []string{"jörg"}, 0},
		{"ÄRGER", []string{"ärger"}, 0},
		{"tab\tand\nnewline", []string{"tab", "and", "newline"}, 0},
		{"acme country:DE smith", []string{"acme", "smith"}, 1},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q) error: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got.Words, tt.words) || len(got.Terms) != tt.terms {
			t.Errorf("ParseQuery(%q) = words %q, %d terms; want %q, %d terms", tt.in, got.Words, len(got.Terms), tt.words, tt.terms)
		}
	}
}

// TestParseQueryErrors checks that a bad query is refused with a
// *QueryError that names the bad term (SPEC §4: "an unknown field is an
// error that names it"; SPEC §8: bad input never panics).
func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		in       string
		wantTerm string // QueryError.Term; "" to skip
		wantMsg  []string
	}{
		{"foo:bar", "foo:bar", []string{`"foo"`, "country", "bare word"}},
		{"ann FOO:bar", "FOO:bar", []string{"foo"}},
		{"countries:DE", "countries:DE", []string{"countries"}},
		{"country:Atlantis", "country:Atlantis", []string{"Atlantis"}},
		{"country:DE|Atlantis", "country:DE|Atlantis", []string{"Atlantis"}},
		{"country:", "country:", []string{"needs a value"}},
		{"country:DE|", "country:DE|", []string{"empty value"}},
		{"eu:maybe", "eu:maybe", []string{"maybe", "unknown"}},
		{"basis:friendship", "basis:friendship", []string{"friendship", "legitimate_interests", "none"}},
		{"status:deleted", "status:deleted", []string{"deleted", "restricted"}},
		{"tag:", "tag:", []string{"tag:vip"}},
		{"source:", "source:", []string{"source"}},
		{"created:2024-13-01", "created:2024-13-01", []string{"YYYY-MM-DD"}},
		{"created:<yesterday", "created:<yesterday", []string{"YYYY-MM-DD"}},
		{"created:<", "created:<", []string{"YYYY-MM-DD"}},
		{"created:", "created:", []string{"needs a value"}},
		{"created:>=2024-01-01", "created:>=2024-01-01", []string{"YYYY-MM-DD"}},
		{`"ann smith`, `"ann smith`, []string{"not closed"}},
		{`country:DE "ann`, "", []string{"not closed"}},
		{"ann\xffsmith", "", []string{"UTF-8"}},
		{strings.Repeat("a ", MaxQueryLen/2+1), "", []string{"too long", "1000"}},
		{strings.Repeat("ä", MaxQueryLen/2) + "a", "", []string{"too long"}},
		{"a" + strings.Repeat("ä", MaxQueryLen/2), "", []string{"too long"}}, // byte 20 is inside an ä
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.in)
		if err == nil {
			t.Errorf("ParseQuery(%.40q) = %v, want an error", tt.in, q)
			continue
		}
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("ParseQuery(%.40q) error %T, want *QueryError", tt.in, err)
			continue
		}
		if tt.wantTerm != "" && qe.Term != tt.wantTerm {
			t.Errorf("ParseQuery(%.40q): QueryError.Term = %q, want %q", tt.in, qe.Term, tt.wantTerm)
		}
		msg := err.Error()
		if tt.wantTerm != "" && !strings.Contains(msg, tt.wantTerm) {
			t.Errorf("ParseQuery(%.40q) error %q does not name the term %q", tt.in, msg, tt.wantTerm)
		}
		for _, w := range tt.wantMsg {
			if !strings.Contains(msg, w) {
				t.Errorf("ParseQuery(%.40q) error %q does not mention %q", tt.in, msg, w)
			}
		}
		if !utf8.ValidString(msg) || !utf8.ValidString(qe.Term) {
			t.Errorf("ParseQuery(%.40q) error is not valid UTF-8: term %q, message %q", tt.in, qe.Term, msg)
		}
		if !q.Empty() {
			t.Errorf("ParseQuery(%.40q) returned a partial query %v with its error", tt.in, q)
		}
	}

	// The limit is inclusive.
	if _, err := ParseQuery(strings.Repeat("a", MaxQueryLen)); err != nil {
		t.Errorf("a query of exactly %d bytes: %v", MaxQueryLen, err)
	}
}

// TestQueryMatches checks filtering the sample list with the query language
// of SPEC §4: every term must hold, alternatives are or-ed, bare words are
// case-insensitive substrings of name, email and company only.
func TestQueryMatches(t *testing.T) {
	contacts := sampleContacts()
	tests := []struct {
		query string
		want  []string // names of the matching sample contacts, sorted
	}{
		{"", []string{"ann", "bob", "cleo", "dora"}},
		{"country:DE", []string{"ann"}},
		{"country:germany|us", []string{"ann", "bob"}},
		{"country:GB", nil},
		{"eu:yes", []string{"ann", "dora"}},
		{"eu:no", []string{"bob"}},
		{"eu:unknown", []string{"cleo"}},
		{"eu:yes|unknown basis:none", []string{"cleo"}},
		{"basis:consent", []string{"ann"}},
		{"basis:contract|consent", []string{"ann", "dora"}},
		{"basis:legitimate_interests", []string{"dora"}},
		{"basis:none", []string{"bob", "cleo"}},
		{"basis:none|consent", []string{"ann", "bob", "cleo"}},
		{"status:active", []string{"ann", "cleo"}},
		{"status:restricted", []string{"bob"}},
		{"status:anonymized", []string{"dora"}},
		{"source:Webform:Newsletter", []string{"ann"}},
		{"source:import", []string{"bob"}},
		{"source:purchase status:active", []string{"cleo"}},
		{"tag:vip", []string{"ann"}},
		{"tag:newsletter|vip", []string{"ann", "bob"}},
		{"created:<2024-01-01", []string{"ann", "dora"}},
		{"created:>2024-01-01", []string{"cleo"}},
		{"created:2024-01-01", []string{"bob"}},
		{"created:=2024-01-01", []string{"bob"}},
		{"created:>2023-01-01 created:<2024-05-20", []string{"ann", "bob"}},
		{"smith", []string{"ann"}},
		{"SMITH", []string{"ann"}},
		{"example", []string{"ann", "bob", "cleo"}},
		{"example.com", []string{"bob"}},
		{"acme", []string{"ann"}},
		{"gmbh ann", []string{"ann"}},
		{"smith ann", []string{"ann"}},
		{`"ann smith"`, []string{"ann"}},
		{`"smith ann"`, nil},
		{`"jones bob"`, nil}, // a word cannot span the name and the email
		{"berlin", nil},      // city and notes are not searched
		{"phone", nil},
		{"country:DE smith", []string{"ann"}},
		{"country:US smith", nil},
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.query)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tt.query, err)
			continue
		}
		var got []string
		for _, name := range []string{"ann", "bob", "cleo", "dora"} {
			if q.Matches(contacts[name]) {
				got = append(got, name)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q matches %q, want %q", tt.query, got, tt.want)
		}
	}
}

// TestQueryMatchesSplit checks the two halves the store uses separately:
// MatchesTerms reads no personal data (so it works on a sealed contact, Art.
// 32), MatchesWords works on SearchText.
func TestQueryMatchesSplit(t *testing.T) {
	ann := sampleContacts()["ann"]
	sealed := *ann
	sealed.FirstName, sealed.LastName, sealed.Email, sealed.Company, sealed.Notes, sealed.City = "", "", "", "", "", ""
	tests := []struct {
		query           string
		terms, words    bool
		wantSealedTerms bool
	}{
		{"country:DE basis:consent tag:vip", true, true, true},
		{"country:DE smith", true, true, true},
		{"country:FR smith", false, true, false},
		{"country:DE jones", true, false, true},
		{"jones", true, false, true},
	}
	hay := SearchText(ann)
	for _, tt := range tests {
		q, err := ParseQuery(tt.query)
		if err != nil {
			t.Fatalf("ParseQuery(%q): %v", tt.query, err)
		}
		if got := q.MatchesTerms(ann); got != tt.terms {
			t.Errorf("%q: MatchesTerms = %v, want %v", tt.query, got, tt.terms)
		}
		if got := q.MatchesTerms(&sealed); got != tt.wantSealedTerms {
			t.Errorf("%q: MatchesTerms without personal data = %v, want %v", tt.query, got, tt.wantSealedTerms)
		}
		if got := q.MatchesWords(hay); got != tt.words {
			t.Errorf("%q: MatchesWords(%q) = %v, want %v", tt.query, hay, got, tt.words)
		}
		if got, want := q.Matches(ann), tt.terms && tt.words; got != want {
			t.Errorf("%q: Matches = %v, want %v", tt.query, got, want)
		}
	}
	if got := SearchText(ann); got != "ann smith\x00ann.smith@example.de\x00acme gmbh" {
		t.Errorf("SearchText = %q", got)
	}
}

// TestQueryString checks the canonical form of a query and that it parses
// back to the same query (SPEC §4: the filter bar shows what it applies).
func TestQueryString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"Country:germany", "country:DE"},
		{"country:deu|FRA|EL", "country:DE|FR|GR"},
		{"eu:YES|Unknown", "eu:yes|unknown"},
		{"basis:Legitimate-Interests|NONE", "basis:legitimate_interests|none"},
		{"status:Restricted", "status:restricted"},
		{"source:Webform:Newsletter tag:VIP", "source:webform:newsletter tag:vip"},
		{"created:=2024-01-01", "created:2024-01-01"},
		{"created:<2024-01-01 created:>2020-12-31", "created:<2024-01-01 created:>2020-12-31"},
		{"smith country:DE", "country:DE smith"},
		{`Ann "Smith & Co" http://x 10:30`, `ann "smith & co" "http://x" "10:30"`},
		{`"country:DE"`, `"country:de"`},
		{"\"a\tb\"", "\"a\tb\""},
		{"\"line\nbreak\"", "\"line\nbreak\""},
		{"\"carriage\rreturn\"", "\"carriage\rreturn\""},
	}
	for _, tt := range tests {
		q, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tt.in, err)
			continue
		}
		s := q.String()
		if s != tt.want {
			t.Errorf("ParseQuery(%q).String() = %q, want %q", tt.in, s, tt.want)
		}
		back, err := ParseQuery(s)
		if err != nil {
			t.Errorf("ParseQuery(%q) (the String of %q): %v", s, tt.in, err)
			continue
		}
		if !reflect.DeepEqual(back, q) {
			t.Errorf("round trip of %q through %q: %#v, want %#v", tt.in, s, back, q)
		}
	}
}

// TestQueryStringLength checks that a query accepted by ParseQuery has a
// canonical form that is accepted again, even though quoting and lower-casing
// can make it longer than what was typed.
func TestQueryStringLength(t *testing.T) {
	inputs := []string{
		strings.TrimSpace(strings.Repeat("1:2 ", MaxQueryLen/4)),              // each word gains quotes
		strings.Repeat("\u023a", MaxQueryLen/2),                               // Ⱥ (2 bytes) lower-cases to ⱥ (3 bytes)
		strings.TrimSpace(strings.Repeat("country:germany ", MaxQueryLen/16)), // shrinks
		strings.Repeat("a", MaxQueryLen),                                      // exactly at the limit
	}
	for _, in := range inputs {
		q, err := ParseQuery(in)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), "too long") {
				t.Errorf("ParseQuery(%.30q…): %v", in, err)
			}
			continue
		}
		s := q.String()
		back, err := ParseQuery(s)
		if err != nil {
			t.Errorf("ParseQuery(%.30q…) accepted (%d bytes), but its String (%d bytes) is refused: %v", in, len(in), len(s), err)
			continue
		}
		if !reflect.DeepEqual(back, q) {
			t.Errorf("round trip of %.30q… changed the query", in)
		}
	}
}

// FuzzParseQuery checks that the query parser never panics on any input
// (SPEC §8) and that a parsed query's canonical String parses back to the
// same query.
func FuzzParseQuery(f *testing.F) {
	seeds := []string{
		"", "country:DE", "country:germany|us eu:yes|unknown basis:none",
		"basis:Legitimate-Interests status:restricted source:webform:newsletter tag:VIP",
		"created:<2024-01-01", "created:>2023-12-31", "created:=2024-02-29", "created:2024-02-29",
		`"Ann Smith" acme`, `ab"c d"e`, "http://x", "10:30", ":x", "x:", "foo:bar",
		`"unclosed`, "ann\xffsmith", "\"a\nb\"", "\"a\rb\"", "tag:a||b", "country:DE|",
		"eu:maybe", "created:<", "ÄRGER \u023a", strings.Repeat("1:2 ", 250),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	probe := sampleContacts()["ann"]
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("ParseQuery(%q) error %T %v, want *QueryError", s, err, err)
			}
			if err.Error() == "" {
				t.Fatalf("ParseQuery(%q): empty error message", s)
			}
			return
		}
		for _, w := range q.Words {
			if w == "" || w != strings.ToLower(w) {
				t.Fatalf("ParseQuery(%q): word %q is empty or not lower-cased", s, w)
			}
		}
		for _, term := range q.Terms {
			if term.Field != FieldCreated && len(term.Values) == 0 {
				t.Fatalf("ParseQuery(%q): term %s without values", s, term.Field)
			}
		}
		_ = q.Matches(probe) // must not panic

		canon := q.String()
		back, err := ParseQuery(canon)
		if err != nil {
			t.Fatalf("ParseQuery(%q) = %#v, but its String %q does not parse: %v", s, q, canon, err)
		}
		if !reflect.DeepEqual(back, q) {
			t.Fatalf("ParseQuery(%q) = %#v; ParseQuery(String() = %q) = %#v", s, q, canon, back)
		}
		if again := back.String(); again != canon {
			t.Fatalf("String not stable: %q then %q", canon, again)
		}
	})
}

// A quote after field: keeps spaces in a term's value; a quote at the start
// of a token makes it a word.
func TestQuotedTermValues(t *testing.T) {
	q, err := ParseQuery(`source:"Trade Fair" "tag:vip"`)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Terms) != 1 || q.Terms[0].Field != FieldSource || q.Terms[0].Values[0] != "trade fair" {
		t.Errorf("terms = %+v, want source \"trade fair\"", q.Terms)
	}
	if len(q.Words) != 1 || q.Words[0] != "tag:vip" {
		t.Errorf("words = %q, want [tag:vip]", q.Words)
	}
	back, err := ParseQuery(q.String())
	if err != nil || len(back.Terms) != 1 || back.Terms[0].Values[0] != "trade fair" {
		t.Errorf("round trip of %q gave %+v, %v", q.String(), back, err)
	}
	c := Contact{Source: "trade fair"}
	if !q.Terms[0].MatchesTerm(&c) {
		t.Error("source:\"trade fair\" does not match a contact from that source")
	}
}

func TestPercentNeverOverstates(t *testing.T) {
	for _, c := range []struct {
		part, whole int64
		want        string
	}{{9999, 10000, "99.9%"}, {1, 100000, "0.1%"}, {1742, 1800, "96.8%"}, {5, 5, "100.0%"}, {0, 5, "0.0%"}} {
		if got := Percent(c.part, c.whole); got != c.want {
			t.Errorf("Percent(%d, %d) = %s, want %s", c.part, c.whole, got, c.want)
		}
	}
}
