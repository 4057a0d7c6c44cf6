package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/gdprdesk/gdprdesk/assets"
	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// DemoOptions say what demo store to make.
type DemoOptions struct {
	Contacts int
	Seed     uint64 // the same seed gives the same data on the same day
	Operator string
	Now      func() time.Time
	Progress io.Writer // large fills report every tenth here; nil is quiet
}

// FillDemo fills an empty store with the demo data set: settings, the
// purposes and recipients registers, source rules, policy versions, contacts, requests in every state (completed
// erasures really anonymize) and a partly done checklist. It lives here,
// above both the store and the exporters that generate the data, so the
// command line and the UI tests make the same demo.
func FillDemo(ctx context.Context, s *store.Store, o DemoOptions) error {
	op, n := o.Operator, o.Contacts
	now := o.Now
	if now == nil {
		now = time.Now
	}
	d, err := NewDemo(assets.FS, n, o.Seed, now())
	if err != nil {
		return err
	}
	if err := s.SaveSettings(op, d.Settings()); err != nil {
		return err
	}
	for _, p := range d.Purposes() {
		if err := s.SavePurpose(op, p); err != nil {
			return fmt.Errorf("demo purposes: %w", err)
		}
	}
	if err := s.SaveDPIAScreening(op, d.DPIA()); err != nil {
		return fmt.Errorf("demo DPIA screening: %w", err)
	}
	for _, r := range d.Recipients() {
		if err := s.SaveRecipient(op, r); err != nil {
			return fmt.Errorf("demo recipients: %w", err)
		}
	}
	if err := fillBreaches(s, op, now()); err != nil {
		return err
	}
	for _, r := range d.SourceRules() {
		if err := s.SetSourceRule(op, r); err != nil {
			return err
		}
	}
	policies, err := d.Policies(assets.FS)
	if err != nil {
		return err
	}
	for _, p := range policies {
		if _, err := s.AddPolicyVersion(op, p.Kind, p.Text, p.EffectiveAt); err != nil {
			return err
		}
	}
	step := max(n/10, 50_000)
	for made := 0; d.Remaining() > 0; {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("demo stopped after %d contacts: %w", made, err)
		}
		batch := d.NextContacts(store.BulkChunk)
		if _, err := s.CreateContacts(op, batch); err != nil {
			return fmt.Errorf("create demo contacts: %w", err)
		}
		before := made
		made += len(batch)
		if o.Progress != nil && n >= 100_000 && made/step != before/step {
			fmt.Fprintf(o.Progress, "demo: %s of %s contacts\n", gdpr.Thousands(int64(made)), gdpr.Thousands(int64(n)))
		}
	}
	for _, dr := range d.Requests(n) {
		r := dr.Request
		r.Contact = gdpr.ContactID(dr.ContactNo)
		id, err := s.AddRequest(op, r)
		if err != nil {
			return fmt.Errorf("create demo request: %w", err)
		}
		if dr.Extend != "" {
			err := s.UpdateRequest(op, id, "request.extend", "extended by two months", func(r *gdpr.Request) error {
				return r.Extend(dr.Extend, time.Time{}, now(), now(), op, nil)
			})
			if err != nil {
				return fmt.Errorf("extend demo request: %w", err)
			}
		}
		for i, st := range dr.Steps {
			note := ""
			if i == len(dr.Steps)-1 {
				note = dr.Outcome
			}
			// A completed erasure of a known contact is an erasure: the
			// contact is anonymized and the request completed with it; one
			// with an unpaid invoice is denied, as the owner would.
			if st == gdpr.StatusCompleted && r.Type == gdpr.RequestErasure && r.Contact != 0 {
				_, err := s.Anonymize(op, r.Contact, store.AnonymizeOptions{Request: id})
				if errors.Is(err, store.ErrObligation) {
					st, note = gdpr.StatusDenied, "outstanding invoice or contract; the person was told why"
				} else if errors.Is(err, store.ErrErasureBlocked) {
					continue // a guard holds it back (SPEC §9): it stays open, as the owner would leave it
				} else if err != nil {
					return fmt.Errorf("demo erasure: %w", err)
				} else {
					continue
				}
			}
			// A completed restriction or objection to processing has done
			// what it asked (gdpr.CompletionDone): the contact is
			// restricted, or no longer processed on legitimate interests
			// or a public task, before the request is completed.
			if st == gdpr.StatusCompleted && r.Contact != 0 {
				done, err := demoCompletionEffect(ctx, s, op, r)
				if err != nil {
					return err
				}
				if !done {
					break // left in progress, as the owner would leave it
				}
			}
			if err := s.UpdateRequest(op, id, "request.status", "status "+string(st), func(r *gdpr.Request) error {
				if st == gdpr.StatusInProgress && r.Verified == nil {
					r.Verified = &gdpr.Verification{By: op, How: "reply from the address on file", At: now()}
				}
				if st == gdpr.StatusDenied && r.Ground == "" {
					// A denial names its ground (SPEC §9): the demo's own,
					// else an invoice's legal claim, else the type's first.
					if gs := gdpr.DenialGrounds(*r); dr.Ground != "" && slices.Contains(gs, dr.Ground) {
						r.Ground = dr.Ground
					} else if r.Type == gdpr.RequestErasure {
						r.Ground = gdpr.GroundLegalClaims
					} else if len(gs) > 0 {
						r.Ground = gs[0]
					}
				}
				return r.Move(st, note, now())
			}); err != nil {
				return fmt.Errorf("advance demo request: %w", err)
			}
		}
	}
	records := d.ChecklistRecords()
	for _, id := range slices.Sorted(maps.Keys(records)) { // in order: the audit log is the same every time
		if err := s.SetChecklistItem(op, id, records[id]); err != nil {
			return fmt.Errorf("demo checklist: %w", err)
		}
	}
	return nil
}

// demoCompletionEffect does what a completed objection to processing asks
// of the contact, as the owner would before closing it: no more processing
// on legitimate interests or a public task. A restriction whose contact
// the demo did not restrict stays in progress (done is false): restricting
// it here would seal the reason in an audit entry with a random nonce, and
// the demo's audit chain is the same on every run.
func demoCompletionEffect(ctx context.Context, s *store.Store, op string, r gdpr.Request) (done bool, err error) {
	c, err := s.Contact(r.Contact)
	if err != nil {
		return false, fmt.Errorf("demo completion: %w", err)
	}
	if r.Type == gdpr.RequestObjection && !r.ObjectsToMarketing() {
		for _, b := range []gdpr.Basis{gdpr.BasisLegitimateInterests, gdpr.BasisPublicTask} {
			if !c.HasBasis(b) {
				continue
			}
			if _, err := s.ApplyBasisTo(ctx, op, []gdpr.ContactID{r.Contact}, store.BasisChange{Basis: b, Remove: true}, nil); err != nil {
				return false, fmt.Errorf("demo objection: %w", err)
			}
		}
		if c, err = s.Contact(r.Contact); err != nil {
			return false, fmt.Errorf("demo completion: %w", err)
		}
	}
	return gdpr.CompletionDone(r, &c) == nil, nil
}
