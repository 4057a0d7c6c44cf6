// Package textsafe makes text that a contact, an import or an operator
// supplied safe to show on a terminal (SPEC §8): no byte of it can move the
// cursor, set the window title, write the clipboard, start a link, change
// colours or reorder what follows.
//
// Nothing is dropped silently. Every control is replaced by a visible sign,
// so an owner sees that a record was tampered with, and what the escape
// sequence would have done stays readable but inert:
//
//	C0 controls and \r   the Control Pictures sign: ESC ␛, BEL ␇, CR ␍, NUL ␀
//	DEL                  ␡
//	C1 controls          ␛ and their 7-bit form: U+009B (CSI) ␛[, U+009D (OSC) ␛]
//	bidi controls,       <U+202E>: U+061C, U+200E, U+200F, U+202A–U+202E,
//	invisible characters U+2066–U+2069, U+200B–U+200D, U+2060–U+2064,
//	                     U+2028, U+2029, U+FEFF
//	invalid UTF-8        U+FFFD, one per bad byte
//
// So "\x1b]52;c;cHduZWQ=\x07X" prints as "␛]52;c;cHduZWQ=␇X". Line is for
// one-line cells (a line feed shows as ⏎, a tab as a space); Text keeps line
// feeds and tabs, for whole blocks whose layout is the program's own. Clean
// text, the common case, is returned as it is, without allocating.
package textsafe

import (
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Line returns s safe to print as one line of a terminal.
func Line(s string) string { return sanitize(s, false) }

// Text returns s safe to print on a terminal, keeping its line feeds and
// tabs (a carriage return is still shown as ␍: it could overwrite a line).
func Text(s string) string { return sanitize(s, true) }

// IsLine reports whether Line returns s unchanged.
func IsLine(s string) bool { return firstUnsafe(s, false, false) < 0 }

// Styled is Text for a frame that the program rendered itself: its own
// colour sequences (SGR, ESC [ params m) stay; every other sequence,
// control and invisible character is shown as Text shows it. It guards a
// whole screen as a last line: stored text is passed through Line where it
// is put in a cell, so a stored colour never gets as far as this.
func Styled(s string) string {
	if firstUnsafe(s, true, true) < 0 {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); {
		if n := sgrLen(s[i:]); n > 0 {
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			r = invalid
		}
		b = appendSafe(b, r, true)
		i += size
	}
	return string(b)
}

// invalid stands for a byte that is not UTF-8 while appending.
const invalid = -1

func sanitize(s string, multiline bool) string {
	i := firstUnsafe(s, multiline, false)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			r = invalid
		}
		b = appendSafe(b, r, multiline)
		i += size
	}
	return string(b)
}

// firstUnsafe is the index of the first byte that sanitizing changes, or
// -1. With sgr, colour sequences count as safe.
func firstUnsafe(s string, multiline, sgr bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < 0x80 {
			if multiline && (c == '\n' || c == '\t') {
				i++
				continue
			}
			if sgr && c == 0x1b {
				if n := sgrLen(s[i:]); n > 0 {
					i += n
					continue
				}
			}
			return i
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// sgrLen is the length of the colour sequence s starts with, or 0.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case (c >= '0' && c <= '9') || c == ';' || c == ':':
		default:
			return 0
		}
	}
	return 0
}

// unsafeRune reports a rune at or above U+0080 that is shown escaped.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r < 0x061c:
		return false
	}
	return invisible(r)
}

// invisible reports the bidi controls and the invisible characters that
// can hide or reorder what a line shows.
func invisible(r rune) bool {
	switch {
	case r == 0x061c, r == 0xfeff:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x2028 && r <= 0x202e:
		return true
	case r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x206f:
		return true
	case r == 0x180e, r >= 0xfff9 && r <= 0xfffb:
		return true
	case r >= 0xe0000 && r <= 0xe007f: // tag characters: invisible text
		return true
	}
	return false
}

// appendSafe appends r, or the visible sign that stands for it.
func appendSafe(b []byte, r rune, multiline bool) []byte {
	switch {
	case r == invalid:
		return utf8.AppendRune(b, utf8.RuneError)
	case r == '\n' || r == '\t':
		if multiline {
			return append(b, byte(r))
		}
		if r == '\t' {
			return append(b, ' ')
		}
		return append(b, "⏎"...)
	case r < 0x20:
		return utf8.AppendRune(b, 0x2400+r)
	case r == 0x7f:
		return append(b, "␡"...)
	case r >= 0x80 && r <= 0x9f:
		return append(append(b, "␛"...), byte(r-0x40))
	case invisible(r):
		if r > 0xffff { // five digits: U+E0041
			b = append(append(b, "<U+"...), "0123456789ABCDEF"[r>>16&0xf])
			return append(appendHex4(b, r, "0123456789ABCDEF"), '>')
		}
		return append(appendHex4(append(b, "<U+"...), r, "0123456789ABCDEF"), '>')
	}
	return utf8.AppendRune(b, r)
}

// appendHex4 appends the low 16 bits of r in four hex digits.
func appendHex4(b []byte, r rune, digits string) []byte {
	return append(b, digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
}

// Writer passes everything written to it through Text, for output meant
// for a person at a terminal. Each Write is sanitized on its own, so write
// whole strings (fmt.Fprint* does): a UTF-8 sequence split across two
// writes shows as U+FFFD.
type Writer struct{ w io.Writer }

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes Text(p) to the underlying writer and reports len(p) on
// success.
func (w *Writer) Write(p []byte) (int, error) {
	if firstUnsafeBytes(p) < 0 {
		return w.w.Write(p)
	}
	if _, err := io.WriteString(w.w, Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// firstUnsafeBytes is firstUnsafe(string(p), true, false) without copying p.
func firstUnsafeBytes(p []byte) int {
	for i := 0; i < len(p); {
		c := p[i]
		if (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' {
			i++
			continue
		}
		if c < 0x80 {
			return i
		}
		r, size := utf8.DecodeRune(p[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// JSON escapes, in encoded JSON, what encoding/json leaves raw but a
// terminal may act on: DEL, the C1 controls and the bidi and invisible
// characters become \uXXXX. A decoder reads the same strings back. (Those
// runes only occur inside JSON strings, so the result is valid JSON.)
func JSON(b []byte) []byte {
	i := firstUnsafeJSON(b)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || (size > 1 && unsafeRune(r)) {
			if r > 0xffff { // a surrogate pair, as JSON spells such a rune
				r1, r2 := utf16.EncodeRune(r)
				out = appendHex4(append(out, `\u`...), r1, "0123456789abcdef")
				r = r2
			}
			out = appendHex4(append(out, `\u`...), r, "0123456789abcdef")
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

func firstUnsafeJSON(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x7f {
			i++
			continue
		}
		if c == 0x7f {
			return i
		}
		r, size := utf8.DecodeRune(b[i:])
		if size > 1 && unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}
