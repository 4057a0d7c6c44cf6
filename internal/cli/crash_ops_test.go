package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// ---- tag: a bulk basis change of 100,000 contacts ----

func (h *crashHarness) buildTag() crashOp {
	t := h.t
	csv := filepath.Join(h.work, "tag.csv")
	crashWriteCSV(t, csv, crashTagContacts, "tag", nil)
	base := filepath.Join(h.work, "tag-base")
	h.mustCLI("import", csv, "--data", base)
	os.Remove(csv)
	s := h.openStore(base)
	baseSeq := crashHeadSeq(t, s)
	active, err := s.Count(crashQuery(t, "status:active"))
	if err != nil {
		t.Fatal(err)
	}
	if had, _ := s.Count(crashQuery(t, "basis:"+string(crashBasis))); had != 0 {
		t.Fatalf("the tag's store already has %d contacts with %s", had, crashBasis)
	}
	s.Close()
	if active != crashTagContacts {
		t.Fatalf("the tag's store has %d active contacts, want %d", active, crashTagContacts)
	}
	run := crashRun{
		args: []string{"tag", "--query", "status:active", "--basis", string(crashBasis), "--evidence", crashEvidence},
		check: func(s *store.Store, complete bool) (int, error) {
			return crashCheckTag(s, baseSeq, active, complete)
		},
	}
	return crashOp{name: "tag", base: base, next: func(*rand.Rand) crashRun { return run }}
}

