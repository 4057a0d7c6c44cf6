package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Contact records are stored in a compact binary form rather than JSON:
// a bulk change decodes and encodes every record it touches, and JSON (with
// its base64 for the sealed blobs) cost most of the time of a 100,000-
// contact bulk tag. Layout, version 1 (u = uvarint, s = u length + bytes,
// t = varint Unix nanoseconds, 0 for the zero time):
//
//	0x01 u:id u:slot s:country s:status s:source
//	u:ntags {s:tag}
//	u:nbases {s:basis s:source s:evidence(sealed) t:at s:by}
//	u:nconsents {s:purpose byte:granted t:at s:method u:consentv u:policyv}
//	varint:balance byte:open_contract t:created t:updated t:anonymized
//	s:personal(sealed) s:search(sealed)
//
// Version 2 (the rule book's state, SPEC §9) adds s:purpose after each
// basis's s:basis, byte:marketing after each consent's u:policyv, and at the
// end t:marketing_objection t:restricted_at byte:hold
// [s:reason t:until u:nkeep {s:field} t:at s:by]. Version 1 records are
// read as having none of these.
const (
	contactCodecV1 = 1
	contactCodecV2 = 2
)

// encoder appends a record; the first error sticks (encodeContact returns
// it), like the decoder's.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) u(v uint64)     { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) i(v int64)      { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bytes(v []byte) { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) str(v string)   { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) flag(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time writes t as Unix nanoseconds. A time int64 nanoseconds cannot hold
// (before 1677-09-21 or after 2262-04-11) is refused: UnixNano would wrap it
// silently to another date (2300-01-01 became 1715-06-13). The product's own
// range (gdpr.CheckStorableDate) lies inside, and entry points check it
// first; this is the last line of defence.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.i(0)
		return
	}
	if t.Before(minCodecTime) || t.After(maxCodecTime) {
		if e.err == nil {
			e.err = fmt.Errorf("date %s cannot be stored (the record holds dates from %s to %s)",
				t.UTC().Format(time.DateOnly), minCodecTime.Format(time.DateOnly), maxCodecTime.Format(time.DateOnly))
		}
		e.i(0)
		return
	}
	e.i(t.UnixNano())
}

// The instants a record's int64 nanoseconds can hold.
var (
	minCodecTime = time.Unix(0, math.MinInt64).UTC()
	maxCodecTime = time.Unix(0, math.MaxInt64).UTC()
)

// encodeContact writes a record; it fails only on a date the record cannot
// hold, and then writes nothing.
func encodeContact(r *contactRec) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 96+len(r.Personal)+len(r.Search)+64*len(r.Bases))}
	e.b = append(e.b, contactCodecV2)
	e.u(uint64(r.ID))
	e.u(uint64(r.Slot))
	e.str(r.Country)
	e.str(string(r.Status))
	e.str(r.Source)
	e.u(uint64(len(r.Tags)))
	for _, t := range r.Tags {
		e.str(t)
	}
	e.u(uint64(len(r.Bases)))
	for _, b := range r.Bases {
		e.str(string(b.Basis))
		e.str(b.Purpose)
		e.str(b.Source)
		e.bytes(b.Evidence)
		e.time(b.At)
		e.str(b.By)
	}
	e.u(uint64(len(r.Consents)))
	for _, c := range r.Consents {
		e.str(c.Purpose)
		e.flag(c.Granted)
		e.time(c.At)
		e.str(c.Method)
		e.u(uint64(c.ConsentVersion))
		e.u(uint64(c.PolicyVersion))
		e.flag(c.Marketing)
	}
	e.i(r.Balance)
	e.flag(r.OpenContract)
	e.time(r.CreatedAt)
	e.time(r.UpdatedAt)
	e.time(r.AnonymizedAt)
	e.bytes(r.Personal)
	e.bytes(r.Search)
	e.time(r.MarketingObjection)
	e.time(r.RestrictedAt)
	e.flag(r.Hold != nil)
	if h := r.Hold; h != nil {
		e.str(h.Reason)
		e.time(h.Until)
		e.u(uint64(len(h.Keep)))
		for _, f := range h.Keep {
			e.str(f)
		}
		e.time(h.At)
		e.str(h.By)
	}
	if e.err != nil {
		return nil, fmt.Errorf("contact %s: %w", r.ID, e.err)
	}
	return e.b, nil
}

