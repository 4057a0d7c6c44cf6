package textsafe

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile is what an attacker puts in a name or a note (SPEC §8).
var hostile = []string{
	"\x1b]52;c;cHduZWQ=\x07X",                               // OSC 52: writes the clipboard
	"\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", // OSC 8 link
	"\x1b]0;owned\x07",                                      // OSC 0: window title
	"\x1bP1$r0m\x1b\\",                                      // DCS
	"\x1bPq#0;2;0;0;0",                                      // DCS cut short: would hide what follows
	"\x1b_apc\x1b\\", "\x1b^pm\x1b\\", "\x1bXsos\x1b\\",
	"\x1b[2J\x1b[H",       // clear screen
	"\x1b[38;5;199mpink",  // colour that bleeds
	"\u009b31mred",        // C1 CSI
	"\u009d0;title\u009c", // C1 OSC
	"Alice\rMallory",      // carriage return overwrites
	"abc\u202Egnp.exe",    // bidi override
	"pay\u200bpal",        // zero-width space
	"bad\xff\xfeutf8",     // invalid UTF-8
	"nul\x00byte", "del\x7f", "tab\tand\nnewline", "bom\ufeff", "iso\u2066x\u2069",
	"tag\U000E0041\U000E007F", // tag characters: invisible text
}

func TestLineEscapesEveryControl(t *testing.T) {
	for _, s := range hostile {
		got := Line(s)
		assertSafe(t, s, got, false)
		if got == s {
			t.Errorf("Line(%q) left it unchanged", s)
		}
	}
}

func TestVisibleSigns(t *testing.T) {
	cases := []struct{ in, line, text string }{
		{"\x1b]52;c;cHduZWQ=\x07X", "␛]52;c;cHduZWQ=␇X", "␛]52;c;cHduZWQ=␇X"},
		{"\u009b31mred", "␛[31mred", "␛[31mred"},
		{"Alice\rMallory", "Alice␍Mallory", "Alice␍Mallory"},
		{"a\tb\nc", "a b⏎c", "a\tb\nc"},
		{"abc\u202Egnp", "abc<U+202E>gnp", "abc<U+202E>gnp"},
		{"pay\u200bpal", "pay<U+200B>pal", "pay<U+200B>pal"},
		{"bad\xff", "bad\uFFFD", "bad\uFFFD"},
		{"nul\x00 del\x7f", "nul␀ del␡", "nul␀ del␡"},
		{"hid\U000E0041den", "hid<U+E0041>den", "hid<U+E0041>den"}, // a tag character: invisible text
		{"a\u206Ab\uFFF9c", "a<U+206A>b<U+FFF9>c", "a<U+206A>b<U+FFF9>c"},
	}
	for _, c := range cases {
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
	}
}

func TestCleanTextUnchanged(t *testing.T) {
	for _, s := range []string{"", "Anna Müller", "Zoë O'Brien <zoe@example.com>", "東京都 渋谷区", "שלום", "مرحبا", "😀 👍🏽", "a — b … c", "\uFFFD"} {
		if got := Line(s); got != s {
			t.Errorf("Line(%q) = %q", s, got)
		}
		if !IsLine(s) {
			t.Errorf("IsLine(%q) = false", s)
		}
	}
	if got := Text("two\nlines\tand a tab"); got != "two\nlines\tand a tab" {
		t.Errorf("Text changed line feeds or tabs: %q", got)
	}
}

func TestCleanTextDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("Anna Müller <anna@example.com> 東京 ", 20)
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line allocated %v times for clean text", n)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	p := []byte(s + "\n")
	if n := testing.AllocsPerRun(100, func() { buf.Reset(); _, _ = w.Write(p) }); n != 0 {
		t.Errorf("Writer allocated %v times for clean text", n)
	}
}

func TestStyledKeepsOnlyOwnColours(t *testing.T) {
	frame := "\x1b[1mTitle\x1b[m " + "\x1b]52;c;eA==\x07 \u009b2J a\rb \x1b[2J"
	got := Styled(frame)
	want := "\x1b[1mTitle\x1b[m ␛]52;c;eA==␇ ␛[2J a␍b ␛[2J"
	if got != want {
		t.Errorf("Styled = %q, want %q", got, want)
	}
	if clean := "\x1b[38;5;12mok\x1b[0m\nline two"; Styled(clean) != clean {
		t.Errorf("Styled changed a clean frame: %q", Styled(clean))
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := "name: \x1b]0;t\x07\tnext\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(in))
	}
	if got, want := buf.String(), "name: ␛]0;t␇\tnext\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}

func TestJSONEscapesAndRoundTrips(t *testing.T) {
	for _, s := range hostile {
		if !utf8.ValidString(s) {
			continue // encoding/json replaces invalid UTF-8 itself
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(raw)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("JSON(%q) is not JSON: %v", out, err)
		}
		if back != s {
			t.Errorf("JSON round trip of %q gave %q", s, back)
		}
		assertSafe(t, s, string(out), false)
	}
}

// assertSafe fails when out holds a byte or rune a terminal acts on.
func assertSafe(t *testing.T, in, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%q → %q: invalid UTF-8", in, out)
	}
	for _, r := range out {
		bad := r < 0x20 && !(multiline && (r == '\n' || r == '\t'))
		if bad || r == 0x7f || (r >= 0x80 && r <= 0x9f) || invisible(r) {
			t.Errorf("%q → %q: holds %U", in, out, r)
			return
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("Anna Müller")
	f.Fuzz(func(t *testing.T, s string) {
		line, text := Line(s), Text(s)
		assertSafe(t, s, line, false)
		assertSafe(t, s, text, true)
		if Line(line) != line || Text(text) != text {
			t.Errorf("not idempotent on %q", s)
		}
		if IsLine(s) != (line == s) {
			t.Errorf("IsLine(%q) disagrees with Line", s)
		}
		if firstUnsafe(s, false, false) < 0 && line != s {
			t.Errorf("clean %q changed to %q", s, line)
		}
		styled, plain := Styled(s), ""
		for i := 0; i < len(styled); i++ {
			if n := sgrLen(styled[i:]); n > 0 {
				i += n - 1
				continue
			}
			plain += styled[i : i+1]
		}
		assertSafe(t, s, plain, true)
		var buf bytes.Buffer
		if _, err := NewWriter(&buf).Write([]byte(s)); err != nil || buf.String() != text {
			t.Errorf("Writer wrote %q, Text gives %q", buf.String(), text)
		}
	})
}

func BenchmarkLineClean(b *testing.B) {
	s := "Anna Müller <anna.mueller@example.com> Musterstraße 1, 10115 Berlin"
	for b.Loop() {
		_ = Line(s)
	}
}

func BenchmarkLineHostile(b *testing.B) {
	s := "Anna \x1b]52;c;cHduZWQ=\x07 M\u00fcller \u202Eevil\r"
	for b.Loop() {
		_ = Line(s)
	}
}
