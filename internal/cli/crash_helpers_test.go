package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// ---- helpers ----

// crashView is a contact as a comparable string, without what a re-run may
// legitimately set differently (the time of the change).
func crashView(c gdpr.Contact) string {
	c.UpdatedAt = time.Time{}
	c.Bases = slices.Clone(c.Bases)
	for i := range c.Bases {
		c.Bases[i].At = time.Time{}
	}
	c.Consents = slices.Clone(c.Consents)
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func crashEach(s *store.Store, q gdpr.Query, fn func(gdpr.Contact) error) error {
	var cursor store.Cursor
	for {
		p, err := s.Contacts(q, cursor, 1000)
		if err != nil {
			return err
		}
		for _, c := range p.Contacts {
			if err := fn(c); err != nil {
				return err
			}
		}
		if !p.More {
			return nil
		}
		cursor = p.Next
	}
}

func crashQueryErr(text string) gdpr.Query {
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		panic(err)
	}
	return q
}

func crashQuery(t *testing.T, text string) gdpr.Query {
	t.Helper()
	q, err := gdpr.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func crashHeadSeqErr(s *store.Store) (uint64, error) {
	es, err := s.Audit(store.AuditFilter{}, 0, 1)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	return es[0].Seq, nil
}

func crashHeadSeq(t *testing.T, s *store.Store) uint64 {
	t.Helper()
	n, err := crashHeadSeqErr(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// crashWriteCSV writes n invented contacts in Keap's header style (as
// bench/gen_contacts.py does), with an update row for each address in
// updates spread through the file: a new phone number and a tag.
func crashWriteCSV(t *testing.T, path string, n int, prefix string, updates []string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	first := []string{"Anna", "Lukas", "Marie", "Jonas", "Camille", "Hugo", "Lucía", "Mateo", "Giulia", "Sven", "Aoife", "Zofia"}
	last := []string{"Müller", "Schmidt", "Martin", "García", "Rossi", "Jansen", "Nowak", "Andersson", "Murphy", "Dubois"}
	countries := []string{"DE", "FR", "ES", "IT", "NL", "PL", "SE", "IE", "AT", "US", "GB", "CH", "Germany", ""}
	sources := []string{"webform:newsletter", "purchase", "webinar", "referral", "in_person"}
	tags := []string{"", "", "vip", "newsletter", "wholesale"}
	fmt.Fprintln(w, "First Name,Last Name,Email,Phone 1,Street Address 1,City,Postal Code,Country,Company,Lead Source,Tags,Date Created")
	every := 0
	if len(updates) > 0 {
		every = max(n/len(updates), 1)
	}
	u := 0
	for i := range n {
		fn, ln := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		fmt.Fprintf(w, "%s,%s,%s.%s%d@example.com,+49 30 %07d,\"Hauptstraße %d, Hinterhaus\",Berlin,%d,%s,,%s,%s,2024-%02d-%02d 10:00:00\n",
			fn, ln, strings.ToLower(strings.ReplaceAll(fn, "í", "i")), prefix, i, i, i%200, 10000+i%89999,
			countries[rng.IntN(len(countries))], sources[rng.IntN(len(sources))], tags[rng.IntN(len(tags))], 1+i%12, 1+i%28)
		if every > 0 && i%every == every-1 && u < len(updates) {
			fmt.Fprintf(w, ",,%s,+33 1 %07d,,,,,,,crash-update,\n", updates[u], u)
			u++
		}
	}
	for ; u < len(updates); u++ {
		fmt.Fprintf(w, ",,%s,+33 1 %07d,,,,,,,crash-update,\n", updates[u], u)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// crashCopyDir copies a closed data directory (gdprdesk.lock, db/, keys/).
func crashCopyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		info, err := in.Stat()
		if err != nil {
			return err
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
}