// decoder reads what encoder wrote; the first error sticks and every read
// after it returns zero values, so a damaged record gives one error, never
// a panic.
type decoder struct {
	b   []byte
	err error
}

var errTruncated = errors.New("record is truncated")

func (d *decoder) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw() []byte {
	n := d.u()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errTruncated
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	v := d.raw()
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) flag() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.err = errTruncated
		return false
	}
	v := d.b[0]
	d.b = d.b[1:]
	if v > 1 {
		d.err = fmt.Errorf("bad flag byte %d", v)
	}
	return v == 1
}

func (d *decoder) time() time.Time {
	n := d.i()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// count reads a list length and refuses one longer than the bytes left
// could hold, so a damaged length cannot make a huge allocation.
func (d *decoder) count() int {
	n := d.u()
	if n > uint64(len(d.b)) || n > math.MaxInt32 {
		if d.err == nil {
			d.err = errTruncated
		}
		return 0
	}
	return int(n)
}

func decodeContact(b []byte) (contactRec, error) {
	var r contactRec
	if len(b) == 0 || (b[0] != contactCodecV1 && b[0] != contactCodecV2) {
		return r, errors.New("decode contact record: unknown format")
	}
	v2 := b[0] == contactCodecV2
	d := decoder{b: b[1:]}
	r.ID = gdpr.ContactID(d.u())
	slot := d.u()
	if slot > math.MaxUint32 {
		return r, errors.New("decode contact record: bad key slot")
	}
	r.Slot = Slot(slot)
	r.Country = d.str()
	r.Status = gdpr.ContactStatus(d.str())
	r.Source = d.str()
	if n := d.count(); n > 0 {
		r.Tags = make([]string, n)
		for i := range r.Tags {
			r.Tags[i] = d.str()
		}
	}
	if n := d.count(); n > 0 {
		r.Bases = make([]basisRec, n)
		for i := range r.Bases {
			br := basisRec{Basis: gdpr.Basis(d.str())}
			if v2 {
				br.Purpose = d.str()
			}
			br.Source, br.Evidence, br.At, br.By = d.str(), d.bytes(), d.time(), d.str()
			r.Bases[i] = br
		}
	}
	if n := d.count(); n > 0 {
		r.Consents = make([]gdpr.ConsentRecord, n)
		for i := range r.Consents {
			c := gdpr.ConsentRecord{Purpose: d.str(), Granted: d.flag(), At: d.time(), Method: d.str()}
			c.ConsentVersion, c.PolicyVersion = int(d.u()), int(d.u())
			if v2 {
				c.Marketing = d.flag()
			}
			r.Consents[i] = c
		}
	}
	r.Balance = d.i()
	r.OpenContract = d.flag()
	r.CreatedAt, r.UpdatedAt, r.AnonymizedAt = d.time(), d.time(), d.time()
	r.Personal = d.bytes()
	r.Search = d.bytes()
	if v2 {
		r.MarketingObjection, r.RestrictedAt = d.time(), d.time()
		if d.flag() {
			h := &gdpr.Hold{Reason: d.str(), Until: d.time()}
			if n := d.count(); n > 0 {
				h.Keep = make([]string, n)
				for i := range h.Keep {
					h.Keep[i] = d.str()
				}
			}
			h.At, h.By = d.time(), d.str()
			r.Hold = h
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d unexpected bytes at the end", len(d.b))
	}
	if d.err != nil {
		return r, fmt.Errorf("decode contact record: %w", d.err)
	}
	if r.ID == 0 {
		return r, errors.New("decode contact record: no id")
	}
	return r, nil
}
