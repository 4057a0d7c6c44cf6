package exporters

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// A date outside the range the product stores rejects its row with the
// line number and the range (SPEC §8), whatever column holds it; before,
// 2300-01-01 was stored as 1715-06-13.
func TestImportRejectsDatesOutOfRange(t *testing.T) {
	data := "email,created_at,optin_time\n" +
		"ok@example.com,2024-03-15,\n" +
		"a@example.com,2300-01-01,\n" +
		"b@example.com,9999-12-31T10:00:00Z,\n" +
		"c@example.com,1600-01-01,\n" +
		"d@example.com,,2300-01-01 10:00\n" +
		"first@example.com,1900-01-01,\n" +
		"last@example.com,2199-12-31T23:59:59Z,\n"
	_, rows := readAll(t, []byte(data), ImportOptions{Now: importNow})
	want := map[int]string{
		3: "line 3: created_at 2300-01-01 is out of range (1900-01-01 … 2199-12-31)",
		4: "line 4: created_at 9999-12-31 is out of range (1900-01-01 … 2199-12-31)",
		5: "line 5: created_at 1600-01-01 is out of range (1900-01-01 … 2199-12-31)",
		6: "line 6: opt-in time 2300-01-01 is out of range (1900-01-01 … 2199-12-31)",
	}
	for _, r := range rows {
		w, bad := want[r.Line]
		switch {
		case bad && (r.Err == nil || !strings.HasPrefix(r.Err.Error(), w)):
			t.Errorf("line %d: error %v, want %q", r.Line, r.Err, w)
		case !bad && r.Err != nil:
			t.Errorf("line %d rejected: %v", r.Line, r.Err)
		}
	}
	// The boundaries are kept to the second.
	for email, at := range map[string]string{"first@example.com": "1900-01-01T00:00:00Z", "last@example.com": "2199-12-31T23:59:59Z"} {
		r, ok := rowByEmail(rows, email)
		if !ok || !r.Contact.CreatedAt.Equal(mustTime(at)) {
			t.Errorf("%s: created %v, want %s", email, r.Contact.CreatedAt, at)
		}
	}
}

// The limits of an import file, each named with its line or column: the
// number of columns, the size of a cell, the custom fields of one contact,
// and the size of one record.
func TestImportLimits(t *testing.T) {
	t.Run("columns", func(t *testing.T) {
		header := "email"
		for i := range 20000 {
			header += fmt.Sprintf(",c%d", i)
		}
		_, err := NewContactReader(strings.NewReader(header+"\na@example.com\n"), ImportOptions{Now: importNow})
		if err == nil || !strings.Contains(err.Error(), "20,001 columns") || !strings.Contains(err.Error(), fmt.Sprint(MaxImportColumns)) {
			t.Errorf("a header of 20,001 columns: %v, want a refusal naming the count and the limit", err)
		}
		header = "email" + strings.Repeat(",x", MaxImportColumns-1)
		if _, err := NewContactReader(strings.NewReader(header+"\n"), ImportOptions{Now: importNow}); err != nil {
			t.Errorf("a header of exactly %d columns: %v", MaxImportColumns, err)
		}
	})
	t.Run("cell size", func(t *testing.T) {
		big := strings.Repeat("x", MaxImportFieldBytes+1)
		data := "email,notes,Favourite\nok@example.com,short,x\nbig@example.com,short," + big + "\n"
		_, rows := readAll(t, []byte(data), ImportOptions{Now: importNow})
		if len(rows) != 2 || rows[0].Err != nil {
			t.Fatalf("rows %+v", rows)
		}
		if e := rows[1].Err; e == nil || e.Line != 3 || !strings.Contains(e.Reason, `column "Favourite" (column 3)`) || !strings.Contains(e.Reason, "16 KiB") {
			t.Errorf("a cell of %d bytes: %v, want line 3 naming the column and the limit", len(big), e)
		}
	})
	t.Run("custom fields", func(t *testing.T) {
		var header, row strings.Builder
		header.WriteString("email")
		row.WriteString("many@example.com")
		for i := range gdpr.MaxCustomFields + 1 {
			fmt.Fprintf(&header, ",field %d", i)
			fmt.Fprintf(&row, ",v%d", i)
		}
		data := header.String() + "\n" + row.String() + "\n" + "few@example.com,only one" + strings.Repeat(",", gdpr.MaxCustomFields) + "\n"
		_, rows := readAll(t, []byte(data), ImportOptions{Now: importNow})
		if len(rows) != 2 {
			t.Fatalf("rows %+v", rows)
		}
		if e := rows[0].Err; e == nil || e.Line != 2 || !strings.Contains(e.Reason, fmt.Sprintf("%d custom fields: a contact holds at most %d", gdpr.MaxCustomFields+1, gdpr.MaxCustomFields)) {
			t.Errorf("a row of %d custom fields: %v", gdpr.MaxCustomFields+1, e)
		}
		if rows[1].Err != nil || len(rows[1].Contact.Custom) != 1 {
			t.Errorf("a row with one custom field: %+v", rows[1])
		}
	})
	t.Run("record size", func(t *testing.T) {
		// A quote left open swallows the rest of the file into one record:
		// the reader stops at the limit instead of holding it all.
		data := "email,notes\nok@example.com,fine\nopen@example.com,\"" + strings.Repeat("many lines\n", maxImportRecordBytes/10) + "\n"
		r, err := NewContactReader(strings.NewReader(data), ImportOptions{Now: importNow})
		if err != nil {
			t.Fatal(err)
		}
		if row, err := r.Next(); err != nil || row.Err != nil {
			t.Fatalf("first row: %+v, %v", row, err)
		}
		_, err = r.Next()
		if !errors.Is(err, errRecordTooLarge) || !strings.HasPrefix(err.Error(), "line 3: ") {
			t.Errorf("an endless record: %v, want line 3 and the record limit", err)
		}
	})
}

