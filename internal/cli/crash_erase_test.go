package cli

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// ---- sweep: the contacts in scope without a basis of 20,000 ----

func (h *crashHarness) buildSweep() crashOp {
	t := h.t
	base := filepath.Join(h.work, "sweep-base")
	h.mustCLI("demo", "--no-tui", "--contacts", strconv.Itoa(crashSweepDemo), "--data", base)
	s := h.openStore(base)
	baseSeq := crashHeadSeq(t, s)
	q := gdpr.WithoutBasisQuery(gdpr.Settings{})
	before := map[gdpr.ContactID]gdpr.Contact{}
	var cands []gdpr.ContactID
	if err := crashEach(s, q, func(c gdpr.Contact) error {
		before[c.ID] = c
		cands = append(cands, c.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The erasure guards hold some back (SPEC §9): restricted, another
	// open request, a legal hold. The sweep skips them like obligations.
	guarded := map[gdpr.ContactID]bool{}
	for _, id := range cands {
		bs, err := s.ErasureBlockers(id, store.AnonymizeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		guarded[id] = len(bs) > 0
	}
	baseAnon, err := s.Count(crashQuery(t, "status:anonymized"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(cands) < 1000 {
		t.Fatalf("the sweep's store has only %d contacts to sweep", len(cands))
	}
	run := crashRun{
		args: []string{"sweep", "--apply"},
		check: func(s *store.Store, complete bool) (int, error) {
			changed := 0
			for _, id := range cands {
				erased, err := crashCheckErasure(s, before[id], baseSeq)
				if err != nil {
					return changed, err
				}
				b := before[id]
				obligation := len(b.Obligations()) > 0 || guarded[id]
				switch {
				case erased && obligation:
					return changed, fmt.Errorf("contact %s has an obligation or is guarded but was swept", id)
				case erased:
					changed++
				case complete && !obligation:
					return changed, fmt.Errorf("contact %s is not erased after the re-run", id)
				}
			}
			if n, err := s.Count(crashQueryErr("status:anonymized")); err != nil || n != baseAnon+int64(changed) {
				return changed, fmt.Errorf("%d contacts are anonymized (%v), want %d before and %d by the sweep", n, err, baseAnon, changed)
			}
			return changed, nil
		},
	}
	return crashOp{name: "sweep", base: base, next: func(*rand.Rand) crashRun { return run }}
}

// ---- anonymize: one contact, with its erasure request when it has one ----

func (h *crashHarness) buildAnonymize() crashOp {
	t := h.t
	base := filepath.Join(h.work, "anonymize-base")
	h.mustCLI("demo", "--no-tui", "--contacts", strconv.Itoa(crashSmallDemo), "--data", base)
	s := h.openStore(base)
	baseSeq := crashHeadSeq(t, s)
	before := map[gdpr.ContactID]gdpr.Contact{}
	var plain []gdpr.ContactID
	if err := crashEach(s, crashQuery(t, "status:active|restricted"), func(c gdpr.Contact) error {
		if c.Balance == 0 && !c.OpenContract && c.Email != "" {
			before[c.ID] = c
			plain = append(plain, c.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	reqs, err := s.Requests(store.RequestFilter{Type: gdpr.RequestErasure})
	if err != nil {
		t.Fatal(err)
	}
	reqOf := map[gdpr.ContactID]gdpr.Request{}
	var withReq []gdpr.ContactID
	for _, r := range reqs {
		if _, ok := before[r.Contact]; ok && r.Status.Open() && reqOf[r.Contact].ID == 0 {
			reqOf[r.Contact] = r
			withReq = append(withReq, r.Contact)
		}
	}
	baseAnon, err := s.Count(crashQuery(t, "status:anonymized"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(withReq) == 0 {
		t.Fatal("the demo has no open erasure request about a contact that can be erased")
	}
	next := func(rng *rand.Rand) crashRun {
		var id gdpr.ContactID
		if rng.IntN(2) == 0 {
			id = withReq[rng.IntN(len(withReq))]
		} else {
			id = plain[rng.IntN(len(plain))]
		}
		args := []string{"anonymize", id.String()}
		req, hasReq := reqOf[id]
		if hasReq {
			args = append(args, "--request", req.ID.String())
		}
		return crashRun{
			args: args,
			check: func(s *store.Store, complete bool) (int, error) {
				erased, err := crashCheckErasure(s, before[id], baseSeq)
				if err != nil {
					return 0, err
				}
				if complete && !erased {
					return 0, fmt.Errorf("contact %s is not erased after the re-run", id)
				}
				changed := 0
				if erased {
					changed = 1
				}
				if n, err := s.Count(crashQueryErr("status:anonymized")); err != nil || n != baseAnon+int64(changed) {
					return changed, fmt.Errorf("%d contacts are anonymized (%v), want %d", n, err, baseAnon+int64(changed))
				}
				if !hasReq {
					return changed, nil
				}
				r, err := s.Request(req.ID)
				if err != nil {
					return changed, err
				}
				switch {
				case erased && (r.Status != gdpr.StatusCompleted || r.AnonymizeEvent == 0):
					return changed, fmt.Errorf("contact %s is erased but its request %s is %s (event %d)", id, req.ID, r.Status, r.AnonymizeEvent)
				case !erased && r.Status != req.Status:
					return changed, fmt.Errorf("contact %s is untouched but its request %s moved from %s to %s", id, req.ID, req.Status, r.Status)
				}
				return changed, nil
			},
			// An erasure that committed before the kill is refused again,
			// clearly: the re-run has nothing left to do.
			rerunOK: func(r result, changedBefore int) bool {
				if changedBefore == 1 {
					return r.code == exitFailure && strings.Contains(r.stderr, "already anonymized")
				}
				return r.code == 0
			},
		}
	}
	return crashOp{name: "anonymize", base: base, next: next}
}

// crashCheckErasure reports whether the contact is erased, and an error
// when it is neither fully erased nor untouched. Erased means: personal
// data gone, every address suppressed and no longer found, one erasure
// entry in its audit trail, and its key destroyed (no entry of its trail
// still decrypts). Untouched means as before, not suppressed, no entry.
func crashCheckErasure(s *store.Store, b gdpr.Contact, baseSeq uint64) (bool, error) {
	c, err := s.Contact(b.ID)
	if err != nil {
		return false, fmt.Errorf("contact %s: %w", b.ID, err)
	}
	es, err := s.AuditOf(b.ID.String())
	if err != nil {
		return false, err
	}
	var erasures, after, personal int
	for _, e := range es {
		if e.Seq > baseSeq {
			after++
		}
		if e.Action == "contact.anonymize" {
			erasures++
		}
		if e.Personal != "" {
			personal++
		}
	}
	suppressed, err := s.IsSuppressed(b.Email)
	if err != nil {
		return false, err
	}
	_, lookErr := s.ContactByEmail(b.Email)
	if c.Status != gdpr.ContactAnonymized {
		switch {
		case crashView(c) != crashView(b):
			return false, fmt.Errorf("contact %s is neither erased nor as before", b.ID)
		case after != 0 || erasures != 0:
			return false, fmt.Errorf("contact %s is not erased but has %d new audit entries", b.ID, after)
		case suppressed:
			return false, fmt.Errorf("contact %s is not erased but its address is suppressed", b.ID)
		case lookErr != nil:
			return false, fmt.Errorf("contact %s is not erased but is not found by email: %v", b.ID, lookErr)
		}
		return false, nil
	}
	switch {
	case c.Email != "" || c.FirstName != "" || c.LastName != "" || c.Phone != "" || len(c.Bases) != 0 || len(c.Tags) != 0:
		return true, fmt.Errorf("contact %s is anonymized but keeps personal data", b.ID)
	case c.AnonymizedAt.IsZero() || c.Country != b.Country || c.CreatedAt.Year() != b.CreatedAt.Year():
		return true, fmt.Errorf("contact %s is anonymized but its remaining record is wrong", b.ID)
	case erasures != 1:
		return true, fmt.Errorf("contact %s is anonymized with %d erasure entries, want 1", b.ID, erasures)
	case personal != 0:
		return true, fmt.Errorf("contact %s is anonymized but %d of its audit entries still decrypt: its key was not destroyed", b.ID, personal)
	case !suppressed:
		return true, fmt.Errorf("contact %s is anonymized but its address is not suppressed", b.ID)
	case !errors.Is(lookErr, store.ErrNotFound):
		return true, fmt.Errorf("contact %s is anonymized but its address still finds a contact (%v)", b.ID, lookErr)
	}
	for _, e := range b.PastEmails {
		if ok, err := s.IsSuppressed(e); err != nil || !ok {
			return true, fmt.Errorf("contact %s is anonymized but a past address is not suppressed (%v)", b.ID, err)
		}
	}
	return true, nil
}
