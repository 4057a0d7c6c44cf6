package exporters

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// ImportOptions are the settings of one contacts import.
type ImportOptions struct {
	// Source is the source label of rows without a source column value
	// (--source); it is normalized like every source.
	Source string
	// Now is the time recorded on the basis assignments the import makes
	// (and on a consent text that comes with no time at all); zero means
	// time.Now().
	Now time.Time
	// Purpose is the purpose the file's opt-ins and opt-outs are for
	// (--purpose; default DefaultImportPurpose), named as in the purposes
	// register.
	Purpose string
	// Member is the status of every row of a Mailchimp audience member file
	// (MemberSubscribed, MemberUnsubscribed, MemberCleaned), taken from the
	// file's name inside the export's zip; "" for any other file.
	Member string
}

// purpose is the import's consent purpose, normalized, or the default.
func (o ImportOptions) purpose() string {
	if p := gdpr.NormalizePurposeName(o.Purpose); p != "" {
		return p
	}
	return DefaultImportPurpose
}

// DefaultImportPurpose is the purpose of imported opt-ins when the import
// names none.
const DefaultImportPurpose = "email marketing"

// ImportRow is one record of the file: a normalized, valid contact, or the
// reason it was rejected.
type ImportRow struct {
	// Line is the physical line of the file where the record starts (the
	// header is line 1; a record with quoted line breaks is named by its
	// first line).
	Line int
	// Contact is the row's contact, normalized and valid; the zero value
	// when Err is set. Fields the file leaves empty are empty (CreatedAt is
	// zero when the file gives no date), so that merging never clears
	// anything; Status defaults to active.
	Contact gdpr.Contact
	// Err is why the row was rejected, or nil.
	Err *RowError
	// Warnings are things the owner should know about a row that was
	// imported anyway, e.g. an unreadable date.
	Warnings []string
	// Notes say what the import made of a cell that is not plain, e.g. a
	// one-column name split into first and last name.
	Notes []string
	// NotMarketable is a row the file marks not marketable without an
	// opt-out: bounced, non-marketable, or a confirmation pending.
	NotMarketable bool
}

// RowError is a rejected row: its line and the reason, in words the owner
// can act on.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// The limits of an import file (SPEC §8), so that a file cannot turn into
// records of thousands of fields or hold the importer's memory hostage.
// The largest value a contact keeps is a custom field of gdpr.MaxCustomLen
// (4,000) characters, at most 16,000 bytes in UTF-8: a cell over
// MaxImportFieldBytes cannot be stored whatever column it is in.
const (
	// MaxImportColumns is the most columns a file's header may have.
	MaxImportColumns = 200
	// MaxImportFieldBytes is the largest cell, in bytes; a row with a
	// larger one is rejected.
	MaxImportFieldBytes = 16 << 10
	// maxImportRecordBytes bounds what one record may make the reader hold
	// before it gives up on the file: every column at its largest, and
	// the reader's buffer.
	maxImportRecordBytes = MaxImportColumns*MaxImportFieldBytes + 1<<20
)

// ContactReader reads contacts from a CSV export of gdprdesk or of another
// CRM, one record at a time, so that a file of any size is read in bounded
// memory.
//
// The file is UTF-8 with or without a byte-order mark; the delimiter
// (comma, semicolon or tab) is detected from the header line, and a first
// line "sep=;" as Excel writes it is honoured. Quoting follows RFC 4180.
// Headers are matched case-insensitively (spaces, "_" and "-" alike) with
// the canonical names and the aliases of Keap/Infusionsoft, HubSpot and
// Mailchimp exports; any other column becomes a custom field named by its
// header. Mapping reports the decision for each column.
type ContactReader struct {
	cr      *csv.Reader
	opts    ImportOptions
	cols    []mappedColumn
	mapping []ColumnMap
	comma   rune
	// lineOffset is added to encoding/csv's line numbers when the reader
	// consumed a "sep=" line before handing the rest to it.
	lineOffset int
	mailchimp  bool
	emailCol   int // index of the email column
	limit      *recordLimit
	lastLine   int // the line the last record read ended on
}

// errRecordTooLarge ends an import whose record runs past
// maxImportRecordBytes: a record that size holds cells no contact can
// keep, or is a quote left open that swallows the rest of the file.
var errRecordTooLarge = fmt.Errorf("a record of more than %d MiB: no row can be that large (is a quote left open?); fix the file and import it again",
	maxImportRecordBytes>>20)

