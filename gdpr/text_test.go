package gdpr

import (
	"strings"
	"testing"
	"time"
)

// Stored text refuses NUL, the other C0 controls, DEL and the C1 controls,
// and invalid UTF-8 (SPEC §8); multi-line text keeps tabs and line breaks.
// The error names the field and never shows the value.
func TestCheckTextNamesTheField(t *testing.T) {
	for _, c := range []struct {
		value     string
		multiline bool
		want      string // "" when accepted
	}{
		{"Anna", false, ""},
		{"Zoë 山田 O'Brien – ok", false, ""},
		{"line one\r\n\tline two", true, ""},
		{"An\x00na", false, "a NUL character (U+0000 at byte 2)"},
		{"An\x00na", true, "a NUL character"},
		{"\x1b[31mred", true, "a control character (U+001B"},
		{"bell\x07", false, "a control character (U+0007"},
		{"del\x7f", true, "a control character (U+007F"},
		{"csi\u009b2J", true, "a control character (U+009B"},
		{"two\nlines", false, "a tab or line break (U+000A at byte 3): it is a single line of text"},
		{"tab\there", false, "a tab or line break (U+0009"},
		{"bad \xff byte", true, "is not valid UTF-8 text"},
	} {
		err := CheckText("first name", c.value, c.multiline)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q (multi-line %v) refused: %v", c.value, c.multiline, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "first name ") || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q (multi-line %v): %v, want an error naming the field and %q", c.value, c.multiline, err, c.want)
		case err != nil && strings.Contains(err.Error(), c.value):
			t.Errorf("%q: the error shows the value: %v", c.value, err)
		}
	}
	// Contact.Validate applies it to every field, notes as multi-line.
	c := Contact{Email: "a@example.com", Status: ContactActive, Notes: "called\non Monday", Custom: map[string]string{"Hobby": "ski\x00"}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `custom field "Hobby" holds a NUL character`) {
		t.Errorf("Validate with a NUL in a custom field: %v", err)
	}
	c.Custom = nil
	c.Company = "ACME\x1b]0;owned\x07"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "company holds a control character") {
		t.Errorf("Validate with an escape in the company: %v", err)
	}
	c.Company = ""
	if err := c.Validate(); err != nil {
		t.Errorf("notes with a line break refused: %v", err)
	}
}

// The product stores dates from 1900-01-01 to 2199-12-31; outside, a date
// is refused naming what it is and the range, never wrapped (SPEC §8).
func TestCheckStorableDate(t *testing.T) {
	first, last := StorableDateRange()
	for _, ok := range []time.Time{{}, first, last, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)} {
		if err := CheckStorableDate("created_at", ok); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"2300-01-01", "9999-12-31", "1600-01-01", "1899-12-31", "2200-01-01"} {
		d, _ := time.Parse(time.DateOnly, bad)
		err := CheckStorableDate("created_at", d)
		if want := "created_at " + bad + " is out of range (1900-01-01 … 2199-12-31)"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", bad, err, want)
		}
	}
	c := Contact{Consents: []ConsentRecord{{Purpose: "newsletter", At: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if err := c.CheckDates(); err == nil || !strings.Contains(err.Error(), "consent record for newsletter 2300-01-01") {
		t.Errorf("CheckDates with a consent in 2300: %v", err)
	}
}
