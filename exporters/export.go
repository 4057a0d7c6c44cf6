package exporters

import (
	"context"
	"fmt"
	"io"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// ContactSource is the part of the store a bulk export reads.
type ContactSource interface {
	Contacts(q gdpr.Query, after store.Cursor, limit int) (store.Page, error)
}

// Export formats of the bulk contacts export.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatJSON = "json" // access packages only
)

const exportPage = 1000

// ExportContacts writes every contact matching q to w in the canonical
// layout (CSV or XLSX), page by page, and returns how many it wrote.
// Anonymized contacts, and those erased except what a legal hold keeps
// (SPEC §9: out of every list but the hold's), are left out unless q names
// a status or a hold: nothing of the first is left to export, the second
// is kept only for the duty that holds it, and the file must import back.
// With forMarketing only the contacts who may receive marketing are
// written (gdpr.Contact.Marketable: the same set as marketing:yes). A
// first pass gathers the custom field names, which become columns; the
// second writes the rows. Memory stays bounded by a page (and, for XLSX,
// by excelize's stream writer, which spills rows to a temporary file).
func ExportContacts(ctx context.Context, src ContactSource, q gdpr.Query, format string, w io.Writer, forMarketing *gdpr.Settings) (int, error) {
	keep := func(c *gdpr.Contact) bool { return c.Status != gdpr.ContactAnonymized && c.Status != gdpr.ContactHeld }
	for _, t := range q.Terms {
		if t.Field == gdpr.FieldStatus || t.Field == gdpr.FieldHold {
			keep = func(*gdpr.Contact) bool { return true }
		}
	}
	if forMarketing != nil {
		keep = func(c *gdpr.Contact) bool { return c.Marketable(*forMarketing) }
	}
	seen := map[string]bool{}
	var custom []string
	err := eachContact(ctx, src, q, func(c *gdpr.Contact) error {
		if !keep(c) {
			return nil
		}
		for k := range c.Custom {
			if !seen[k] {
				seen[k] = true
				custom = append(custom, k)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var cw ContactWriter
	switch format {
	case FormatCSV:
		cw, err = NewCSVContactWriter(w, custom)
	case FormatXLSX:
		cw, err = NewXLSXContactWriter(w, custom)
	default:
		return 0, fmt.Errorf("unknown export format %q: use csv or xlsx", format)
	}
	if err != nil {
		return 0, err
	}
	n := 0
	err = eachContact(ctx, src, q, func(c *gdpr.Contact) error {
		if !keep(c) {
			return nil
		}
		n++
		return cw.Write(c)
	})
	if err != nil {
		return n, err
	}
	if err := cw.Close(); err != nil {
		return n, err
	}
	return n, nil
}

func eachContact(ctx context.Context, src ContactSource, q gdpr.Query, fn func(*gdpr.Contact) error) error {
	var cursor store.Cursor
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("export stopped: %w", err)
		}
		page, err := src.Contacts(q, cursor, exportPage)
		if err != nil {
			return err
		}
		for i := range page.Contacts {
			if err := fn(&page.Contacts[i]); err != nil {
				return err
			}
		}
		if !page.More {
			return nil
		}
		cursor = page.Next
	}
}
