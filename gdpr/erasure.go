package gdpr

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// BlockerKind names why an erasure must wait; the sweep counts its skips
// by kind.
type BlockerKind string

// The erasure guards of SPEC §9.
const (
	// BlockOpenRequest: another request of the person is open. It is
	// answered first: erasing the data to avoid answering an access
	// request would defeat it (Art. 12(2), Art. 15).
	BlockOpenRequest BlockerKind = "open request"
	// BlockRestricted: processing is restricted (Art. 18(1)); the data is
	// stored only, and erasing it is processing too. The restriction is
	// lifted first, on the record.
	BlockRestricted BlockerKind = "restricted"
	// BlockHold: a legal hold keeps some fields (Art. 17(3)(b)); the
	// rest can go, but only as an erasure that keeps the held fields.
	BlockHold BlockerKind = "legal hold"
	// BlockObligation: an unpaid balance or an open contract
	// (Art. 17(3)(e), Art. 17(1)); an override reason lets it proceed.
	BlockObligation BlockerKind = "obligation"
)

// ErasureBlocker is one reason an erasure must not happen now, in plain
// words naming the article.
type ErasureBlocker struct {
	Kind   BlockerKind `json:"kind"`
	Reason string      `json:"reason"`
}

func (b ErasureBlocker) String() string { return b.Reason }

// ErasureBlockers lists why the contact must not be erased now (SPEC §9
// "Erasure guards"): another open request of the same person (not the
// erasure request being answered, and not an erasure request at all —
// erasing is what it asks), a restriction, a legal hold in force. open
// are the person's requests (closed ones are ignored). None means erasure
// may go ahead (obligations are asked separately: Contact.Obligations).
//
// The order is fixed, and it is the order in which the desk clears them:
// an open request first (its deadline runs and it may need the very data:
// answer it, Art. 12(2)–(3)), then a restriction (lift it on the record,
// Art. 18(3)), then a legal hold (it is not cleared by anyone: the
// erasure keeps the held fields, Art. 17(3)(b)). The first blocker is the
// one the sweep reports a skip under, so a person both held and with an
// open request is skipped as "open request": that is what to do next.
func ErasureBlockers(c *Contact, open []Request, answering RequestID, now time.Time) []ErasureBlocker {
	var out []ErasureBlocker
	var ids []string
	for _, r := range open {
		if !r.Status.Open() || r.ID == answering || r.Type == RequestErasure || (c != nil && r.Contact != 0 && r.Contact != c.ID) {
			continue
		}
		ids = append(ids, r.ID.String()+" ("+string(r.Type)+")")
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		out = append(out, ErasureBlocker{Kind: BlockOpenRequest, Reason: fmt.Sprintf(
			"request %s is still open: answer it first — erasing the data to avoid answering is not allowed (Art. 12(2))",
			strings.Join(ids, ", "))})
	}
	if c == nil {
		return out
	}
	if c.Status == ContactRestricted {
		out = append(out, ErasureBlocker{Kind: BlockRestricted, Reason: "processing is restricted (Art. 18(1)): the data may only be stored; lift the restriction first, on the record"})
	}
	if c.Hold.InForce(now) && c.Status != ContactHeld {
		out = append(out, ErasureBlocker{Kind: BlockHold, Reason: fmt.Sprintf(
			"a legal hold keeps %s until %s (Art. 17(3)(b)): erase everything else with the held fields kept",
			strings.Join(c.Hold.Keep, ", "), c.Hold.Until.Format(time.DateOnly))})
	}
	return out
}

// BlockersText joins blockers in words, for one error line.
func BlockersText(bs []ErasureBlocker) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.Reason
	}
	return strings.Join(parts, "; ")
}

// KeepHeld returns what a legal hold keeps of the contact's personal data
// (Art. 17(3)(b)): the named fields, nothing else — no email, phone,
// notes, custom fields, consents, bases, evidence or tags unless named.
// The result is the contact "erased except held records until DATE".
func KeepHeld(c *Contact, h Hold, now time.Time) Contact {
	out := Contact{ID: c.ID, Country: c.Country, Status: ContactHeld, CreatedAt: c.CreatedAt, UpdatedAt: now.UTC(),
		AnonymizedAt: now.UTC(), MarketingObjection: c.MarketingObjection, Hold: &h}
	for _, f := range h.Keep {
		switch f {
		case "first_name":
			out.FirstName = c.FirstName
		case "last_name":
			out.LastName = c.LastName
		case "company":
			out.Company = c.Company
		case "street":
			out.Street = c.Street
		case "city":
			out.City = c.City
		case "region":
			out.Region = c.Region
		case "postal_code":
			out.PostalCode = c.PostalCode
		case "email":
			out.Email = c.Email
		case "phone":
			out.Phone = c.Phone
		case "notes":
			out.Notes = c.Notes
		case "custom":
			out.Custom = c.Custom
		}
	}
	return out
}

// HeldLabel says what is left of a held contact: "erased except held
// records until 2036-12-31".
func (c *Contact) HeldLabel() string {
	if c.Status != ContactHeld || c.Hold == nil {
		return ""
	}
	return "erased except held records until " + c.Hold.Until.Format(time.DateOnly)
}
