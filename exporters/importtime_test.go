package exporters

import (
	"testing"
	"time"
)

// TestParseImportTimeTriesOnlyLayoutsThatFit: skipping the layouts whose
// length cannot fit changes nothing: every value reads as trying each layout
// in turn reads it, fractional seconds after any seconds field included.
func TestParseImportTimeTriesOnlyLayoutsThatFit(t *testing.T) {
	everyLayout := func(v string) (time.Time, bool) {
		for _, layout := range importTimeLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), true
			}
		}
		return time.Time{}, false
	}
	values := []string{
		"2024-03-15", "2024-03-15 14:30", "2024-03-15T14:30", "2024-03-15 14:30:00", "2024-03-15T14:30:00",
		"2024-03-15T14:30:00Z", "2024-03-15T14:30:00+01:00", "2024-03-15 14:30:00+01:00", "2024-03-15 14:30:00Z",
		"2024-03-15T14:30:00.123Z", "2024-03-15 14:30:00.5", "2024-03-15T14:30:00,25", "2024-03-15 14:30:00.123456789",
		"2024-03-15T14:30:00.1+02:00", "2024-03-15 14:30:5", "2024-3-15", "15.03.2024", "2024-03-15 ", " 2024-03-15",
		"2024-03-15T14:30Z", "2024-03-15 14:30.5", "2024-03-15x", "", "2024-03-15T14:30:00.", "2024-03-15T24:00:00",
	}
	read := 0
	for _, v := range values {
		got, ok := parseImportTime(v)
		want, wantOK := everyLayout(v)
		if ok != wantOK || !got.Equal(want) {
			t.Errorf("parseImportTime(%q) = %v, %v; trying every layout gives %v, %v", v, got, ok, want, wantOK)
		}
		if ok {
			read++
		}
	}
	if read < 12 {
		t.Errorf("only %d of the values read as dates: the table no longer tests what it should", read)
	}
}
