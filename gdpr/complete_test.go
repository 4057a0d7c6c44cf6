package gdpr

import (
	"reflect"
	"testing"
)

// Tab completes the last word of a filter line from the query language's
// fields and their values (issue 20.13).
func TestQueryCompletions(t *testing.T) {
	known := KnownValues{
		Sources:  []string{"Webinar", "webform:newsletter", "trade fair", "webinar"},
		Purposes: []string{"Newsletter", "events"},
		Tags:     []string{"VIP", "vendor"},
	}
	cases := []struct {
		text    string
		options []string
		after   string
	}{
		{"cou", []string{"country:"}, "country:"},
		{"eu:yes s", []string{"status:", "source:"}, "eu:yes s"},
		{"eu:yes st", []string{"status:"}, "eu:yes status:"},
		{"ma", []string{"marketing:"}, "marketing:"},
		{"eu:", []string{"yes", "no", "unknown"}, "eu:"},
		{"eu:u", []string{"unknown"}, "eu:unknown "},
		{"basis:le", []string{"legal_obligation", "legitimate_interests"}, "basis:leg"},
		{"basis:consent|n", []string{"none"}, "basis:consent|none "},
		{"status:R", []string{"restricted"}, "status:restricted "},
		{"country:de", []string{"DE"}, "country:DE "},
		{"country:germ", []string{"DE"}, "country:DE "},
		{"country:CÔTE", []string{"CI"}, "country:CI "},
		{"source:web", []string{"webform:newsletter", "webinar"}, "source:web"},
		{"source:webform:", []string{"webform:newsletter"}, "source:webform:newsletter "},
		{"purpose:n", []string{"newsletter"}, "purpose:newsletter "},
		{"tag:v", []string{"vendor", "vip"}, "tag:v"},
		{"hold:", []string{"yes", "no"}, "hold:"},
		{"created:2", nil, "created:2"},
		{"colour:b", nil, "colour:b"},
		{`"anna m`, nil, `"anna m`},
		{"10:30", nil, "10:30"},
		{"müller", nil, "müller"},
	}
	for _, c := range cases {
		got := QueryCompletions(c.text, known)
		if !reflect.DeepEqual(got.Options, c.options) {
			t.Errorf("QueryCompletions(%q) offers %q, want %q", c.text, got.Options, c.options)
		}
		if got.Text() != c.after {
			t.Errorf("tab after %q gives %q, want %q", c.text, got.Text(), c.after)
		}
	}
	// Every completed value parses.
	for _, f := range Fields() {
		for _, v := range fieldValues(f, known) {
			if _, err := ParseQuery(string(f) + ":" + v); err != nil {
				t.Errorf("completion offers %s:%s, which does not parse: %v", f, v, err)
			}
		}
	}
}

// The help of the query language covers every field, and every example
// in it parses.
func TestQueryFieldHelp(t *testing.T) {
	hs := QueryFieldHelp()
	if len(hs) != len(Fields()) {
		t.Fatalf("help for %d fields, the language has %d", len(hs), len(Fields()))
	}
	for i, h := range hs {
		if h.Field != Fields()[i] || h.Values == "" {
			t.Errorf("help entry %d = %+v, want field %s with its values", i, h, Fields()[i])
		}
		q, err := ParseQuery(h.Example)
		if err != nil || len(q.Terms) != 1 || q.Terms[0].Field != h.Field {
			t.Errorf("example %q of %s does not parse to one %s term: %v", h.Example, h.Field, h.Field, err)
		}
	}
	if hs[1].Values != "yes|no|unknown" {
		t.Errorf("eu values = %q, want yes|no|unknown", hs[1].Values)
	}
}