// recordLimit passes a file through and fails once more than max bytes
// have been read since the last reset (each record resets it), so one
// record never makes the reader hold more than that.
type recordLimit struct {
	r   io.Reader
	n   int
	max int
}

func (l *recordLimit) reset() { l.n = 0 }

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.n >= l.max {
		return 0, errRecordTooLarge
	}
	if len(p) > l.max-l.n {
		p = p[:l.max-l.n]
	}
	n, err := l.r.Read(p)
	l.n += n
	return n, err
}

// NewContactReader reads the header of r and prepares to read its rows. It
// fails when the file is empty, the header is not UTF-8 or no column holds
// the email address.
func NewContactReader(r io.Reader, opts ImportOptions) (*ContactReader, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Purpose = opts.purpose()
	opts.Now = opts.Now.UTC()
	cr := &ContactReader{opts: opts, limit: &recordLimit{r: r, max: maxImportRecordBytes}}
	br := bufio.NewReaderSize(cr.limit, 64<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	first, headerLine, err := peekHeader(br)
	if err != nil {
		return nil, fmt.Errorf("read the header: %w", err)
	}
	if sep, ok := excelSepLine(first); ok {
		// Excel's "sep=;" line names the delimiter; the header follows it.
		if _, err := br.Discard(len(first)); err != nil {
			return nil, fmt.Errorf("read the header: %w", err)
		}
		cr.comma, cr.lineOffset = sep, 1
	} else {
		cr.comma = detectDelimiter(headerLine)
	}
	cr.cr = csv.NewReader(br)
	cr.cr.Comma = cr.comma
	cr.cr.FieldsPerRecord = -1 // a wrong count is a row error, checked in Next
	cr.cr.ReuseRecord = true
	header, err := cr.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: expected a header line such as " + strings.Join(ContactColumns(nil)[:4], ","))
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, errRecordTooLarge) {
			return nil, fmt.Errorf("the header (line %d) cannot be read: %s", pe.StartLine+cr.lineOffset, quoteReason(pe))
		}
		return nil, fmt.Errorf("read the header: %w", err)
	}
	if len(header) > MaxImportColumns {
		return nil, fmt.Errorf("the header has %s columns: an import reads at most %d; remove the columns you do not need (or export fewer properties) and import again",
			gdpr.Thousands(int64(len(header))), MaxImportColumns)
	}
	header = slices.Clone(header)
	for i, h := range header {
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("column %d of the header is not UTF-8 text: save the file as UTF-8 (in Excel: \"CSV UTF-8\") and import it again", i+1)
		}
	}
	cr.cols, cr.mapping = mapHeader(header)
	cr.mailchimp = isMailchimpHeader(header)
	cr.emailCol = -1
	for i, c := range cr.cols {
		if c.rule != nil && c.rule.name == ColEmail {
			cr.emailCol = i
		}
	}
	if cr.emailCol < 0 {
		found := make([]string, len(header))
		for i, h := range header {
			found[i] = strconv.Quote(h)
		}
		return nil, fmt.Errorf("no email column: the header has %d column(s) separated by %s: %s. Name the column that holds the email address \"email\" (Email, E-mail and Email Address work too), or check the delimiter",
			len(header), delimiterName(cr.comma), strings.Join(found, ", "))
	}
	return cr, nil
}

// Mapping says, for each column of the file, what the import does with it.
func (r *ContactReader) Mapping() []ColumnMap { return slices.Clone(r.mapping) }

// Delimiter is the field delimiter detected from the header line.
func (r *ContactReader) Delimiter() rune { return r.comma }

