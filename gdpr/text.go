package gdpr

import (
	"fmt"
	"unicode/utf8"
)

// CheckText checks text before it is stored (SPEC §8): it must be valid
// UTF-8 and hold no control characters — NUL and the other C0 controls, DEL
// and the C1 controls — which could end a string early in another program
// or, shown on a terminal, move the cursor or run an escape sequence. Only
// multi-line text (notes, street, descriptions, custom field values) may hold tabs
// and line breaks. The error names the field, never the value.
func CheckText(field, value string, multiline bool) error {
	if !utf8.ValidString(value) {
		return fmt.Errorf("%s is not valid UTF-8 text", field)
	}
	for i, r := range value {
		if !isControl(r) {
			continue
		}
		if multiline && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		what := "a control character"
		switch {
		case r == 0:
			what = "a NUL character"
		case r == '\t' || r == '\n' || r == '\r':
			what = "a tab or line break"
			if !multiline {
				return fmt.Errorf("%s holds %s (U+%04X at byte %d): it is a single line of text", field, what, r, i)
			}
		}
		return fmt.Errorf("%s holds %s (U+%04X at byte %d): remove it and try again", field, what, r, i)
	}
	return nil
}

// isControl reports the C0 controls, DEL and the C1 controls.
func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r <= 0x9f }
