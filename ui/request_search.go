package ui

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldText is text as the inbox search compares it: lower case, accents
// dropped ("José" matches "jose").
func foldText(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

// matchesSearch reports whether every word of the search is in one of the
// request's fields: id, who, type, status or note.
func matchesSearch(words []string, fields ...string) bool {
	hay := foldText(strings.Join(fields, "\x00"))
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// searchWords splits a search into folded words.
func searchWords(text string) []string { return strings.Fields(foldText(text)) }
