package desk

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// BreachStore is what the breach register's use cases read and change;
// *store.Store satisfies it.
type BreachStore interface {
	Settings() (gdpr.Settings, error)
	Breaches() ([]gdpr.Breach, error)
	Breach(id gdpr.BreachID) (gdpr.Breach, error)
	AddBreach(operator string, b gdpr.Breach) (gdpr.BreachID, error)
	UpdateBreach(operator string, id gdpr.BreachID, action gdpr.Action, detail string, fn func(b *gdpr.Breach) error) error
	Count(q gdpr.Query) (int64, error)
}

// AddBreach records a breach (Art. 33(5)). A breach whose people are given
// as a query and not as a number counts the contacts matching it now.
func AddBreach(s BreachStore, operator string, b gdpr.Breach) (gdpr.BreachID, error) {
	if q := strings.TrimSpace(b.Query); q != "" && b.People == 0 {
		parsed, err := gdpr.ParseQuery(q)
		if err != nil {
			return 0, err
		}
		settings, err := s.Settings()
		if err != nil {
			return 0, err
		}
		n, err := s.Count(parsed.Resolve(settings))
		if err != nil {
			return 0, fmt.Errorf("count the contacts of the breach: %w", err)
		}
		b.People = int(n)
	}
	return s.AddBreach(operator, b)
}

// EditBreach changes a breach's facts through fn (risk, counts, texts);
// the steps taken (the notification, telling the people) are recorded by
// NotifyBreach and InformBreach only and are kept as they were. Once the
// authority was told, the time of awareness cannot change
// (gdpr.CheckBreachEdit); the audit entry names the old and new awareness
// and risk when they changed (gdpr.BreachEditDetail), never the texts. A
// time of awareness given to the minute, as forms show it, that matches
// the recorded one to the minute is the recorded one.
func EditBreach(s BreachStore, operator string, id gdpr.BreachID, fn func(b *gdpr.Breach)) error {
	// The detail is worked out from the breach as read; the change is
	// made only if the transaction sees the same awareness and risk.
	old, err := s.Breach(id)
	if err != nil {
		return err
	}
	next := old
	fn(&next)
	next.AwareAt = sameMinute(next.AwareAt, old.AwareAt)
	if err := gdpr.CheckBreachEdit(old, next); err != nil {
		return err
	}
	return s.UpdateBreach(operator, id, gdpr.ActionBreachEdit, gdpr.BreachEditDetail(old, next), func(b *gdpr.Breach) error {
		if !b.AwareAt.Equal(old.AwareAt) || b.Risk != old.Risk || !b.NotifiedAt.Equal(old.NotifiedAt) {
			return fmt.Errorf("%s changed meanwhile: try again", id)
		}
		before := *b
		notified, ref, late, lateFlag, informed := b.NotifiedAt, b.NotifyRef, b.LateReason, b.NotifiedLate, b.InformedAt
		fn(b)
		b.NotifiedAt, b.NotifyRef, b.LateReason, b.NotifiedLate, b.InformedAt = notified, ref, late, lateFlag, informed
		b.AwareAt = sameMinute(b.AwareAt, before.AwareAt)
		return gdpr.CheckBreachEdit(before, *b)
	})
}

// sameMinute is t in UTC, or was when t, given to the minute, is was
// cut to the minute.
func sameMinute(t, was time.Time) time.Time {
	if t.Second() == 0 && t.Nanosecond() == 0 && t.Equal(was.Truncate(time.Minute)) {
		return was
	}
	return t.UTC()
}

// NotifyBreach records that the authority was told at at (zero: now), with
// its reference; after the 72 hours the reasons for the delay are required
// (gdpr.ValidateNotify, Art. 33(1)).
func NotifyBreach(s BreachStore, operator string, id gdpr.BreachID, at time.Time, ref, lateReason string, now time.Time) error {
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	detail := "authority told at " + at.Format(time.RFC3339)
	return s.UpdateBreach(operator, id, gdpr.ActionBreachNotify, detail, func(b *gdpr.Breach) error {
		if err := gdpr.ValidateNotify(*b, at, lateReason); err != nil {
			return err
		}
		b.NotifiedAt, b.NotifyRef = at, strings.TrimSpace(ref)
		if at.After(b.Due()) { // fixed now: a later edit cannot make it on time
			b.LateReason, b.NotifiedLate = strings.TrimSpace(lateReason), true
		}
		return nil
	})
}

