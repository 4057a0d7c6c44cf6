package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// TestCountersMatchRecountUnderRandomOperations runs random sequences of
// every kind of change — create, edit (email, country, tags, source,
// consent records), bulk tag and untag, restrict and lift, requests opened,
// moved and closed — including changes the store must refuse, and after
// each step checks every maintained counter against a full recount. Every
// so often it also checks a few queries against a brute-force filter, and at
// the end the audit chain.
func TestCountersMatchRecountUnderRandomOperations(t *testing.T) {
	// Each step recounts the whole store, so the cost grows with the square
	// of the steps; three seeds of 400 steps reach a few hundred contacts.
	steps := 400
	if testing.Short() {
		steps = 120
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			t.Parallel()
			runRandomOperations(t, seed, steps)
		})
	}
}

type propWorld struct {
	t        *testing.T
	s        *Store
	clk      *clock
	r        *rand.Rand
	contacts []gdpr.ContactID
	requests []gdpr.RequestID
	emails   int // next unique email number
	log      []string
}

func (w *propWorld) email() string {
	w.emails++
	if w.r.IntN(15) == 0 && w.emails > 2 {
		// An address that probably exists: the store must refuse it cleanly.
		return fmt.Sprintf("p%d@example.org", w.r.IntN(w.emails-1)+1)
	}
	return fmt.Sprintf("p%d@example.org", w.emails)
}

func (w *propWorld) contact() (gdpr.ContactID, bool) {
	if len(w.contacts) == 0 {
		return 0, false
	}
	return w.contacts[w.r.IntN(len(w.contacts))], true
}

func (w *propWorld) pick(list []string) string { return list[w.r.IntN(len(list))] }

var propQueries = []string{
	"", "country:DE", "country:FR", "eu:yes", "eu:no", "eu:unknown", "tag:x", "tag:vip", "source:fair",
	"basis:none", "basis:consent", "status:restricted", "country:DE|AT tag:x", "eu:yes basis:none",
}

func runRandomOperations(t *testing.T, seed uint64, steps int) {
	s, clk := newStore(t)
	w := &propWorld{t: t, s: s, clk: clk, r: rand.New(rand.NewPCG(seed, 42))}
	if err := s.SetSourceRule("op", gdpr.SourceRule{Source: "webform:newsletter", Basis: gdpr.BasisConsent}); err != nil {
		t.Fatal(err)
	}
	// Consent is recorded per purpose (SPEC §9): by hand and in bulk.
	if err := s.SavePurpose("op", gdpr.Purpose{Name: "newsletter", Basis: gdpr.BasisConsent, Marketing: true}); err != nil {
		t.Fatal(err)
	}
	ops := []struct {
		name   string
		weight int
		do     func(w *propWorld) (string, error)
	}{
		{"create", 6, opCreate},
		{"edit", 5, opEdit},
		{"consent", 2, opConsent},
		{"tag", 2, opTag},
		{"untag", 2, opUntag},
		{"restrict", 2, opRestrict},
		{"request", 2, opRequest},
		{"move", 2, opMoveRequest},
		{"clock", 1, opClock},
	}
	var table []int
	for i, op := range ops {
		for range op.weight {
			table = append(table, i)
		}
	}
	refused := 0
	for step := 1; step <= steps; step++ {
		op := ops[table[w.r.IntN(len(table))]]
		what, err := op.do(w)
		entry := fmt.Sprintf("%d %s: %s", step, op.name, what)
		if err != nil {
			refused++
			entry += " → refused: " + err.Error()
		}
		w.log = append(w.log, entry)
		re, have, rerr := s.Recount()
		if rerr != nil {
			t.Fatalf("step %s: Recount: %v", entry, rerr)
		}
		if diff := counterDiff(nonZero(re), nonZero(have)); diff != "" {
			t.Fatalf("after step %s counters differ from a recount:%s\nlast steps:\n%s", entry, diff, lastLines(w.log, 10))
		}
		if step%100 == 0 {
			w.checkQueries(entry)
		}
	}
	w.checkQueries("the end")
	rep := checkVerified(t, s)
	if rep.Contacts != int64(len(w.contacts)) || rep.Requests != int64(len(w.requests)) {
		t.Errorf("VerifyAudit recounted %d contacts and %d requests, want %d and %d", rep.Contacts, rep.Requests, len(w.contacts), len(w.requests))
	}
	if refused == 0 || refused == steps {
		t.Errorf("%d of %d steps were refused: the sequence does not mix valid and invalid changes", refused, steps)
	}
	t.Logf("%d steps, %d refused, %d contacts, %d requests, %d audit entries", steps, refused, len(w.contacts), len(w.requests), rep.Entries)
}

