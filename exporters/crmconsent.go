package exporters

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Consent and opt-out state from CRM exports (docs/import-consent.md).
//
// The exports of Mailchimp, HubSpot and Keap carry the evidence the GDPR
// asks for — when and how a person opted in, whether they confirmed, when
// they unsubscribed — and the import turns it into the rule book's records
// for one purpose, the one the owner names (--purpose, default "email
// marketing"):
//
//   - an opt-in becomes a consent record, "double opt-in" when it was
//     confirmed, else "single opt-in", at its time; the sign-up and
//     confirmation IP addresses go into the evidence of the consent basis,
//     which is sealed like every other personal field (the consent record
//     itself is stored in clear, so no IP address goes there);
//   - an unsubscribe, an opt-out or a list unsubscribe becomes a withdrawal
//     of that consent AND a marketing objection (Art. 21(3)), with its time
//     and the tool's reason — so a consent recorded later by hand cannot
//     make the person marketable without their new consent;
//   - a non-marketable state (Keap "Non-Marketable", "Unengaged
//     NonMarketable", bounces; Mailchimp's cleaned addresses) records no
//     consent and invents no objection: the person is simply not
//     marketable;
//   - a pending confirmation (HubSpot "double_opt_in_pending") is no
//     consent yet.

// The states a row's consent columns can put a person in.
const (
	optNone       = iota // the file says nothing about marketing
	optSingle            // opted in once
	optDouble            // opted in and confirmed
	optNot               // not marketable, no objection (bounced, non-marketable, pending)
	optOut               // unsubscribed or opted out: withdrawal and objection
	optOutGranted        // opted in earlier, then out (Mailchimp's unsubscribed list)
)

// keapEmailStatus reads Keap's "Email Status" (one state per value; the
// manual lists these, case and spacing vary between versions).
func keapEmailStatus(v string) (state int, ok bool) {
	switch strings.Join(strings.Fields(strings.ToLower(v)), " ") {
	case "confirmed", "confirmed (legacy)":
		return optDouble, true
	case "unconfirmed", "unengaged marketable", "single opt-in":
		return optSingle, true
	case "unengaged nonmarketable", "unengaged non-marketable", "non-marketable", "nonmarketable",
		"bounce", "hard bounce", "soft bounce", "system", "lockdown", "invalid":
		return optNot, true
	case "opt-out", "opt-out: manual", "opt-out: system", "opt-out: list unsubscribe", "list unsubscribe",
		"unsubscribed", "opted out", "spam complaint":
		return optOut, true
	}
	return optNone, false
}

// hubspotConfirmation reads HubSpot's "Marketing email confirmation"
// status: confirmed is a double opt-in, anything pending is no consent yet.
func hubspotConfirmation(v string) (state int, ok bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch {
	case strings.Contains(s, "pending"):
		return optNot, true
	case s == "confirmed" || s == "double_opt_in_confirmed" || s == "true":
		return optDouble, true
	case s == "not_required" || s == "not required" || s == "false" || s == "":
		return optNone, true
	}
	return optNone, false
}