// Next returns the next record, or io.EOF after the last one. A bad record
// is returned as a row with Err set, never as an error: the error result is
// only for a file that cannot be read any further (an I/O error).
func (r *ContactReader) Next() (ImportRow, error) {
	for {
		r.limit.reset()
		rec, err := r.cr.Read()
		if errors.Is(err, io.EOF) {
			return ImportRow{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.Is(err, errRecordTooLarge) {
				line := r.lastLine + 1
				if errors.As(err, &pe) {
					line = pe.StartLine + r.lineOffset
				}
				return ImportRow{}, fmt.Errorf("line %d: %w", line, err)
			}
			if errors.As(err, &pe) {
				line := pe.StartLine + r.lineOffset
				return ImportRow{Line: line, Err: &RowError{Line: line, Reason: quoteReason(pe)}}, nil
			}
			return ImportRow{}, fmt.Errorf("read the file: %w", err)
		}
		line, _ := r.cr.FieldPos(0)
		line += r.lineOffset
		r.lastLine, _ = r.cr.FieldPos(len(rec) - 1)
		r.lastLine += r.lineOffset
		if blankRecord(rec) {
			continue // blank lines, and the ",,,," rows spreadsheets leave, are skipped silently
		}
		row := ImportRow{Line: line}
		b, reason := r.contact(rec)
		if reason != "" {
			row.Err = &RowError{Line: line, Reason: reason}
			return row, nil
		}
		row.Contact, row.Warnings, row.Notes, row.NotMarketable = b.c, b.warnings, b.notes, b.outcome == optNot
		return row, nil
	}
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// contact builds the row's contact, or returns why the row is rejected.
func (r *ContactReader) contact(rec []string) (*rowBuilder, string) {
	if len(rec) != len(r.cols) {
		return nil, fmt.Sprintf("wrong column count: %d values, the header has %d (a value that contains %s must be in double quotes)",
			len(rec), len(r.cols), delimiterName(r.comma))
	}
	for i, v := range rec {
		if !utf8.ValidString(v) {
			return nil, fmt.Sprintf("invalid UTF-8 in column %q: save the file as UTF-8 (in Excel: \"CSV UTF-8\") and import it again", r.cols[i].header)
		}
		if len(v) > MaxImportFieldBytes {
			return nil, fmt.Sprintf("column %q (column %d) holds %s bytes: a value is at most %d KiB", r.cols[i].header, i+1, gdpr.Thousands(int64(len(v))), MaxImportFieldBytes>>10)
		}
	}
	// The email is checked first: without it nothing else about the row
	// matters.
	email, err := gdpr.NormalizeEmail(cellValue(rec[r.emailCol]))
	if err != nil {
		return nil, err.Error()
	}
	b := rowBuilder{now: r.opts.Now, mailchimp: r.mailchimp, purpose: r.opts.Purpose, member: r.opts.Member}
	b.c.Email = email
	for i, raw := range rec {
		col := r.cols[i]
		if i == r.emailCol {
			continue
		}
		if col.rule == nil && col.custom == "" {
			if strings.TrimSpace(raw) != "" && col.header == "" {
				b.warn("column %d has no header: its value was not imported", i+1)
			}
			continue
		}
		v := cellValue(raw)
		if v == "" {
			continue // an empty cell never sets (or clears) anything
		}
		if col.rule == nil {
			if b.c.Custom == nil {
				b.c.Custom = map[string]string{}
			}
			if _, dup := b.c.Custom[col.custom]; !dup {
				b.c.Custom[col.custom] = v
			}
			continue
		}
		b.header = col.header
		if err := col.rule.set(&b, v); err != nil {
			return nil, err.Error()
		}
	}
	if err := b.finish(r.opts.Source); err != nil {
		return nil, err.Error()
	}
	return &b, ""
}

// cellValue trims a cell and removes the "'" the canonical export puts
// before text a spreadsheet would take for a formula (Neutralize), so that
// the round trip is exact. Any other leading "'" is the owner's and stays.
func cellValue(raw string) string {
	v := strings.TrimSpace(raw)
	if len(v) >= 2 && v[0] == '\'' && formulaAfterQuotes(v[1:]) {
		return v[1:]
	}
	return v
}

// rowBuilder collects one row's cells; finish turns them into a contact.
type rowBuilder struct {
	c         gdpr.Contact
	now       time.Time
	mailchimp bool
	header    string // header of the cell being set, for messages

	country, cc, address, street2, mobile string
	created, createdHeader                string
	optin, confirm, unsub, consentText    string
	warnings, notes                       []string
	dateErr                               error // the first date out of range

	// Consent and opt-out state (crmconsent.go).
	purpose, member            string
	tool, statusText           string
	status, outcome            int
	unsubAll, cleaned          bool
	fullName, lastChanged      string
	optinIP, confirmIP         string
	unsubReason, unsubCampaign string
}

func (b *rowBuilder) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

func (b *rowBuilder) warn(format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, args...))
}

func setTags(b *rowBuilder, v string) error {
	for t := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ';' || r == ',' }) {
		t = gdpr.NormalizeTag(strings.Trim(strings.TrimSpace(t), `"'`))
		// Tags are single words; CRMs allow "Newsletter Subscriber".
		t = strings.Join(strings.FieldsFunc(t, unicode.IsSpace), "-")
		if t != "" && !b.c.HasTag(t) {
			b.c.Tags = append(b.c.Tags, t)
		}
	}
	return nil
}

