package ui

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// hostileSGR is a colour a contact's name carries: it must never reach the
// frame, where it would colour every later row.
const hostileSGR = "\x1b[38;5;199m"

// hostileFields are names, notes and sources that try to drive the
// terminal (SPEC §8).
var hostileFields = []string{
	"\x1b]52;c;cHduZWQ=\x07X", // clipboard
	"\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",
	"\x1b]0;owned\x07",
	"\x1bPq#0;2;0;0;0", // DCS, cut short
	"\x1b_apc\x1b\\",
	"\x1b[2J",
	hostileSGR + "pink",
	"\u009b31mc1",
	"Ann\rMallory",
	"abc\u202Egnp.exe",
	"pay\u200bpal",
	"bad\xffutf8",
}

// assertFrameSafe fails when frame holds an escape sequence other than a
// colour (SGR) of the renderer's own, a C1 control, a bidi or invisible
// character, \r or invalid UTF-8.
func assertFrameSafe(t *testing.T, what, frame string) {
	t.Helper()
	if strings.Contains(frame, hostileSGR) {
		t.Errorf("%s: the stored colour %q reached the frame", what, hostileSGR)
	}
	if !utf8.ValidString(frame) {
		t.Errorf("%s: the frame is not valid UTF-8", what)
	}
	for i := 0; i < len(frame); {
		if frame[i] == 0x1b {
			j := i + 2
			for j < len(frame) && (frame[j] >= '0' && frame[j] <= '9' || frame[j] == ';' || frame[j] == ':') {
				j++
			}
			if i+1 >= len(frame) || frame[i+1] != '[' || j >= len(frame) || frame[j] != 'm' {
				t.Errorf("%s: an escape sequence that is not a colour: %q", what, frame[i:min(i+20, len(frame))])
				return
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(frame[i:])
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x200b && r <= 0x200f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0xfeff {
			t.Errorf("%s: the frame holds %U: %q", what, r, frame[max(i-20, 0):min(i+20, len(frame))])
			return
		}
		i += size
	}
}

// TestHostileContactIsDrawnInert draws the contacts list and the contact
// view of contacts whose fields are escape sequences: what the screens
// render (before the frame's last guard) and what goes to the terminal
// carry none of them (SPEC §8), and the tampering shows.
func TestHostileContactIsDrawnInert(t *testing.T) {
	s := openDemo(t, 0)
	var ids []gdpr.ContactID
	clipboardStored := false // the OSC 52 name, when validation lets it in
	for i, h := range hostileFields {
		id, err := s.CreateContact("owner", gdpr.Contact{FirstName: h, LastName: h, Company: h, City: h, Notes: h, Source: "fair",
			Country: "DE", Email: fmt.Sprintf("h%d@example.com", i), Tags: []string{"x"}})
		if err != nil {
			continue // refused by validation: as safe
		}
		clipboardStored = clipboardStored || i == 0
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		t.Fatal("the store took none of the hostile names: this test would check nothing")
	}
	// A note the store refuses (a control character) is as safe as one it
	// draws inert: the first hostile note it takes is the one drawn.
	noted := false
	for _, h := range hostileFields {
		if _, err := s.AddRequest("owner", gdpr.Request{Type: gdpr.RequestAccess, Contact: ids[0], Note: h,
			Received: testNow, Channel: gdpr.ChannelEmail}); err == nil {
			noted = true
			break
		}
	}
	if !noted {
		t.Log("the store refused every hostile request note")
	}
	if err := s.SavePurpose("owner", gdpr.Purpose{Name: "news" + hostileSGR, Basis: gdpr.BasisConsent}); err != nil {
		t.Logf("purpose refused: %v", err)
	}
	d := drive(t, newTestModel(s), 130, 40)
	check := func(what string) {
		t.Helper()
		assertFrameSafe(t, what+" (screens)", d.m.render())
		assertFrameSafe(t, what+" (to the terminal)", d.m.View().Content)
	}
	check("dashboard")
	d.keys("2")
	check("contacts list")
	if clipboardStored && !strings.Contains(d.screen(), "␛]52;c;cHduZWQ=␇X") {
		t.Errorf("the tampered name does not show as such:\n%s", d.screen())
	}
	for range ids {
		d.keys("enter")
		check("contact view")
		d.keys("esc", "down")
	}
	for _, tab := range []string{"3", "6", "5"} {
		d.keys(tab)
		check("screen " + tab)
	}
	d.keys("6", "enter")
	check("audit entry")
}

// The operator's name (over SSH the session's) is shown on the status line.
func TestHostileOperatorNameIsDrawnInert(t *testing.T) {
	s := openDemo(t, 0)
	d := drive(t, newTestModel(s, func(o *Options) { o.Operator = "op\x1b]52;c;eA==\x07" + hostileSGR + "\u009b2J" }), 100, 30)
	assertFrameSafe(t, "status line (screens)", d.m.render())
	assertFrameSafe(t, "status line (to the terminal)", d.m.View().Content)
	if !strings.Contains(d.screen(), "op␛]52;c;eA==␇") {
		t.Errorf("the operator's name does not show escaped:\n%s", d.screen())
	}
}