// consentRules are the import-only columns of consent and opt-out state.
var consentRules = []columnRule{
	{name: "keap email status", field: FieldConsent,
		note:    "Keap's email status: Confirmed → double opt-in, Unconfirmed → single opt-in, Opt-Out/List Unsubscribe → withdrawal and objection, Non-Marketable and bounces → not marketable",
		aliases: []string{"Email Status", "Email Opt Status", "Opt-in Status"},
		set: func(b *rowBuilder, v string) error {
			st, ok := keapEmailStatus(v)
			if !ok {
				b.warn("email status %q is not one the import knows: no consent recorded", v)
				st = optNot
			}
			b.tool, b.status, b.statusText = "Keap", st, v
			return nil
		}},
	{name: "hubspot unsubscribed", field: FieldConsent,
		note:    "true: a withdrawal of consent and a marketing objection",
		aliases: []string{"Unsubscribed from all email", "Unsubscribed From All Email", "Opted out of all email"},
		set: func(b *rowBuilder, v string) error {
			switch strings.ToLower(v) {
			case "true", "yes", "1":
				b.tool, b.unsubAll = "HubSpot", true
			case "false", "no", "0":
			default:
				return fmt.Errorf("%s %q is not true or false", b.header, v)
			}
			return nil
		}},
	{name: "hubspot confirmation", field: FieldConsent,
		note:    "confirmed: a double opt-in consent; pending: no consent yet",
		aliases: []string{"Marketing email confirmation", "Marketing email confirmation status", "Marketing Email Confirmation Status"},
		set: func(b *rowBuilder, v string) error {
			st, ok := hubspotConfirmation(v)
			if !ok {
				b.warn("marketing email confirmation %q is not one the import knows: no consent recorded", v)
				st = optNot
			}
			if st != optNone {
				b.tool, b.status, b.statusText = "HubSpot", st, v
			}
			return nil
		}},
	{name: "full name", field: "first_name, last_name",
		note:    "split at the last space into first and last name (name particles such as van, von, de stay with the last name); kept whole as the first name when it cannot be split",
		aliases: []string{"Name", "Full Name", "Contact Name"},
		set:     func(b *rowBuilder, v string) error { b.fullName = v; return nil }},
	{name: "last updated", field: FieldConsent, note: "the time of an opt-out the file gives no time of",
		aliases: []string{"Last Updated", "Last Modified Date", "Date Updated", "Last Activity Date"},
		set:     func(b *rowBuilder, v string) error { b.lastChanged = v; return nil }},
	{name: "mailchimp optin ip", field: FieldConsent, mailchimp: true, note: "sign-up IP address: sealed evidence of the consent",
		aliases: []string{"OPTIN_IP"},
		set:     func(b *rowBuilder, v string) error { b.optinIP = v; return nil }},
	{name: "mailchimp confirm ip", field: FieldConsent, mailchimp: true, note: "confirmation IP address: sealed evidence of the consent",
		aliases: []string{"CONFIRM_IP"},
		set:     func(b *rowBuilder, v string) error { b.confirmIP = v; return nil }},
	{name: "mailchimp last changed", field: FieldConsent, mailchimp: true, note: "the time of an opt-out the file gives no time of",
		aliases: []string{"LAST_CHANGED"},
		set:     func(b *rowBuilder, v string) error { b.lastChanged = v; return nil }},
	{name: "mailchimp unsub reason", field: FieldConsent, mailchimp: true, note: "the reason chosen when unsubscribing, kept with the withdrawal",
		aliases: []string{"UNSUB_REASON"},
		set:     func(b *rowBuilder, v string) error { b.unsubReason = v; return nil }},
	{name: "mailchimp unsub campaign", field: FieldConsent, mailchimp: true, note: "the campaign unsubscribed from, kept with the withdrawal",
		aliases: []string{"UNSUB_CAMPAIGN_TITLE"},
		set:     func(b *rowBuilder, v string) error { b.unsubCampaign = v; return nil }},
	{name: "mailchimp clean time", field: FieldConsent, mailchimp: true, note: "a cleaned (bounced) address: not marketable, no consent recorded",
		aliases: []string{"CLEAN_TIME"},
		set:     func(b *rowBuilder, v string) error { b.cleaned = true; return nil }},
	{name: "mailchimp free text", field: FieldIgnored, mailchimp: true,
		note:    "the person's own words on unsubscribing, or campaign ids: not imported",
		aliases: []string{"UNSUB_REASON_OTHER", "UNSUB_CAMPAIGN_ID", "CLEAN_CAMPAIGN_TITLE", "CLEAN_CAMPAIGN_ID"}},
}

// nameParticles stay with the last name when a full name is split.
var nameParticles = map[string]bool{"van": true, "von": true, "de": true, "da": true, "di": true, "del": true,
	"della": true, "der": true, "den": true, "du": true, "le": true, "la": true, "dos": true, "das": true,
	"ter": true, "ten": true, "zu": true, "bin": true, "al": true, "el": true, "st.": true}

// SplitFullName splits a one-column name ("Rick Hawkins") into first and
// last name. "Hawkins, Rick" is read last name first; name particles stay
// with the last name ("Ludwig van Beethoven" → Ludwig / van Beethoven). A
// name of one word, or one whose split would be a guess (more than one
// comma), is kept whole as the first name: ok is false then.
func SplitFullName(name string) (first, last string, ok bool) {
	name = strings.Join(strings.Fields(name), " ")
	if n := strings.Count(name, ","); n == 1 {
		l, f, _ := strings.Cut(name, ",")
		l, f = strings.TrimSpace(l), strings.TrimSpace(f)
		if l != "" && f != "" {
			return f, l, true
		}
		return name, "", false
	} else if n > 1 {
		return name, "", false
	}
	words := strings.Split(name, " ")
	if len(words) < 2 {
		return name, "", false
	}
	cut := len(words) - 1
	for cut > 1 && nameParticles[strings.ToLower(words[cut-1])] {
		cut--
	}
	return strings.Join(words[:cut], " "), strings.Join(words[cut:], " "), true
}

// finishName applies a one-column name where the file has no first and
// last name of its own.
func (b *rowBuilder) finishName() {
	if b.fullName == "" || b.c.FirstName != "" || b.c.LastName != "" {
		return
	}
	first, last, ok := SplitFullName(b.fullName)
	b.c.FirstName, b.c.LastName = first, last
	if ok {
		b.note("name %q split into first name %q and last name %q", b.fullName, first, last)
	} else {
		b.note("name %q kept whole as the first name", b.fullName)
	}
}