func setStatus(b *rowBuilder, v string) error {
	st, err := gdpr.ParseContactStatus(v)
	if err != nil {
		return err
	}
	if st == gdpr.ContactAnonymized {
		return errors.New("status anonymized cannot be imported: an anonymized contact holds nothing to import (anonymize contacts in gdprdesk itself)")
	}
	b.c.Status = st
	return nil
}

func getBases(c *gdpr.Contact) string {
	names := make([]string, len(c.Bases))
	for i, a := range c.Bases {
		names[i] = string(a.Basis)
	}
	return strings.Join(names, ";")
}

func setBases(b *rowBuilder, v string) error {
	for s := range strings.FieldsFuncSeq(v, func(r rune) bool { return r == ';' || r == ',' }) {
		if strings.TrimSpace(s) == "" {
			continue
		}
		basis, err := gdpr.ParseBasis(s)
		if err != nil {
			return err
		}
		b.c.AddBasis(gdpr.BasisAssignment{Basis: basis, Source: gdpr.SourceImport, Evidence: "import column", At: b.now})
	}
	return nil
}

func setBalance(b *rowBuilder, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s %q is not a whole number of cents (e.g. 1250 for 12.50)", b.header, v)
	}
	b.c.Balance = n
	return nil
}

func setOpenContract(b *rowBuilder, v string) error {
	switch strings.ToLower(v) {
	case "true", "yes", "y", "1":
		b.c.OpenContract = true
	case "false", "no", "n", "0":
		b.c.OpenContract = false
	default:
		return fmt.Errorf("%s %q is not true or false", b.header, v)
	}
	return nil
}

// finish normalizes and checks the contact.
func (b *rowBuilder) finish(defaultSource string) error {
	b.finishAddress()
	b.finishName()
	if b.c.Phone == "" {
		b.c.Phone = b.mobile
	}
	if b.c.Source == "" {
		b.c.Source = defaultSource
	}
	b.c.Source = gdpr.NormalizeSource(b.c.Source)
	if b.country != "" {
		code, err := gdpr.NormalizeCountry(b.country)
		if err != nil {
			return err
		}
		b.c.Country = code
	}
	if b.c.Country == "" && b.cc != "" {
		if code, err := gdpr.NormalizeCountry(b.cc); err == nil {
			b.c.Country = code
		} else {
			b.warn("country code %q (CC) is not a known country: country left empty", b.cc)
		}
	}

	optin, hasOptin := b.time("opt-in time", b.optin)
	confirm, hasConfirm := b.time("confirmation time", b.confirm)
	unsub, hasUnsub := b.time("unsubscribe time", b.unsub)
	switch {
	case b.created != "":
		if t, ok := b.time(b.createdHeader, b.created); ok {
			b.c.CreatedAt = t
		}
	case hasOptin:
		b.c.CreatedAt = optin
	case hasConfirm:
		b.c.CreatedAt = confirm
	}
	if b.dateErr != nil {
		return b.dateErr
	}
	if err := b.consents(optin, hasOptin, confirm, hasConfirm, unsub, hasUnsub); err != nil {
		return err
	}
	if b.dateErr != nil {
		return b.dateErr // a date read while settling the consent state
	}

	if b.c.Status == "" {
		b.c.Status = gdpr.ContactActive
	}
	return b.c.Validate()
}

// finishAddress joins the street lines and applies the one-line address
// rule: its last part is the country when it names one.
func (b *rowBuilder) finishAddress() {
	if b.street2 != "" {
		if b.c.Street == "" {
			b.c.Street = b.street2
		} else {
			b.c.Street += ", " + b.street2
		}
	}
	if b.address == "" {
		return
	}
	rest, last := splitAddress(b.address)
	code, err := gdpr.NormalizeCountry(last)
	if rest != "" && err == nil && code != "" {
		if b.country == "" {
			b.c.Country = code
		}
	} else {
		rest = b.address
		if b.country == "" && b.cc == "" {
			b.warn("address %q does not end in a country: country left empty", b.address)
		}
	}
	if b.c.Street == "" {
		b.c.Street = joinAddressParts(rest)
	}
}