// crashCheckTag: the basis.add entries after the store was built are about
// as many contacts as hold the basis (an entry about one contact carries the
// evidence, a chunk's entry names how many it changed); a sample read record
// by record agrees with the index, and each finds one such entry in its
// audit trail if it holds the basis, none if not.
func crashCheckTag(s *store.Store, baseSeq uint64, total int64, complete bool) (int, error) {
	wantDetail := "added " + string(crashBasis) + " (source manual)"
	// A re-run records the basis again on the contacts an earlier run
	// changed: their date is renewed (the retention clock), audited apart.
	renewDetail := "recorded " + string(crashBasis) + " again (source manual): its date renewed"
	es, err := crashEntriesAfter(s, baseSeq)
	if err != nil {
		return 0, err
	}
	audited := 0
	renewed := map[uint64]bool{}
	for _, e := range es {
		isRenewal := e.Action == "basis.add" && strings.HasPrefix(e.Detail, renewDetail)
		switch {
		case (e.Action != "basis.add" || !strings.HasPrefix(e.Detail, wantDetail)) && !isRenewal:
			return 0, fmt.Errorf("audit entry %d is %s %q, want basis.add %q", e.Seq, e.Action, e.Detail, wantDetail)
		case e.Contacts == 0 && (e.Record == "" || e.Personal != crashEvidence):
			return 0, fmt.Errorf("audit entry %d (%s) is about one contact but does not carry the evidence", e.Seq, e.Record)
		case e.Contacts > 0 && (e.Record != "" || !strings.Contains(e.Detail, "evidence kept on each")):
			return 0, fmt.Errorf("audit entry %d is about %d contacts but reads %q", e.Seq, e.Contacts, e.Detail)
		}
		if isRenewal {
			renewed[e.Seq] = true
			continue
		}
		audited += max(e.Contacts, 1)
	}
	holders := map[string]bool{}
	q := crashQueryErr("basis:" + string(crashBasis))
	err = crashEach(s, q, func(c gdpr.Contact) error {
		if err := crashHoldsBasis(c); err != nil {
			return err
		}
		holders[c.ID.String()] = true
		return nil
	})
	if err != nil {
		return len(holders), err
	}
	// As many contacts audited as hold the basis; the sample below checks
	// that they are the same ones.
	if audited != len(holders) {
		return len(holders), fmt.Errorf("basis.add entries are about %d contacts, %d hold %s", audited, len(holders), crashBasis)
	}
	if n, err := s.Count(q); err != nil || n != int64(len(holders)) {
		return len(holders), fmt.Errorf("count of basis:%s is %d (%v), the contacts holding it %d", crashBasis, n, err, len(holders))
	}
	// A sample read record by record, not through the basis index, each
	// with its audit trail: one basis.add entry since the store was built
	// if it holds the basis, none if not.
	rng := rand.New(rand.NewPCG(uint64(len(holders)), 7))
	for range 300 {
		id := gdpr.ContactID(1 + rng.Int64N(total))
		c, err := s.Contact(id)
		if err != nil {
			return len(holders), fmt.Errorf("contact %s: %w", id, err)
		}
		if c.HasBasis(crashBasis) != holders[id.String()] {
			return len(holders), fmt.Errorf("contact %s read directly holds %s = %v, the index says %v", id, crashBasis, c.HasBasis(crashBasis), holders[id.String()])
		}
		trail, err := s.AuditOf(id.String())
		if err != nil {
			return len(holders), err
		}
		n := 0
		for _, e := range trail {
			if e.Seq > baseSeq && e.Action == "basis.add" && !renewed[e.Seq] {
				n++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[c.HasBasis(crashBasis)]; n != want {
			return len(holders), fmt.Errorf("contact %s holds %s = %v and finds %d basis.add entries in its trail, want %d", id, crashBasis, c.HasBasis(crashBasis), n, want)
		}
		if c.HasBasis(crashBasis) {
			if err := crashHoldsBasis(c); err != nil {
				return len(holders), err
			}
		}
	}
	if complete && int64(len(holders)) != total {
		return len(holders), fmt.Errorf("after the re-run %d of %d contacts hold %s", len(holders), total, crashBasis)
	}
	return len(holders), nil
}

func crashHoldsBasis(c gdpr.Contact) error {
	for _, b := range c.Bases {
		if b.Basis == crashBasis {
			if b.Source != gdpr.SourceManual || b.Evidence != crashEvidence || b.At.IsZero() {
				return fmt.Errorf("contact %s holds %s half-written: source %q, evidence present %v, at %v", c.ID, crashBasis, b.Source, b.Evidence == crashEvidence, b.At)
			}
			return nil
		}
	}
	return fmt.Errorf("contact %s is listed under basis:%s but does not hold it", c.ID, crashBasis)
}

// ---- import: 10,000 rows, new contacts and updates of existing ones ----

func (h *crashHarness) buildImport() crashOp {
	t := h.t
	base := filepath.Join(h.work, "import-base")
	h.mustCLI("demo", "--no-tui", "--contacts", strconv.Itoa(crashSmallDemo), "--data", base)
	s := h.openStore(base)
	baseSeq := crashHeadSeq(t, s)
	baseView := map[gdpr.ContactID]string{}
	var updates []string
	err := crashEach(s, gdpr.Query{}, func(c gdpr.Contact) error {
		baseView[c.ID] = crashView(c)
		if c.Email != "" && c.Status == gdpr.ContactActive && len(updates) < 600 && c.ID%3 == 0 {
			updates = append(updates, c.Email)
		}
		return nil
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	isUpdate := map[string]bool{}
	for _, e := range updates {
		isUpdate[e] = true
	}
	csv := filepath.Join(h.work, "import.csv")
	crashWriteCSV(t, csv, crashImportRows, "imp", updates)

	// The reference: the same import, not interrupted.
	ref := filepath.Join(h.work, "import-ref")
	crashCopyDir(t, base, ref)
	h.mustCLI("import", csv, "--data", ref)
	s = h.openStore(ref)
	want := map[string]string{} // email → contact as the finished import leaves it
	err = crashEach(s, gdpr.Query{}, func(c gdpr.Contact) error {
		if _, old := baseView[c.ID]; !old || isUpdate[c.Email] {
			want[c.Email] = crashView(c)
		}
		return nil
	})
	s.Close()
	os.RemoveAll(ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != crashImportRows+len(updates) {
		t.Fatalf("the reference import left %d new or updated contacts, want %d", len(want), crashImportRows+len(updates))
	}
	for _, e := range updates {
		if v := want[e]; v == "" {
			t.Fatalf("the reference import lost an updated contact")
		}
	}
	run := crashRun{
		args: []string{"import", csv},
		check: func(s *store.Store, complete bool) (int, error) {
			return crashCheckImport(s, baseSeq, baseView, isUpdate, want, complete)
		},
	}
	return crashOp{name: "import", base: base, next: func(*rand.Rand) crashRun { return run }}
}

// crashCheckImport: every contact of the file is absent (or, for an update,
// as before) or exactly as the finished import leaves it; each created
// contact is named by exactly one contact.import entry of the run and each
// updated one has exactly one entry of its own; nothing else changed.
func crashCheckImport(s *store.Store, baseSeq uint64, baseView map[gdpr.ContactID]string, isUpdate map[string]bool, want map[string]string, complete bool) (int, error) {
	created, updated := map[gdpr.ContactID]bool{}, map[gdpr.ContactID]bool{}
	seen := map[string]bool{}
	err := crashEach(s, gdpr.Query{}, func(c gdpr.Contact) error {
		v := crashView(c)
		old, wasThere := baseView[c.ID]
		switch {
		case wasThere && v == old:
		case wasThere && isUpdate[c.Email] && v == want[c.Email]:
			updated[c.ID] = true
		case wasThere:
			return fmt.Errorf("contact %s of the store is neither as before nor as the import leaves it", c.ID)
		case want[c.Email] == "" || isUpdate[c.Email]:
			return fmt.Errorf("contact %s was created but is not a row of the file", c.ID)
		case seen[c.Email]:
			return fmt.Errorf("contact %s: a row of the file was imported twice", c.ID)
		case v != want[c.Email]:
			return fmt.Errorf("contact %s is half-imported: it differs from the finished import", c.ID)
		default:
			seen[c.Email] = true
			created[c.ID] = true
		}
		return nil
	})
	changed := len(created) + len(updated)
	if err != nil {
		return changed, err
	}
	es, err := crashEntriesAfter(s, baseSeq)
	if err != nil {
		return changed, err
	}
	claimed := map[gdpr.ContactID]bool{}
	claim := func(id gdpr.ContactID, e store.AuditEntry) error {
		if claimed[id] {
			return fmt.Errorf("audit entry %d names contact %s a second time", e.Seq, id)
		}
		claimed[id] = true
		return nil
	}
	for _, e := range es {
		switch {
		case e.Action == "contact.import":
			var n int
			var from, to gdpr.ContactID
			if _, err := fmt.Sscanf(e.Detail, "import created %d contact(s) C%d–C%d", &n, &from, &to); err != nil || int(to-from)+1 != n {
				return changed, fmt.Errorf("audit entry %d: unexpected detail %q", e.Seq, e.Detail)
			}
			for id := from; id <= to; id++ {
				if !created[id] {
					return changed, fmt.Errorf("audit entry %d names contact %s as created, but it is not", e.Seq, id)
				}
				if err := claim(id, e); err != nil {
					return changed, err
				}
			}
		default:
			id, err := gdpr.ParseContactID(e.Record)
			if err != nil || !updated[id] {
				return changed, fmt.Errorf("audit entry %d (%s %s) is not of an updated contact", e.Seq, e.Action, e.Record)
			}
			if err := claim(id, e); err != nil {
				return changed, err
			}
		}
	}
	if len(claimed) != changed {
		return changed, fmt.Errorf("%d contacts are created or updated, the audit entries of the import name %d", changed, len(claimed))
	}
	// The per-contact audit index, on a sample: each finds its entry.
	n := 0
	for id := range claimed {
		if n++; n > 200 {
			break
		}
		trail, err := s.AuditOf(id.String())
		if err != nil {
			return changed, err
		}
		if len(trail) == 0 || trail[len(trail)-1].Seq <= baseSeq {
			return changed, fmt.Errorf("contact %s does not find the import's entry in its audit trail", id)
		}
	}
	if complete && changed != len(want) {
		return changed, fmt.Errorf("after the re-run %d of %d rows are imported", changed, len(want))
	}
	return changed, nil
}

// crashEntriesAfter returns the audit entries after seq, newest first.
func crashEntriesAfter(s *store.Store, seq uint64) ([]store.AuditEntry, error) {
	head, err := crashHeadSeqErr(s)
	if err != nil || head <= seq {
		return nil, err
	}
	es, err := s.Audit(store.AuditFilter{}, 0, int(head-seq))
	if err != nil {
		return nil, err
	}
	if uint64(len(es)) != head-seq || es[len(es)-1].Seq != seq+1 {
		return nil, fmt.Errorf("the log has %d entries after %d, want %d", len(es), seq, head-seq)
	}
	return es, nil
}
