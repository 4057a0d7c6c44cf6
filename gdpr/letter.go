package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// LetterKind is a letter the desk writes to a person (SPEC §11): one for
// each step of a request, and the notice of a breach (Art. 34).
type LetterKind string

// The letter kinds.
const (
	// LetterAck acknowledges a request and says by when it is answered
	// (Art. 12(3)).
	LetterAck LetterKind = "ack"
	// LetterIdentity asks for what confirms the person's identity
	// (Art. 12(6)).
	LetterIdentity LetterKind = "identity"
	// LetterExtension tells of the one extension, with its reasons
	// (Art. 12(3)).
	LetterExtension LetterKind = "extension"
	// LetterRefusal gives the reasons of a denial and the right to
	// complain and to a judicial remedy (Art. 12(4), 77, 79).
	LetterRefusal LetterKind = "refusal"
	// LetterCompletion says what was done (with the package for access
	// and portability).
	LetterCompletion LetterKind = "completion"
	// LetterBreach tells a person of a breach likely to put them at high
	// risk (Art. 34(2)).
	LetterBreach LetterKind = "breach"
)

// LetterKinds lists every kind, the request steps first.
func LetterKinds() []LetterKind {
	return []LetterKind{LetterAck, LetterIdentity, LetterExtension, LetterRefusal, LetterCompletion, LetterBreach}
}