// NoNotifyBreach records why a breach without risk is not notified
// (gdpr.ValidateNoNotify, Art. 33(1), 33(5)).
func NoNotifyBreach(s BreachStore, operator string, id gdpr.BreachID, reason string) error {
	return s.UpdateBreach(operator, id, gdpr.ActionBreachNotify, "not notified: no risk (reason recorded)", func(b *gdpr.Breach) error {
		if err := gdpr.ValidateNoNotify(*b, reason); err != nil {
			return err
		}
		b.NoNotifyReason = strings.TrimSpace(reason)
		return nil
	})
}

// InformBreach records that the people were told (Art. 34(1)) at at (zero:
// now), or — none — why they are not told, a reason of Art. 34(3)
// (gdpr.ValidateInform).
func InformBreach(s BreachStore, operator string, id gdpr.BreachID, at time.Time, none bool, reason string, now time.Time) error {
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	detail := "people told at " + at.Format(time.RFC3339)
	if none {
		detail = "people not told (Art. 34(3) reason recorded)"
	}
	return s.UpdateBreach(operator, id, gdpr.ActionBreachInform, detail, func(b *gdpr.Breach) error {
		if err := gdpr.ValidateInform(*b, at, none, reason); err != nil {
			return err
		}
		if none {
			b.NoInformReason = strings.TrimSpace(reason)
		} else {
			b.InformedAt = at
		}
		return nil
	})
}

// UrgentBreach is the breach the dashboard puts above everything else,
// with its hours left at now (gdpr.UrgentBreach); ok is false when no
// breach is open.
func UrgentBreach(s BreachStore, now time.Time) (b gdpr.Breach, hoursLeft int, ok bool, err error) {
	list, err := s.Breaches()
	if err != nil {
		return b, 0, false, err
	}
	b, ok = gdpr.UrgentBreach(list)
	if !ok {
		return b, 0, false, nil
	}
	return b, b.HoursLeft(now), true, nil
}

// breachNoticeData is what assets/templates/breach-authority.en.txt uses.
type breachNoticeData struct {
	ID, Risk, Aware, Due, Today                    string
	Late                                           bool
	LateReason                                     string
	What, PeopleCategories, DataCategories         string
	People, Records                                int
	Consequences, Measures                         string
	Controller, ControllerEmail, ControllerAddress string
	ContactName, ContactEmail, ContactRole         string
	Informed, NoInformReason                       string
}

// BreachNotice writes the draft notification to the supervisory authority
// from the breach record, with the contents of Art. 33(3): the nature of
// the breach (categories and approximate numbers of people and records),
// the contact point (the DPO, else the controller), the likely
// consequences and the measures taken or proposed. Times are in UTC; a
// draft made after the 72 hours asks for the reasons for the delay.
func BreachNotice(s BreachStore, id gdpr.BreachID, now time.Time) (string, error) {
	b, err := s.Breach(id)
	if err != nil {
		return "", err
	}
	settings, err := s.Settings()
	if err != nil {
		return "", err
	}
	return renderBreachNotice(b, settings, now)
}

