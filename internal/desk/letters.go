package desk

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/exporters"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// Letters to the person (SPEC §11): the data a letter template sees
// (LetterData, the contract of assets/templates/letters), rendering it in
// the person's language, and the email it makes.

// LetterData is what a letter template can use (fields as .Field). Every
// text is a string, "" when it does not apply; dates are ISO (2026-12-01).
type LetterData struct {
	Kind string // ack, identity, extension, refusal, completion or breach
	Lang string // the letter's language: en, de, fr, es, it, nl, pl or pt

	Type  string // the request's type (access, …); "" for a breach notice
	Scope string // an objection's scope: marketing or processing

	RequestID string // R12
	Received  string // the date the request was received
	Due       string // the current due date (after an extension, the new one)
	Today     string

	Name  string // the person's full name; "" when unknown or erased
	Email string

	Controller        string // the business's name, else its email
	ControllerEmail   string
	ControllerAddress string
	DPOName           string
	DPOEmail          string

	IdentityNote    string // identity: what proof is asked (operator's words)
	ExtensionReason string // extension: why (operator's words)
	Ground          string // refusal: the ground's code (gdpr.DenialGround)
	Reason          string // refusal: the reasons (operator's words)

	// completion of access or portability: the package.
	FileName   string
	FormatName string // in the letter's language, e.g. "Excel-Arbeitsmappe"
	SHA256     string
	Protected  bool // the password comes separately, never in the letter

	Kept string // completion of an erasure: what the law obliges to keep, and why

	// breach (Art. 34(2)).
	BreachWhat         string
	BreachAware        string
	BreachConsequences string
	BreachMeasures     string
}

// formatNames names the package's format in each letter language, by the
// file's extension.
var formatNames = map[string]map[string]string{
	"en": {".xlsx": "Excel workbook", ".zip": "ZIP archive of CSV files", ".json": "JSON file"},
	"de": {".xlsx": "Excel-Arbeitsmappe", ".zip": "ZIP-Archiv mit CSV-Dateien", ".json": "JSON-Datei"},
	"fr": {".xlsx": "classeur Excel", ".zip": "archive ZIP de fichiers CSV", ".json": "fichier JSON"},
	"es": {".xlsx": "libro de Excel", ".zip": "archivo ZIP de ficheros CSV", ".json": "archivo JSON"},
	"it": {".xlsx": "cartella di lavoro Excel", ".zip": "archivio ZIP di file CSV", ".json": "file JSON"},
	"nl": {".xlsx": "Excel-werkmap", ".zip": "ZIP-archief met CSV-bestanden", ".json": "JSON-bestand"},
	"pl": {".xlsx": "skoroszyt Excel", ".zip": "archiwum ZIP z plikami CSV", ".json": "plik JSON"},
	"pt": {".xlsx": "livro do Excel", ".zip": "arquivo ZIP com ficheiros CSV", ".json": "ficheiro JSON"},
}

// FormatName names a package's format in a letter language by its file
// name ("" for an unknown extension).
func FormatName(lang, fileName string) string {
	return formatNames[lang][strings.ToLower(filepath.Ext(fileName))]
}

// LetterTemplateDir is where letter templates are, under the embedded
// assets and under a data directory (DIR/templates/letters overrides the
// embedded file of the same name).
const LetterTemplateDir = "templates/letters"

// ExecuteLetter renders a letter of d.Kind in d.Lang: the templates
// _common.L.txt and KIND.L.txt, each read from dataDir's
// templates/letters when a file of that name is there, else from
// embedded (nil is assets.FS). The output's first line is "Subject: …",
// then a blank line, then the body. Any field the templates name that
// LetterData lacks, or any template error, fails with the template's name.
func ExecuteLetter(embedded fs.FS, dataDir string, d LetterData) (subject, body string, err error) {
	if embedded == nil {
		embedded = assets.FS
	}
	kindName := d.Kind + "." + d.Lang + ".txt"
	commonName := "_common." + d.Lang + ".txt"
	read := func(name string) (string, error) {
		if dataDir != "" {
			b, err := os.ReadFile(filepath.Join(dataDir, filepath.FromSlash(LetterTemplateDir), name))
			if err == nil {
				return string(b), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("read the letter template %s: %w", name, err)
			}
		}
		b, err := fs.ReadFile(embedded, path.Join(LetterTemplateDir, name))
		if err != nil {
			return "", fmt.Errorf("no letter template %s (kind %s in language %s): %w", name, d.Kind, d.Lang, err)
		}
		return string(b), nil
	}
	common, err := read(commonName)
	if err != nil {
		return "", "", err
	}
	kind, err := read(kindName)
	if err != nil {
		return "", "", err
	}
	t := template.New(kindName).Option("missingkey=error")
	if _, err := t.New(commonName).Parse(common); err != nil {
		return "", "", fmt.Errorf("letter template %s: %w", commonName, err)
	}
	if _, err := t.Parse(kind); err != nil {
		return "", "", fmt.Errorf("letter template %s: %w", kindName, err)
	}
	var out strings.Builder
	if err := t.ExecuteTemplate(&out, kindName, d); err != nil {
		return "", "", fmt.Errorf("letter template %s: %w", kindName, err)
	}
	return splitLetter(kindName, out.String())
}