// splitAddress cuts a one-line address (Mailchimp writes its parts
// separated by two spaces; people write commas) at its last separator: a
// comma or a run of two or more spaces, whichever comes last.
func splitAddress(a string) (rest, last string) {
	a = strings.TrimSpace(a)
	cut, end := -1, -1
	if i := strings.LastIndexByte(a, ','); i >= 0 {
		cut, end = i, i+1
	}
	if i := strings.LastIndex(a, "  "); i >= 0 && i+2 > end {
		j := i
		for j > 0 && a[j-1] == ' ' {
			j--
		}
		cut, end = j, i+2
	}
	if cut < 0 {
		return "", a
	}
	rest = strings.TrimRight(strings.TrimSpace(a[:cut]), ", ")
	return rest, strings.TrimSpace(a[end:])
}

// joinAddressParts turns Mailchimp's two-space separators into ", ".
func joinAddressParts(s string) string {
	parts := strings.Split(s, "  ")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.Trim(p, " ,"); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// importTimeLayouts are the date forms the importer reads, all as UTC when
// they carry no zone.
var importTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// time reads a date cell; an unreadable one is a warning, not a rejection.
// A date outside the range the product stores (gdpr.CheckStorableDate)
// rejects the row (finish returns dateErr): it is read, but cannot be kept.
func (b *rowBuilder) time(what, v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if t, ok := parseImportTime(v); ok {
		if err := gdpr.CheckStorableDate(what, t); err != nil {
			if b.dateErr == nil {
				b.dateErr = err
			}
			return time.Time{}, false
		}
		return t, true
	}
	b.warn("%s %q is not a date gdprdesk reads (use 2024-03-15, 2024-03-15 14:30:00 or 2024-03-15T14:30:00Z): left empty", what, v)
	return time.Time{}, false
}

func parseImportTime(v string) (time.Time, bool) {
	for _, layout := range importTimeLayouts {
		if !layoutFits(layout, v) {
			continue
		}
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// layoutFits reports whether layout could read v, by its length alone: a
// layout with a zone reads values longer than "2006-01-02T15:04:05", one
// without reads values of its own length, or longer by the fractional
// seconds time.Parse reads after any seconds field. The layouts that cannot
// fit are not tried (each failed parse cost a fifth of a microsecond on
// every row of a large file).
func layoutFits(layout, v string) bool {
	switch {
	case strings.HasSuffix(layout, "Z07:00"):
		return len(v) > len("2006-01-02T15:04:05")
	case len(v) == len(layout):
		return true
	case strings.HasSuffix(layout, ":05") && len(v) > len(layout):
		return v[len(layout)] == '.' || v[len(layout)] == ','
	}
	return false
}

// peekHeader looks at the start of the file without consuming it and
// returns its first line (with the line break) and the first line that is
// not blank after it when the first is a "sep=" line, else the first
// non-blank line: the header, from which the delimiter is detected. A
// header longer than the buffer is judged by its beginning.
func peekHeader(br *bufio.Reader) (first, header string, err error) {
	b, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", "", err
	}
	lines := strings.SplitAfter(string(b), "\n")
	first = lines[0]
	start := 0
	if _, ok := excelSepLine(first); ok {
		start = 1
	}
	for _, l := range lines[start:] {
		if strings.TrimSpace(l) != "" {
			return first, l, nil
		}
	}
	return first, "", nil
}

// excelSepLine recognizes Excel's "sep=;" first line.
func excelSepLine(line string) (rune, bool) {
	l := strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(strings.ToLower(l), "sep=") {
		return 0, false
	}
	switch l[4:] {
	case ",":
		return ',', true
	case ";":
		return ';', true
	case "\t":
		return '\t', true
	}
	return 0, false
}

// detectDelimiter picks the delimiter that occurs most often outside quotes
// in the header line; comma when there is a tie or none (a one-column
// file).
func detectDelimiter(line string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

func delimiterName(r rune) string {
	switch r {
	case ';':
		return "semicolons"
	case '\t':
		return "tabs"
	}
	return "commas"
}

// quoteReason explains a quoting error of encoding/csv in the owner's words.
func quoteReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`malformed quoting: a " inside a value that does not start with a quote (line %d, column %d); put the whole value in double quotes and double the quote inside, e.g. "say ""hi"""`, pe.Line, pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Sprintf(`malformed quoting: a quoted value is not closed properly (line %d, column %d); a quote inside a quoted value must be doubled ("")`, pe.Line, pe.Column)
	}
	return "cannot read the record: " + pe.Err.Error()
}