func renderBreachNotice(b gdpr.Breach, st gdpr.Settings, now time.Time) (string, error) {
	const layout = "2006-01-02 15:04 UTC"
	d := breachNoticeData{ID: b.ID.String(), Risk: string(b.Risk), Aware: b.AwareAt.UTC().Format(layout), Due: b.Due().Format(layout),
		Today: now.UTC().Format(time.DateOnly), LateReason: b.LateReason,
		What: b.What, PeopleCategories: strings.Join(b.PeopleCategories, ", "), DataCategories: strings.Join(b.DataCategories, ", "),
		People: b.People, Records: b.Records, Consequences: b.Consequences, Measures: b.Measures,
		Controller: st.Controller.Name, ControllerEmail: st.Controller.Email, ControllerAddress: st.Controller.Address,
		NoInformReason: b.NoInformReason}
	switch b.Risk {
	case gdpr.RiskNone:
		d.Risk = "unlikely to result in a risk to the rights and freedoms of people"
	case gdpr.RiskSome:
		d.Risk = "a risk to the rights and freedoms of people"
	case gdpr.RiskHigh:
		d.Risk = "a high risk to the rights and freedoms of people"
	}
	sent := now
	if !b.NotifiedAt.IsZero() {
		sent = b.NotifiedAt
	}
	d.Late = sent.After(b.Due())
	if st.DPO.Filled() {
		d.ContactRole, d.ContactName, d.ContactEmail = "Data Protection Officer", st.DPO.Name, st.DPO.Email
	} else {
		d.ContactRole, d.ContactName, d.ContactEmail = "Contact point", st.Controller.Name, st.Controller.Email
	}
	if !b.InformedAt.IsZero() {
		d.Informed = b.InformedAt.UTC().Format(layout)
	}
	tmpl, err := fs.ReadFile(assets.FS, "templates/breach-authority.en.txt")
	if err != nil {
		return "", fmt.Errorf("breach notice template: %w", err)
	}
	t, err := template.New("breach-authority").Option("missingkey=error").Parse(string(tmpl))
	if err != nil {
		return "", fmt.Errorf("breach notice template: %w", err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, d); err != nil {
		return "", fmt.Errorf("breach notice %s: %w", b.ID, err)
	}
	return out.String(), nil
}

// BreachLetterStore is what writing the notices of a breach to the people
// reads and records; *store.Store satisfies it.
type BreachLetterStore interface {
	BreachStore
	Contacts(q gdpr.Query, after store.Cursor, limit int) (store.Page, error)
	RecordBreachLetters(operator string, id gdpr.BreachID, letters []store.BreachLetter) (erased []gdpr.ContactID, err error)
}

// BreachLettersRequest says whose breach to write the notices of, and where.
type BreachLettersRequest struct {
	Operator string
	Breach   gdpr.BreachID
	// Dir is where the letters are written, letter-B2-C12-DATE.txt and
	// .eml (numbered when that exists); "" is the current directory. It
	// is made (0700) when missing.
	Dir string
	// Templates are the embedded templates (nil: assets.FS); DataDir's
	// templates/letters override them ("" none).
	Templates fs.FS
	DataDir   string
	Now       time.Time
}

// BreachLettersResult counts what BreachLetters wrote. Paths are not
// kept: a breach may concern many people, and a path names a contact.
type BreachLettersResult struct {
	Letters  int            // people written to (a .txt each)
	Drafts   int            // of whom with an email draft (.eml)
	NoEmail  int            // of whom without an address: the text only
	Skipped  int            // erased contacts the query matched: no letter
	NoSender bool           // the settings name no sender: no email drafts
	ByLang   map[string]int // letters per language
	Dir      string         // where they are
	Breach   gdpr.Breach
	Matching int64 // contacts the query matched when the run began
}

// ErrBreachNoQuery is BreachLetters on a breach that does not say whom it
// concerns: the letters need the contacts, named by the breach's query.
var ErrBreachNoQuery = errors.New("the breach has no query naming the contacts concerned, so there is no one to write to: " +
	"record one (breach edit ID --query …, or c on the breach in the registers screen), then write the letters")

// breachLettersChunk is how many letters are written and then recorded
// in one transaction.
const breachLettersChunk = 200

// BreachLetters writes the notice of a breach to each person it concerns
// (Art. 34(2)): the contacts matching the breach's query that are not
// erased, each in their language (gdpr.LetterLanguage: the contact's, else
// their country's, else the settings' default), as text and, for a person
// with an address, an email draft to send. The files hold the person's
// data, so no file is on disk with it unregistered: for each chunk of
// letters the names are taken first (empty files, naming only the breach
// and the contact id), then registered on their contacts (store/files.go)
// with their audit entries in one transaction, and only then filled; a
// stop in between leaves empty files or registered files that are missing,
// which an erasure copes with. A contact the store finds erased when the
// chunk is recorded gets no letter (its empty files are removed). When a
// record fails, that chunk's files are removed. It does not record that
// the people were told: that is done when the letters went out
// (InformBreach).
func BreachLetters(s BreachLetterStore, in BreachLettersRequest) (BreachLettersResult, error) {
	out := BreachLettersResult{ByLang: map[string]int{}, Dir: in.Dir}
	b, err := s.Breach(in.Breach)
	if err != nil {
		return out, err
	}
	out.Breach = b
	if strings.TrimSpace(b.Query) == "" {
		return out, fmt.Errorf("%s: %w", b.ID, ErrBreachNoQuery)
	}
	parsed, err := gdpr.ParseQuery(b.Query)
	if err != nil {
		// The query is sealed with the breach: its terms may name people,
		// so they are not repeated here.
		return out, fmt.Errorf("%s: the breach's query no longer reads as a query (see it with gdprdesk breach show %s and record a new one)", b.ID, b.ID)
	}
	st, err := s.Settings()
	if err != nil {
		return out, fmt.Errorf("read the settings: %w", err)
	}
	q := parsed.Resolve(st)
	if out.Matching, err = s.Count(q); err != nil {
		return out, fmt.Errorf("count the contacts of %s: %w", b.ID, err)
	}
	if out.Matching == 0 {
		return out, fmt.Errorf("%s: no contact matches the breach's query: no letter to write", b.ID)
	}
	if in.Dir != "" {
		if err := os.MkdirAll(in.Dir, 0o700); err != nil {
			return out, fmt.Errorf("make the letters' folder: %w", err)
		}
	}
	loc := st.Location(time.UTC)
	aware := b.AwareAt.In(loc).Format(time.DateOnly)
	from := senderOf(st)
	out.NoSender = from.Address == ""
	var after store.Cursor
	for {
		page, err := s.Contacts(q, after, breachLettersChunk)
		if err != nil {
			return out, fmt.Errorf("read the contacts of %s: %w", b.ID, err)
		}
		var chunk []store.BreachLetter
		var letters []breachLetterFiles
		undo := func(err error) (BreachLettersResult, error) {
			for _, l := range letters {
				l.remove()
			}
			return out, err
		}
		for _, c := range page.Contacts {
			if c.Status == gdpr.ContactAnonymized {
				out.Skipped++
				continue
			}
			d := BreachLetterData(c, st, "", in.Now)
			d.BreachWhat, d.BreachAware, d.BreachConsequences, d.BreachMeasures = b.What, aware, b.Consequences, b.Measures
			subject, body, err := ExecuteLetter(in.Templates, in.DataDir, d)
			if err != nil {
				return undo(err)
			}
			text := []byte("Subject: " + subject + "\n\n" + body)
			base := fmt.Sprintf("letter-%s-%s-%s", b.ID, c.ID, in.Now.In(loc).Format(time.DateOnly))
			l := breachLetterFiles{contact: c.ID, lang: d.Lang, noEmail: d.Email == ""}
			var eml []byte
			if d.Email != "" && !out.NoSender {
				ml := Letter{Kind: gdpr.LetterBreach, Lang: d.Lang, Subject: subject, Body: body, Data: d,
					From: from, To: mailAddress(d.Name, d.Email)}
				if eml, err = ml.EML(in.Now); err != nil {
					return undo(err)
				}
			}
			// Take the names: empty files, nothing of the person's in them.
			path, err := writeUnique(in.Dir, base, ".txt", nil)
			if err != nil {
				return undo(err)
			}
			l.paths, l.data = append(l.paths, path), append(l.data, text)
			letters = append(letters, l)
			f, err := registered(store.FileLetter, "txt", path, text)
			if err != nil {
				return undo(err)
			}
			files := []store.WrittenFile{f}
			if eml != nil {
				emlPath := strings.TrimSuffix(path, ".txt") + ".eml"
				if err := createNew(emlPath, nil); err != nil {
					return undo(err)
				}
				l.paths, l.data = append(l.paths, emlPath), append(l.data, eml)
				letters[len(letters)-1] = l
				if f, err = registered(store.FileEmailDraft, "eml", emlPath, eml); err != nil {
					return undo(err)
				}
				files = append(files, f)
			}
			chunk = append(chunk, store.BreachLetter{Contact: c.ID, Lang: d.Lang, Files: files})
		}
		if len(chunk) > 0 {
			erased, err := s.RecordBreachLetters(in.Operator, b.ID, chunk)
			if err != nil {
				return undo(fmt.Errorf("record the letters of %s (the %d of this chunk were removed; %d written before are kept and recorded): %w",
					b.ID, len(letters), out.Letters, err))
			}
			gone := map[gdpr.ContactID]bool{}
			for _, id := range erased {
				gone[id] = true
			}
			for i, l := range letters {
				if gone[l.contact] {
					l.remove() // empty, and not registered
					out.Skipped++
					continue
				}
				if err := l.fill(); err != nil {
					for _, rest := range letters[i:] {
						rest.remove() // registered; an erasure copes with a missing file
					}
					return out, fmt.Errorf("write the letters of %s (those of this chunk not yet written were removed; write them again): %w", b.ID, err)
				}
				out.Letters++
				out.ByLang[l.lang]++
				if len(l.paths) > 1 {
					out.Drafts++
				} else if l.noEmail {
					out.NoEmail++
				}
			}
		}
		if !page.More {
			break
		}
		after = page.Next
	}
	if out.Letters == 0 {
		return out, fmt.Errorf("%s: every contact the query matches is erased: no letter to write", b.ID)
	}
	return out, nil
}

// breachLetterFiles is one person's breach letter: the names taken (empty
// files) and what goes in them once they are registered.
type breachLetterFiles struct {
	contact gdpr.ContactID
	lang    string
	noEmail bool
	paths   []string // the .txt, then the .eml if any
	data    [][]byte
}

func (l breachLetterFiles) remove() {
	for _, p := range l.paths {
		os.Remove(p)
	}
}

// fill writes the letter into the files whose names were taken.
func (l breachLetterFiles) fill() error {
	for i, p := range l.paths {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		_, werr := f.Write(l.data[i])
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("write %s: %w", p, werr)
		}
	}
	return nil
}