// splitLetter splits a rendered letter into its subject (the first line,
// "Subject: …") and its body (after the blank line that follows).
func splitLetter(name, text string) (subject, body string, err error) {
	text = strings.TrimLeft(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	first, rest, _ := strings.Cut(text, "\n")
	s, ok := strings.CutPrefix(first, "Subject:")
	if !ok {
		return "", "", fmt.Errorf(`letter template %s: the first line must be "Subject: …"`, name)
	}
	if subject = strings.TrimSpace(s); subject == "" {
		return "", "", fmt.Errorf("letter template %s: the subject is empty", name)
	}
	body = strings.TrimRight(strings.TrimLeft(rest, "\n"), "\n \t")
	if body == "" {
		return "", "", fmt.Errorf("letter template %s: the body is empty", name)
	}
	return subject, body + "\n", nil
}

// EditedLetter reads a letter the operator edited as text: the first
// line "Subject: …", a blank line, then the body (as the preview and the
// written .txt show it). Its results go in LetterRequest.Subject and Body.
func EditedLetter(text string) (subject, body string, err error) {
	subject, body, err = splitLetter("", text)
	if err != nil {
		return "", "", errors.New(`the edited letter must start with a line "Subject: …", then a blank line, then its text`)
	}
	return subject, body, nil
}

// LetterStore is what rendering a letter reads; *store.Store satisfies it.
type LetterStore interface {
	Request(id gdpr.RequestID) (gdpr.Request, error)
	Contact(id gdpr.ContactID) (gdpr.Contact, error)
	Settings() (gdpr.Settings, error)
	WrittenFiles(ids ...gdpr.ContactID) ([]store.WrittenFile, error)
}

// Attachment is a file that goes with a letter.
type Attachment struct {
	Name string // the file name the person sees
	Data []byte
}

// LetterRequest says which letter to write.
type LetterRequest struct {
	Kind    gdpr.LetterKind
	Request gdpr.RequestID
	// Lang overrides the language the rule chooses (gdpr.LetterLanguage).
	Lang string
	// IdentityNote (identity letter) says what proof is asked; Kept
	// (completion of an erasure) what the law obliges to keep and why.
	// Both are the operator's words, put in as given.
	IdentityNote, Kept string
	// Attachment is the package to attach to a completion letter of an
	// access or portability request; nil takes the package recorded on
	// the request from the register of written files.
	Attachment *Attachment
	// Subject and Body, when Body is not blank, replace what the
	// templates wrote: the letter as the operator edited it (the TUI lends
	// $EDITOR; EditedLetter reads the text back), written or sent as
	// edited. The kind must still fit the request, and the addressee and
	// the attachment are the rendered letter's. An empty Subject keeps the
	// template's. The command line does not set them.
	Subject, Body string
	// Templates are the embedded templates (nil: assets.FS); DataDir's
	// templates/letters override them ("" none).
	Templates fs.FS
	DataDir   string
	Now       time.Time
}

// Letter is a rendered letter, ready to be written or sent.
type Letter struct {
	Kind          gdpr.LetterKind
	Lang          string
	Subject, Body string
	Data          LetterData
	Request       gdpr.Request
	From, To      mail.Address
	// Attachment is the package (completion of access or portability),
	// nil when there is none or its file could not be found (Notes says
	// so).
	Attachment *Attachment
	Notes      []string
	// Edited says that Subject and Body are the operator's
	// (LetterRequest.Body), not the templates'.
	Edited bool
}

// RenderLetter writes a letter for a request (SPEC §11): it checks that
// the kind fits where the request stands (gdpr.LetterFits), fills the
// data from the request, the contact (who may have been erased: then no
// name or address is left), the settings and the package recorded on the
// request, chooses the language (the contact's, else their country's,
// else the settings' default; LetterRequest.Lang overrides) and renders
// the templates.
func RenderLetter(s LetterStore, in LetterRequest) (Letter, error) {
	var l Letter
	r, err := s.Request(in.Request)
	if err != nil {
		return l, fmt.Errorf("read request %s: %w", in.Request, err)
	}
	var c gdpr.Contact
	var person *gdpr.Contact // nil: the request names no contact
	if r.Contact != 0 {
		if c, err = s.Contact(r.Contact); err != nil {
			return l, fmt.Errorf("read contact %s: %w", r.Contact, err)
		}
		person = &c
	}
	if err := gdpr.LetterFits(in.Kind, r, person, in.Now); err != nil {
		return l, err
	}
	st, err := s.Settings()
	if err != nil {
		return l, fmt.Errorf("read the settings: %w", err)
	}
	lang := gdpr.LetterLanguage(c.Language, c.Country, st.Language)
	if in.Lang != "" {
		if lang, err = gdpr.NormalizeLetterLanguage(in.Lang); err != nil {
			return l, err
		}
	}
	d := letterData(in.Kind, lang, &r, c, st, in.Now)
	d.IdentityNote, d.Kept = strings.TrimSpace(in.IdentityNote), strings.TrimSpace(in.Kept)
	if d.Kept == "" && in.Kind == gdpr.LetterCompletion && r.Type == gdpr.RequestErasure && c.Status == gdpr.ContactHeld && c.Hold != nil {
		d.Kept = heldKept(lang, *c.Hold)
	}
	l = Letter{Kind: in.Kind, Lang: lang, Request: r}
	if in.Kind == gdpr.LetterCompletion && (r.Type == gdpr.RequestAccess || r.Type == gdpr.RequestPortability) {
		att, note, err := requestPackage(s, r, in.Attachment)
		if err != nil {
			return l, err
		}
		if note != "" {
			l.Notes = append(l.Notes, note)
		}
		l.Attachment = att
		d.SHA256 = r.ExportSHA256
		if att != nil {
			d.FileName, d.Protected = att.Name, exporters.Protected(att.Data)
			if d.SHA256 == "" {
				d.SHA256 = sha256Hex(att.Data)
			}
		} else if f, ok := registeredPackage(s, r); ok && f.Path != "" {
			d.FileName = filepath.Base(f.Path)
		}
		d.FormatName = FormatName(lang, d.FileName)
	}
	l.Data = d
	if l.Subject, l.Body, err = ExecuteLetter(in.Templates, in.DataDir, d); err != nil {
		return l, err
	}
	if strings.TrimSpace(in.Body) != "" {
		if strings.ContainsAny(in.Subject, "\r\n") {
			return l, errors.New("the edited subject must be one line")
		}
		if sub := strings.TrimSpace(in.Subject); sub != "" {
			l.Subject = sub
		}
		l.Body, l.Edited = strings.TrimRight(in.Body, "\n \t")+"\n", true
	}
	l.To = mailAddress(d.Name, d.Email)
	l.From = senderOf(st)
	return l, nil
}

// letterData fills what every letter has: the request, the person, the
// business. r may be nil (a package exported for no request).
func letterData(kind gdpr.LetterKind, lang string, r *gdpr.Request, c gdpr.Contact, st gdpr.Settings, now time.Time) LetterData {
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	d := LetterData{Kind: string(kind), Lang: lang,
		Today:      gdpr.Day(now.In(st.Location(time.UTC))).Format(time.DateOnly),
		Controller: strings.TrimSpace(st.Controller.Name), ControllerEmail: st.Controller.Email,
		ControllerAddress: st.Controller.Address, DPOName: st.DPO.Name, DPOEmail: st.DPO.Email}
	if d.Controller == "" {
		d.Controller = st.Controller.Email
	}
	if c.Status != gdpr.ContactAnonymized {
		d.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
		d.Email = c.Email
	}
	if r == nil {
		return d
	}
	if d.Email == "" && r.Contact == 0 {
		d.Email = r.SubjectEmail
	}
	d.Type, d.Scope = string(r.Type), string(r.Scope)
	if r.ID != 0 {
		d.RequestID = r.ID.String()
	}
	d.Received, d.Due = day(r.Received), day(r.Due)
	if r.Extension != nil {
		d.ExtensionReason = r.Extension.Reason
	}
	if r.Status == gdpr.StatusDenied {
		d.Ground, d.Reason = string(r.Ground), r.Outcome
	}
	return d
}

// heldKept says, for the completion letter of an erasure, what a legal
// hold kept (Art. 17(3)(b)): the fields in the letter's language, until
// when, and the hold's reason as the operator wrote it — "first name,
// last name, street until 2036-12-31 (invoices: 10 years, tax law)." The
// operator's own words (LetterRequest.Kept) replace it.
func heldKept(lang string, h gdpr.Hold) string {
	names := holdFieldNames[lang]
	if names == nil {
		names = holdFieldNames["en"]
	}
	fields := make([]string, 0, len(h.Keep))
	for _, f := range h.Keep {
		if n := names[f]; n != "" {
			fields = append(fields, n)
		} else {
			fields = append(fields, f)
		}
	}
	until := holdUntil[lang]
	if until == "" {
		until = holdUntil["en"]
	}
	out := strings.Join(fields, ", ") + " " + until + " " + h.Until.Format(time.DateOnly)
	if reason := strings.TrimSpace(h.Reason); reason != "" {
		out += " (" + strings.TrimRight(reason, ".") + ")"
	}
	return out + "."
}

// holdUntil is "until" before a date, by letter language.
var holdUntil = map[string]string{
	"en": "until", "de": "bis", "fr": "jusqu'au", "es": "hasta el", "it": "fino al", "nl": "tot", "pl": "do", "pt": "até",
}

// holdFieldNames are the fields a hold keeps (gdpr.HoldFields) in words,
// by letter language.
var holdFieldNames = map[string]map[string]string{
	"en": {"first_name": "first name", "last_name": "last name", "company": "company", "street": "street", "city": "city",
		"region": "region", "postal_code": "postal code", "email": "email address", "phone": "phone number", "notes": "notes", "custom": "other details"},
	"de": {"first_name": "Vorname", "last_name": "Nachname", "company": "Firma", "street": "Straße", "city": "Ort",
		"region": "Region", "postal_code": "Postleitzahl", "email": "E-Mail-Adresse", "phone": "Telefonnummer", "notes": "Notizen", "custom": "weitere Angaben"},
	"fr": {"first_name": "prénom", "last_name": "nom", "company": "entreprise", "street": "rue", "city": "ville",
		"region": "région", "postal_code": "code postal", "email": "adresse e-mail", "phone": "numéro de téléphone", "notes": "notes", "custom": "autres informations"},
	"es": {"first_name": "nombre", "last_name": "apellidos", "company": "empresa", "street": "calle", "city": "ciudad",
		"region": "región", "postal_code": "código postal", "email": "dirección de correo electrónico", "phone": "número de teléfono", "notes": "notas", "custom": "otros datos"},
	"it": {"first_name": "nome", "last_name": "cognome", "company": "azienda", "street": "via", "city": "città",
		"region": "regione", "postal_code": "codice postale", "email": "indirizzo e-mail", "phone": "numero di telefono", "notes": "note", "custom": "altri dati"},
	"nl": {"first_name": "voornaam", "last_name": "achternaam", "company": "bedrijf", "street": "straat", "city": "plaats",
		"region": "regio", "postal_code": "postcode", "email": "e-mailadres", "phone": "telefoonnummer", "notes": "notities", "custom": "overige gegevens"},
	"pl": {"first_name": "imię", "last_name": "nazwisko", "company": "firma", "street": "ulica", "city": "miejscowość",
		"region": "region", "postal_code": "kod pocztowy", "email": "adres e-mail", "phone": "numer telefonu", "notes": "notatki", "custom": "inne dane"},
	"pt": {"first_name": "nome próprio", "last_name": "apelido", "company": "empresa", "street": "rua", "city": "localidade",
		"region": "região", "postal_code": "código postal", "email": "endereço de e-mail", "phone": "número de telefone", "notes": "notas", "custom": "outros dados"},
}

// BreachLetterData fills what a breach notice to one person has from the
// person and the settings (Art. 34(2)); the caller adds the breach's
// fields (BreachWhat, BreachAware, BreachConsequences, BreachMeasures)
// and renders it with ExecuteLetter.
func BreachLetterData(c gdpr.Contact, st gdpr.Settings, lang string, now time.Time) LetterData {
	if lang == "" {
		lang = gdpr.LetterLanguage(c.Language, c.Country, st.Language)
	}
	return letterData(gdpr.LetterBreach, lang, nil, c, st, now)
}

func mailAddress(name, addr string) mail.Address { return mail.Address{Name: name, Address: addr} }

// senderOf is who letters come from: the smtp-from setting, else the
// controller's email, with the business's name.
func senderOf(st gdpr.Settings) mail.Address {
	addr := st.SMTP.From
	if addr == "" {
		addr = st.Controller.Email
	}
	return mail.Address{Name: strings.TrimSpace(st.Controller.Name), Address: addr}
}

// registeredPackage finds the package recorded on the request in the
// register of written files, by its SHA-256.
func registeredPackage(s LetterStore, r gdpr.Request) (store.WrittenFile, bool) {
	if r.ExportSHA256 == "" || r.Contact == 0 {
		return store.WrittenFile{}, false
	}
	files, err := s.WrittenFiles(r.Contact)
	if err != nil {
		return store.WrittenFile{}, false
	}
	for i := len(files) - 1; i >= 0; i-- {
		if f := files[i]; f.SHA256 == r.ExportSHA256 && f.Kind == store.FileAccessPackage {
			return f, true
		}
	}
	return store.WrittenFile{}, false
}

// requestPackage is the file to attach to a completion letter: the one
// given, which must be the package recorded on the request when one is;
// else the recorded package, read from where the register says it was
// written, when it is still there unchanged (else note says why not).
func requestPackage(s LetterStore, r gdpr.Request, given *Attachment) (att *Attachment, note string, err error) {
	if given != nil {
		if r.ExportSHA256 != "" && sha256Hex(given.Data) != r.ExportSHA256 {
			return nil, "", fmt.Errorf("%s is not the package recorded on %s (SHA-256 %s): attach that one, or leave the attachment out to take it from where it was written", given.Name, r.ID, r.ExportSHA256)
		}
		return given, "", nil
	}
	if r.ExportSHA256 == "" {
		return nil, fmt.Sprintf("no package is recorded on %s: nothing is attached", r.ID), nil
	}
	f, ok := registeredPackage(s, r)
	if !ok || f.Path == "" {
		return nil, fmt.Sprintf("the package recorded on %s is not in the register of written files: attach it yourself", r.ID), nil
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Sprintf("the package of %s cannot be read at %s (%v): attach it yourself", r.ID, f.Path, err), nil
	}
	if sha256Hex(data) != r.ExportSHA256 {
		return nil, fmt.Sprintf("the file at %s changed since it was written: attach the package yourself", f.Path), nil
	}
	return &Attachment{Name: filepath.Base(f.Path), Data: data}, "", nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// messageID makes a Message-ID header for a letter: unique, naming the
// request and the kind, at the sender's domain.
func messageID(l Letter, now time.Time) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	domain := "gdprdesk.invalid"
	if i := strings.LastIndexByte(l.From.Address, '@'); i >= 0 {
		domain = l.From.Address[i+1:]
	}
	ref := l.Data.RequestID
	if ref == "" {
		ref = "letter"
	}
	return fmt.Sprintf("<%s.%s.%s.%s@%s>", ref, l.Kind, now.UTC().Format("20060102T150405Z"), hex.EncodeToString(rnd[:]), domain)
}

// EML writes the letter as an email draft (X-Unsent), with its
// attachment.
func (l Letter) EML(now time.Time) ([]byte, error) {
	if l.To.Address == "" {
		if l.Request.Contact != 0 {
			return nil, fmt.Errorf("%s: the person has no email address left (erased, or none held): send the letter another way", l.Request.ID)
		}
		return nil, fmt.Errorf("%s: no email address is held for the person", l.Request.ID)
	}
	m := exporters.EML{From: l.From, To: l.To, Subject: l.Subject, Body: l.Body, Date: now,
		MessageID: messageID(l, now), Draft: true}
	if l.Attachment != nil {
		m.AttachmentName, m.Attachment = l.Attachment.Name, l.Attachment.Data
	}
	var buf bytes.Buffer
	if err := exporters.WriteEML(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LetterWriteStore is what writing a letter reads and records;
// *store.Store satisfies it.
type LetterWriteStore interface {
	LetterStore
	UpdateRequestFiles(operator string, id gdpr.RequestID, action gdpr.Action, detail string, fn func(r *gdpr.Request) error, contact gdpr.ContactID, files []store.WrittenFile) error
}

// LetterDraft says which letter to write as files, and where.
type LetterDraft struct {
	Operator string
	Letter   LetterRequest
	// Dir is where the letter is written under a new name,
	// letter-R12-KIND-DATE.txt (numbered when that exists); "" is the
	// current directory. Out, when set, is the text file to write instead;
	// it must not exist. The email draft goes next to it (.eml).
	Dir, Out string
}

// WrittenLetter says what WriteLetter wrote.
type WrittenLetter struct {
	Letter   Letter
	TextPath string
	EMLPath  string // "" when the person has no address left
}

// ErrLetterNoContact refuses letter files for a request that names no
// contact.
var ErrLetterNoContact = errors.New("names no contact (it was logged by its address only), and a letter file holds the person's name and address with nothing to erase it by: send it with `gdprdesk send` (the outbox seals it under the request), or add the person as a contact and log the request on them")

// WriteLetter renders a letter and writes it as text and, when the person
// has an address, as an email draft (.eml, with the package for a
// completion letter), under names that do not exist yet. Both files hold
// the person's data: they are registered (store/files.go) in the
// transaction of the audit entry on the request, so that erasing the
// person deletes them; when the record fails, the files are removed. A
// request that names no contact gets no files (ErrLetterNoContact): the
// register of files is the person's, and nothing erases such a request's
// personal part.
func WriteLetter(s LetterWriteStore, w LetterDraft) (WrittenLetter, error) {
	var out WrittenLetter
	l, err := RenderLetter(s, w.Letter)
	if err != nil {
		return out, err
	}
	if l.Request.Contact == 0 {
		return out, fmt.Errorf("%s %w", l.Request.ID, ErrLetterNoContact)
	}
	out.Letter = l
	text := []byte("Subject: " + l.Subject + "\n\n" + l.Body)
	if w.Out != "" {
		out.TextPath, err = w.Out, createNew(w.Out, text)
	} else {
		out.TextPath, err = writeUnique(w.Dir, fmt.Sprintf("letter-%s-%s-%s", l.Request.ID, l.Kind, w.Letter.Now.Format(time.DateOnly)), ".txt", text)
	}
	if err != nil {
		return WrittenLetter{}, err
	}
	undo := func(err error) (WrittenLetter, error) {
		os.Remove(out.TextPath)
		if out.EMLPath != "" {
			os.Remove(out.EMLPath)
		}
		return WrittenLetter{}, err
	}
	files := []store.WrittenFile{}
	f, err := registered(store.FileLetter, "txt", out.TextPath, text)
	if err != nil {
		return undo(err)
	}
	files = append(files, f)
	if l.To.Address != "" {
		eml, err := l.EML(w.Letter.Now)
		if err != nil {
			return undo(err)
		}
		path := strings.TrimSuffix(out.TextPath, filepath.Ext(out.TextPath)) + ".eml"
		if err := createNew(path, eml); err != nil {
			return undo(err)
		}
		out.EMLPath = path
		if f, err = registered(store.FileEmailDraft, "eml", path, eml); err != nil {
			return undo(err)
		}
		files = append(files, f)
	} else {
		out.Letter.Notes = append(out.Letter.Notes, "no email address is held for the person: only the text was written")
	}
	detail := fmt.Sprintf("%s letter written, %s", l.Kind, l.Lang)
	if l.Edited {
		detail += ", edited"
	}
	if l.Attachment != nil {
		detail += ", package sha256 " + sha256Hex(l.Attachment.Data)
	}
	if err := s.UpdateRequestFiles(w.Operator, l.Request.ID, gdpr.ActionLetterWrite, detail,
		func(*gdpr.Request) error { return nil }, l.Request.Contact, files); err != nil {
		return undo(fmt.Errorf("record the letter on %s (nothing was kept): %w", l.Request.ID, err))
	}
	return out, nil
}