// consents turns the row's consent columns into consent records, the
// evidence of the consent basis, and a marketing objection (see the top of
// this file).
func (b *rowBuilder) consents(optin time.Time, hasOptin bool, confirm time.Time, hasConfirm bool, unsub time.Time, hasUnsub bool) error {
	purpose := b.purpose
	if b.consentText != "" {
		if n := utf8.RuneCountInString(b.consentText); n > gdpr.MaxFieldLen {
			return fmt.Errorf("consent text is too long: %d characters, at most %d", n, gdpr.MaxFieldLen)
		}
	}
	state := b.status
	tool := b.tool
	if b.mailchimp {
		tool = "Mailchimp"
	}
	// What the times say, where no status column said more.
	if state == optNone {
		switch {
		case hasConfirm:
			state = optDouble
		case hasOptin || b.consentText != "":
			state = optSingle
		}
	}
	double := state == optDouble
	switch b.member {
	case MemberUnsubscribed:
		if state == optSingle || state == optDouble {
			state = optOutGranted
		} else {
			state = optOut
		}
	case MemberCleaned, MemberNonSubscribed:
		state = optNot
	}
	if b.cleaned {
		state = optNot
	}
	if hasUnsub || b.unsubAll {
		if state == optSingle || state == optDouble || state == optOutGranted {
			state = optOutGranted
		} else {
			state = optOut
		}
	}
	if state == optNot || state == optNone {
		b.outcome = state
		return nil
	}
	label := "imported"
	if tool != "" {
		label = tool
	}
	// The grant: its time is the confirmation's (the moment consent was
	// complete), else the opt-in's, else the contact's creation, else the
	// import.
	if state == optSingle || state == optDouble || state == optOutGranted {
		method := "single opt-in (" + label + ")"
		if double {
			method = "double opt-in (" + label + ")"
		}
		if b.statusText != "" {
			method += ", status " + strings.TrimSpace(b.statusText)
		}
		at, ok := confirm, hasConfirm
		if !ok {
			at, ok = optin, hasOptin
		}
		if !ok {
			at = b.c.CreatedAt
			if at.IsZero() {
				at = b.now
			}
			b.warn("consent without an opt-in time: recorded at %s", at.Format(timeLayout))
		}
		if b.consentText != "" {
			method += "; consent text: " + b.consentText
		}
		b.c.Consents = append(b.c.Consents, gdpr.ConsentRecord{Purpose: purpose, Granted: true, At: at, Method: method})
		var ev []string
		if b.optinIP != "" {
			ev = append(ev, "opt-in from IP "+b.optinIP+timeSuffix(optin, hasOptin))
		}
		if b.confirmIP != "" {
			ev = append(ev, "confirmed from IP "+b.confirmIP+timeSuffix(confirm, hasConfirm))
		}
		if state != optOutGranted {
			b.c.Bases = append(b.c.Bases, gdpr.BasisAssignment{Basis: gdpr.BasisConsent, Purpose: purpose, Source: gdpr.SourceImport,
				Evidence: strings.Join(append([]string{method}, ev...), "; "), At: at})
		} else if len(ev) > 0 {
			b.warn("%s: the consent was withdrawn, so its sign-up evidence (IP addresses) is not kept", label)
		}
	}
	if state == optOut || state == optOutGranted {
		at, ok := unsub, hasUnsub
		if !ok {
			at, ok = b.time("last-updated time", b.lastChanged)
		}
		if !ok {
			at = b.now
			b.warn("opt-out without a time: recorded at the import, %s", at.Format(timeLayout))
		}
		method := "unsubscribed (" + label + ")"
		if b.statusText != "" && b.status == optOut {
			method = "opted out (" + label + "), status " + strings.TrimSpace(b.statusText)
		}
		if b.unsubReason != "" {
			method += ", reason: " + b.unsubReason
		}
		if b.unsubCampaign != "" {
			method += ", campaign: " + b.unsubCampaign
		}
		b.c.Consents = append(b.c.Consents, gdpr.ConsentRecord{Purpose: purpose, Granted: false, At: at, Method: method})
		b.c.MarketingObjection = at
	}
	b.outcome = state
	return nil
}

func timeSuffix(t time.Time, ok bool) string {
	if !ok {
		return ""
	}
	return " at " + t.Format(timeLayout)
}

// The Mailchimp audience export's member files (ImportOptions.Member).
const (
	MemberSubscribed   = "subscribed"
	MemberUnsubscribed = "unsubscribed"
	MemberCleaned      = "cleaned"
)