// Summary says in one line what BreachLetters wrote, for the command line
// and the status line: counts and the folder, no names.
func (r BreachLettersResult) Summary() string {
	var langs []string
	for _, l := range gdpr.LetterLanguages() {
		if n := r.ByLang[l]; n > 0 {
			langs = append(langs, fmt.Sprintf("%s %d", l, n))
		}
	}
	dir := r.Dir
	if dir == "" {
		dir = "."
	}
	s := fmt.Sprintf("Wrote the notice of %s to %d people (%s) in %s: %d email drafts to send", r.Breach.ID, r.Letters,
		strings.Join(langs, ", "), dir, r.Drafts)
	if r.NoSender {
		s += " (none: the settings have no controller email to send from; fill it in under Settings and write them again)"
	} else if r.NoEmail > 0 {
		s += fmt.Sprintf(", %d letters to post (no address)", r.NoEmail)
	}
	if r.Skipped > 0 {
		s += fmt.Sprintf("; %d erased contacts skipped", r.Skipped)
	}
	return s
}

// WriteBreachNotice writes the draft notification to the authority
// (BreachNotice, Art. 33(3)) into dir under a new name,
// breach-B2-authority-DATE.txt (numbered when that exists; "" is the
// current directory), and returns its path.
func WriteBreachNotice(s BreachStore, id gdpr.BreachID, dir string, now time.Time) (string, error) {
	text, err := BreachNotice(s, id, now)
	if err != nil {
		return "", err
	}
	return writeUnique(dir, fmt.Sprintf("breach-%s-authority-%s", id, now.UTC().Format(time.DateOnly)), ".txt", []byte(text))
}