// ParseLetterKind reads a letter kind case-insensitively.
func ParseLetterKind(s string) (LetterKind, error) {
	v := LetterKind(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range LetterKinds() {
		if k == v {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown letter kind %q: use ack, identity, extension, refusal, completion or breach", s)
}

// The actions of letters and the outbox (SPEC §11), named as their audit
// entries name them: writing a letter hands personal data out (as an
// export does), and every change of an outbox message is audited.
const (
	ActionLetterWrite   Action = "letter.write"
	ActionMessageQueue  Action = "message.queue"
	ActionMessageSend   Action = "message.send"
	ActionMessageSent   Action = "message.sent"
	ActionMessageFailed Action = "message.failed"
)

// LetterFits says whether a letter of the kind fits where the request
// stands at now, and when it does not, why (nil when it fits). c is the
// person's contact as it stands, nil when the request names none:
//
//   - ack: the request is open, not extended and not past its due date
//     (Art. 12(3): it says the answer comes within one month, by the due
//     date; once extended the extension letter tells the new date, and a
//     date already past is no promise);
//   - identity: the request is open and identity is not confirmed yet
//     (Art. 12(6)), and it is not an objection to direct marketing or an
//     opt-out, which take effect at once whoever asked (Art. 21(3);
//     NeedsIdentityCheck);
//   - extension: the request was extended and is still open (Art. 12(3):
//     the person is told, with the reasons, within the first month);
//   - refusal: the request was denied (Art. 12(4));
//   - completion: the request was completed and what it asked for is done
//     (CompletionDone: the letter says it was), or it is an access or
//     portability request whose package is recorded on it (the letter
//     carries the answer, Art. 15(3), Art. 20);
//   - breach: never for a request (it is about a breach, Art. 34).
func LetterFits(kind LetterKind, r Request, c *Contact, now time.Time) error {
	switch kind {
	case LetterAck:
		if !r.Status.Open() {
			return fmt.Errorf("request %s is already %s: an acknowledgement is for an open request", r.ID, r.Status)
		}
		if r.Extension != nil {
			return fmt.Errorf("request %s was extended to %s: an acknowledgement would promise an answer within one month; send the extension letter", r.ID, r.Due.Format(time.DateOnly))
		}
		if r.Overdue(now) {
			return fmt.Errorf("request %s was due on %s: an acknowledgement would give a date already past; answer the request", r.ID, r.Due.Format(time.DateOnly))
		}
	case LetterIdentity:
		if !r.Status.Open() {
			return fmt.Errorf("request %s is already %s: identity is asked for while it is open", r.ID, r.Status)
		}
		if r.Verified != nil {
			return fmt.Errorf("request %s: the person's identity is already confirmed", r.ID)
		}
		if !r.NeedsIdentityCheck() {
			return fmt.Errorf("request %s is an objection to direct marketing: it takes effect at once whoever asked (Art. 21(3)), so no proof of identity is asked (Art. 12(6))", r.ID)
		}
	case LetterExtension:
		if r.Extension == nil {
			return fmt.Errorf("request %s was not extended: extend it first (request extend %s --reason … --told DATE)", r.ID, r.ID)
		}
		if !r.Status.Open() {
			return fmt.Errorf("request %s is already %s: an extension notice is for an open request", r.ID, r.Status)
		}
	case LetterRefusal:
		if r.Status != StatusDenied {
			return fmt.Errorf("request %s is %s, not denied: a refusal letter answers a denied request (request close %s --outcome denied …)", r.ID, r.Status, r.ID)
		}
	case LetterCompletion:
		switch {
		case r.Status == StatusCompleted:
			if err := CompletionDone(r, c); err != nil {
				return fmt.Errorf("the letter would say it was done: %w", err)
			}
		case r.Status.Open() && (r.Type == RequestAccess || r.Type == RequestPortability) && r.ExportSHA256 != "":
		case r.Status == StatusDenied:
			return fmt.Errorf("request %s was denied: send the refusal letter", r.ID)
		case r.Type == RequestAccess || r.Type == RequestPortability:
			return fmt.Errorf("request %s has no package recorded: export access --request %s first, or complete it", r.ID, r.ID)
		default:
			return fmt.Errorf("request %s is %s: a completion letter is for a completed request", r.ID, r.Status)
		}
	case LetterBreach:
		return errors.New("a breach notice is about a breach, not a request")
	default:
		return fmt.Errorf("unknown letter kind %q", kind)
	}
	return nil
}

// LetterLanguages are the languages every letter is written in (SPEC §11).
func LetterLanguages() []string {
	return []string{"en", "de", "fr", "es", "it", "nl", "pl", "pt"}
}

// countryLanguage is the letter language of a country whose main
// language is one of the letters'. Switzerland writes German and Belgium
// Dutch, the language of most of their people; Luxembourg writes French,
// the language of its administration. English-speaking countries write
// English (without them the settings' default, say German, would answer
// a person in Dublin or London): Canada is bilingual and writes English,
// the language of most of its people, as Switzerland writes German. A
// contact's language field, when set, always decides first.
var countryLanguage = map[string]string{
	"GB": "en", "IE": "en", "MT": "en", "US": "en", "CA": "en", "AU": "en", "NZ": "en", "ZA": "en",
	"IN": "en", "SG": "en", "JM": "en", "TT": "en", "BS": "en", "BB": "en", "GI": "en", "IM": "en", "JE": "en", "GG": "en",
	"DE": "de", "AT": "de", "LI": "de", "CH": "de",
	"FR": "fr", "MC": "fr", "LU": "fr",
	"BE": "nl", "NL": "nl", "SR": "nl",
	"ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "PE": "es", "VE": "es", "EC": "es",
	"GT": "es", "CU": "es", "BO": "es", "DO": "es", "HN": "es", "PY": "es", "SV": "es", "NI": "es",
	"CR": "es", "PA": "es", "UY": "es",
	"IT": "it", "SM": "it", "VA": "it",
	"PL": "pl",
	"PT": "pt", "BR": "pt", "AO": "pt", "MZ": "pt", "CV": "pt",
}

// LetterLanguage chooses the language of a letter (SPEC §11): the
// contact's language field when it names a letter language (a tag such
// as de-AT counts as de), else the language of their country, else the
// settings' default, else English.
func LetterLanguage(contactLanguage, contactCountry, defaultLang string) string {
	if l := letterLang(contactLanguage); l != "" {
		return l
	}
	if l := countryLanguage[strings.ToUpper(strings.TrimSpace(contactCountry))]; l != "" {
		return l
	}
	if l := letterLang(defaultLang); l != "" {
		return l
	}
	return "en"
}

// NormalizeLetterLanguage reads a language for a letter (--lang): a tag
// whose base is one of the letter languages.
func NormalizeLetterLanguage(v string) (string, error) {
	if l := letterLang(v); l != "" {
		return l, nil
	}
	return "", fmt.Errorf("letters are written in %s, not %q", strings.Join(LetterLanguages(), ", "), v)
}

// letterLang is the letter language a tag names, "" when none.
func letterLang(v string) string {
	v = strings.ReplaceAll(strings.TrimSpace(v), "_", "-")
	if v == "" {
		return ""
	}
	tag, err := language.Parse(v)
	if err != nil {
		return ""
	}
	base, _ := tag.Base()
	for _, l := range LetterLanguages() {
		if base.String() == l {
			return l
		}
	}
	return ""
}

// MessageState is where a message of the outbox stands (SPEC §11).
type MessageState string

// The states of an outbox message. queued → sending → sent | failed |
// queued: a permanent refusal by the server (an SMTP reply 5yz, RFC 5321
// §4.2.1) makes it failed; anything else that stops delivery (the server
// down, a timeout, a 4yz transient reply, TLS trouble) puts it back to
// queued, with the reason, to be sent later. A queued or failed message
// may be tried again (→ sending); sent is final, so a message is never
// sent twice.
const (
	MessageQueued  MessageState = "queued"
	MessageSending MessageState = "sending"
	MessageSent    MessageState = "sent"
	MessageFailed  MessageState = "failed"
)

// CanMoveMessage checks a change of a message's state: only a queued or
// failed message is handed to the server, and only one being sent can
// become sent, failed, or queued again (a transient failure). A message marked sending whose result was never
// recorded (the program stopped meanwhile) may go back to sending only
// when the operator says so (interrupted): the server may have taken it.
func CanMoveMessage(from, to MessageState, interrupted bool) error {
	switch {
	case to == MessageSending && (from == MessageQueued || from == MessageFailed):
	case to == MessageSending && from == MessageSending && interrupted:
	case (to == MessageSent || to == MessageFailed || to == MessageQueued) && from == MessageSending:
	case from == MessageSent:
		return errors.New("the message was sent already: it is never sent twice")
	default:
		return fmt.Errorf("a message cannot go from %s to %s", from, to)
	}
	return nil
}