// Stored text refuses control characters (SPEC §8): the row is rejected
// naming its line and the field; notes may hold tabs and line breaks.
func TestImportRefusesControlCharacters(t *testing.T) {
	data := "email,first_name,notes,Hobby\n" +
		"nul@example.com,An\x00na,,\n" +
		"esc@example.com,Anna,\x1b]52;c;aGk=\x07,\n" +
		"del@example.com,Anna,,ski\x7f\n" +
		"ok@example.com,Anna,\"line one\n\tline two\",\n"
	_, rows := readAll(t, []byte(data), ImportOptions{Now: importNow})
	want := map[int]string{2: "first name holds a NUL character", 3: "notes holds a control character (U+001B", 4: `custom field "Hobby" holds a control character (U+007F`}
	for _, r := range rows {
		w, bad := want[r.Line]
		switch {
		case bad && (r.Err == nil || !strings.Contains(r.Err.Reason, w)):
			t.Errorf("line %d: %v, want %q", r.Line, r.Err, w)
		case !bad && r.Err != nil:
			t.Errorf("line %d rejected: %v", r.Line, r.Err)
		}
	}
}

// Repeated rows are found in every spelling of an address, as the store
// compares them (SPEC §8): the decomposed and upper-case spellings and the
// punycode domain of one address are one contact, merged.
func TestImportMergesSpellingsOfOneAddress(t *testing.T) {
	data := "email,first_name\nhänako.yamadaqx@exämple.de,Hanako\n" +
		"ha\u0308nako.yamadaqx@exa\u0308mple.de,\nHÄNAKO.YAMADAQX@xn--exmple-cua.de,\n"
	sink := &memSink{}
	rep, err := ImportContacts(t.Context(), func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }, sink, ImportOptions{Now: importNow}, ImportRun{Operator: "anna"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 3 || rep.Merged != 2 || rep.Rejected != 0 {
		t.Errorf("report %+v: want 3 rows, 2 merged", rep)
	}
}

// memSink records what an import gives it; each address (by
// gdpr.CanonicalEmail) is created once.
type memSink struct{ seen map[string]bool }

func (m *memSink) ImportContacts(_ string, items []store.ImportItem, _ store.MergeFunc, _ bool) ([]store.ImportOutcome, error) {
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	out := make([]store.ImportOutcome, len(items))
	for i, it := range items {
		c, err := gdpr.CanonicalEmail(it.Contact.Email)
		if err != nil {
			return nil, err
		}
		out[i] = store.ImportCreated
		if m.seen[c] {
			out[i] = store.ImportUpdated
		}
		m.seen[c] = true
	}
	return out, nil
}

// A row in another spelling of the contact's address changes nothing: it
// is the same address, not a new one to keep the old one for.
func TestMergeKeepsTheSpellingOfOneAddress(t *testing.T) {
	dst := gdpr.Contact{Email: "hänako.yamadaqx@exämple.de", Status: gdpr.ContactActive}
	if changed := MergeContact(&dst, gdpr.Contact{Email: "hänako.yamadaqx@xn--exmple-cua.de"}); len(changed) != 0 || len(dst.PastEmails) != 0 {
		t.Errorf("merging the punycode spelling changed %v, past %v", changed, dst.PastEmails)
	}
	if changed := MergeContact(&dst, gdpr.Contact{Email: "new@example.de"}); len(changed) != 1 || dst.PastEmails[0] != "hänako.yamadaqx@exämple.de" {
		t.Errorf("merging another address: changed %v, past %v", changed, dst.PastEmails)
	}
}