func counterDiff(want, have map[string]int64) string {
	var b strings.Builder
	names := map[string]bool{}
	for n := range want {
		names[n] = true
	}
	for n := range have {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	slices.Sort(sorted)
	for _, n := range sorted {
		if want[n] != have[n] {
			fmt.Fprintf(&b, "\n  %s: maintained %d, recount %d", n, have[n], want[n])
		}
	}
	return b.String()
}

func lastLines(log []string, n int) string {
	return strings.Join(log[max(0, len(log)-n):], "\n")
}

// checkQueries compares a few paged queries and counts with brute force.
func (w *propWorld) checkQueries(when string) {
	w.t.Helper()
	for _, text := range []string{"eu:yes basis:none", "tag:x", "status:restricted country:DE", "basis:consent"} {
		q := mustQuery(w.t, text)
		want := bruteForce(w.t, w.s, w.contacts, q)
		if got := sortedIDs(collect(w.t, w.s, text, 9)); !slices.Equal(got, want) {
			w.t.Errorf("%s: %q pages to %v, brute force %v", when, text, got, want)
		}
		if n := mustCount(w.t, w.s, text); n != int64(len(want)) {
			w.t.Errorf("%s: Count(%q) = %d, want %d", when, text, n, len(want))
		}
	}
}

func opCreate(w *propWorld) (string, error) {
	n := 1 + w.r.IntN(3)
	var cs []gdpr.Contact
	for range n {
		c := randomContact(w.r, 0)
		c.Email = w.email()
		if w.r.IntN(4) == 0 {
			c.Source = "webform:newsletter"
		}
		if w.r.IntN(20) == 0 {
			c.Country = "Atlantis" // invalid: the whole batch is refused
		}
		cs = append(cs, c)
	}
	ids, err := w.s.CreateContacts("op", cs)
	w.contacts = append(w.contacts, ids...)
	return fmt.Sprintf("%d contacts → %v", n, ids), err
}

func opEdit(w *propWorld) (string, error) {
	id, ok := w.contact()
	if !ok {
		return "no contact", nil
	}
	var what []string
	err := w.s.UpdateContact("op", id, func(c *gdpr.Contact) error {
		for range 1 + w.r.IntN(2) {
			switch w.r.IntN(5) {
			case 0:
				c.Email = w.email()
				what = append(what, "email "+c.Email)
			case 1:
				c.Country = w.pick(countries)
				what = append(what, "country "+c.Country)
			case 2:
				if len(c.Tags) > 0 && w.r.IntN(2) == 0 {
					c.Tags = c.Tags[1:]
					what = append(what, "drop a tag")
				} else {
					tg := w.pick(tagPool)
					if w.r.IntN(3) == 0 {
						tg = strings.ToUpper(tg) // the same tag in other letters
					}
					c.Tags = append(c.Tags, tg)
					what = append(what, "tag "+tg)
				}
			case 3:
				c.Source = w.pick(sources)
				what = append(what, "source "+c.Source)
			case 4:
				if w.r.IntN(2) == 0 {
					c.Bases = append(c.Bases, gdpr.BasisAssignment{Basis: gdpr.Bases()[w.r.IntN(6)]})
					what = append(what, "add a basis")
				} else {
					c.Bases = nil
					what = append(what, "drop bases")
				}
			}
		}
		return nil
	})
	return fmt.Sprintf("%s %s", id, strings.Join(what, ", ")), err
}

func opConsent(w *propWorld) (string, error) {
	id, ok := w.contact()
	if !ok {
		return "no contact", nil
	}
	switch w.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%s grant newsletter", id), w.s.GrantConsent("op", id, "newsletter", time.Time{}, "webform")
	case 1:
		return fmt.Sprintf("%s withdraw newsletter", id), w.s.WithdrawConsent("op", id, "newsletter", "unsubscribe link")
	}
	rec := gdpr.ConsentRecord{Purpose: "newsletter", Granted: w.r.IntN(3) > 0, At: w.clk.Now(), Method: "webform"}
	if w.r.IntN(2) == 0 {
		rec.PolicyVersion = 1
	}
	err := w.s.UpdateContact("op", id, func(c *gdpr.Contact) error {
		c.Consents = append(c.Consents, rec)
		if w.r.IntN(2) == 0 {
			c.AddBasis(gdpr.BasisAssignment{Basis: gdpr.BasisConsent})
		}
		return nil
	})
	return fmt.Sprintf("%s granted %v policy v%d", id, rec.Granted, rec.PolicyVersion), err
}

