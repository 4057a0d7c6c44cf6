package gdpr

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldLetters spells the letters that do not decompose into a base letter
// and a mark the way they are written without them.
var foldLetters = strings.NewReplacer(
	"ß", "ss", "ẞ", "ss", "ø", "o", "Ø", "o", "æ", "ae", "Æ", "ae",
	"œ", "oe", "Œ", "oe", "ł", "l", "Ł", "l", "đ", "d", "Đ", "d",
	"ð", "d", "Ð", "d", "þ", "th", "Þ", "th", "ı", "i", "ħ", "h",
)

// FoldText is the form free text is compared in: lower case, without
// accents, so that muller finds Müller, lukasz finds Łukasz and strasse
// finds Straße. Letters lose their marks (Unicode decomposition, marks
// removed: ü→u, é→e, ñ→n); the few that do not decompose are spelled out
// (ß→ss, ø→o, æ→ae, œ→oe, ł→l, đ/ð→d, þ→th). A letter folds to its base
// letter only, never to a transcription: mueller does not find Müller. The
// search index and the words of a query both go through it, so they always
// agree.
func FoldText(s string) string {
	s = strings.ToLower(s)
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8RuneSelf
	}
	if ascii {
		return s
	}
	s = norm.NFD.String(foldLetters.Replace(s))
	return norm.NFC.String(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s))
}

const utf8RuneSelf = 0x80