func bulk(w *propWorld, remove bool) (string, error) {
	text := w.pick(propQueries)
	b := gdpr.Bases()[w.r.IntN(3)]
	ctx := context.Background()
	var cancel context.CancelFunc
	if w.r.IntN(5) == 0 {
		ctx, cancel = context.WithCancel(ctx)
		cancel()
	}
	ch := BasisChange{Basis: b, Remove: remove, Evidence: "bulk"}
	if b == gdpr.BasisConsent {
		ch.Purpose = "newsletter"
	}
	res, err := w.s.ApplyBasis(ctx, "op", mustQuery(w.t, text), ch, nil)
	return fmt.Sprintf("%q %s remove=%v → %+v", text, b, remove, res), err
}

func opTag(w *propWorld) (string, error)   { return bulk(w, false) }
func opUntag(w *propWorld) (string, error) { return bulk(w, true) }

func opRestrict(w *propWorld) (string, error) {
	id, ok := w.contact()
	if !ok {
		return "no contact", nil
	}
	st := gdpr.ContactRestricted
	if w.r.IntN(2) == 0 {
		st = gdpr.ContactActive
	}
	return fmt.Sprintf("%s %s", id, st), w.s.SetContactStatus("op", id, st, "asked")
}

func opRequest(w *propWorld) (string, error) {
	types := gdpr.RequestTypes()
	r := gdpr.Request{Type: types[w.r.IntN(len(types))], Channel: gdpr.ChannelEmail,
		Received: gdpr.Day(w.clk.Now()).AddDate(0, 0, -w.r.IntN(60))}
	if id, ok := w.contact(); ok && w.r.IntN(3) > 0 {
		r.Contact = id
	} else {
		r.SubjectEmail = fmt.Sprintf("p%d@example.org", w.r.IntN(w.emails+5)+1)
	}
	id, err := w.s.AddRequest("op", r)
	if err == nil {
		w.requests = append(w.requests, id)
	}
	return fmt.Sprintf("%s %s → %s", r.Type, r.Contact, id), err
}

func opMoveRequest(w *propWorld) (string, error) {
	if len(w.requests) == 0 {
		return "no request", nil
	}
	id := w.requests[w.r.IntN(len(w.requests))]
	switch w.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%s completed", id), w.s.CloseRequest("op", id, gdpr.StatusCompleted, "done")
	case 1:
		reason := ""
		if w.r.IntN(2) == 0 {
			reason = "unpaid invoice"
		}
		return fmt.Sprintf("%s denied %q", id, reason), w.s.CloseRequest("op", id, gdpr.StatusDenied, reason)
	case 2:
		return fmt.Sprintf("%s notified", id), w.s.UpdateRequest("op", id, "request.notify", "recipients told", func(r *gdpr.Request) error {
			r.Notifications = append(r.Notifications, gdpr.Notification{Recipient: "mailer", At: w.clk.Now(), By: "op"})
			return nil
		})
	default:
		to := []gdpr.RequestStatus{gdpr.StatusVerifying, gdpr.StatusInProgress}[w.r.IntN(2)]
		return fmt.Sprintf("%s → %s", id, to), w.s.UpdateRequest("op", id, "request.move", "moved to "+string(to), func(r *gdpr.Request) error {
			return r.Move(to, "", w.clk.Now())
		})
	}
}

func opClock(w *propWorld) (string, error) {
	w.clk.Set(w.clk.Now().Add(time.Duration(w.r.IntN(72)) * time.Hour))
	return w.clk.Now().Format(time.RFC3339), nil
}
