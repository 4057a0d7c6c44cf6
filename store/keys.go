package store

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Key layout. Every key starts with a short prefix naming its kind; numbers
// are 8-byte big-endian so keys sort by number; an index value is followed
// by 0x00 so that "web" and "webinar" never share a prefix. No key holds
// personal data: emails are indexed by a keyed hash, and index values are
// labels (country, basis, status, source, tag, date) that identify nobody.
//
//	m/<name>                          meta: schema, HMAC secret, sequences, audit head
//	c/<id>                            contact: clear fields + sealed personal data (binary.go)
//	sx/<chunk>                        search index: 64 contacts' search texts, sealed (search.go)
//	e/<hmac(email)>                   email look-up → contact id
//	x/<hmac(email)>                   suppression list entry (erased address)
//	                                  (email: gdpr.CanonicalEmail; x/ entries of
//	                                  older versions: gdpr.LegacyEmailSpellings)
//	i/<field>/<value>\x00<id>         contact index: field ∈ co ba st so tg cr mk pu ho;
//	                                  co's value is EU status and country (y:DE)
//	ib/<field>/<value>\x00<chunk>      the ids of i/<field>/<value> in chunks of 4,096,
//	                                  as bitmaps (no chunk for cr; bitmap.go)
//	n/<counter>                       maintained counter, int64
//	r/<id>                            request (JSON, sealed subject fields)
//	q/due/<yyyymmdd>\x00<type>\x00<id> open requests by due date
//	a/<seq>                           audit entry (hash-chained)
//	ar/<record>\x00<seq>              audit entries by record (C12, R3, settings, …)
//	ai/<last id>/<seq>                an entry about a run of contacts (an import chunk) → its first id
//	ab/<chunk>/<seq>                  an entry about scattered contacts (a bulk change's chunk) →
//	                                  their ids in chunk (ids chunk·4096 … +4095), as ib/ stores them
//	m/shred/<slot>                    a key slot a committed erasure still has to destroy
//	m/shredded/<slot>                 every key slot an erasure marked, kept for good (erase.go)
//	m/shredcount                      how many shred markers were ever set (vs the key ring's count)
//	m/lost/<first seq>                audit entries Open found missing (last seq; head.go)
//	p/<kind>\x00<version>             policy / consent-text version
//	sr/<source>                       source rule
//	k/<item id>                       checklist record
//	o/<name>                          operator
//	g/settings                        compliance settings
//	pu/<name>                         purpose (records of processing, Art. 30)
//	rc/<lower-case name>              recipient (processor, controller, joint)
//	g/dpia                            the latest DPIA screening (Art. 35; dpia.go)
//	f/<contact id><audit seq><n>      file written with the person's data, path sealed (files.go)
//	br/<id>                           breach (Art. 33–34): clear times, counts, risk; texts sealed (breaches.go)
//	ob/<id>                           outbox message: state and times; content, address and
//	                                  the server's reason sealed under the request's key (outbox.go)
//
//	  ┌ c/<id> ─────────────────────────────────────────────┐
//	  │ id country status source tags bases consents ...     │──slot──▶ keys/subjects.keys
//	  │ personal: AES-GCM(data key of slot, JSON of names…)  │            (64-byte slots,
//	  └──────────────────────────────────────────────────────┘             wrapped by master.key)

var (
	prefixContact  = []byte("c/")
	prefixEmail    = []byte("e/")
	prefixSuppress = []byte("x/")
	prefixIndex    = []byte("i/")
	prefixCounter  = []byte("n/")
	prefixRequest  = []byte("r/")
	prefixDue      = []byte("q/due/")
	prefixAudit    = []byte("a/")
	prefixAuditRec = []byte("ar/")
	// ai/<last id>/<seq> = <first id>: one entry about a run of contacts
	// with consecutive ids (an import chunk), found by its last id.
	prefixAuditRange = []byte("ai/")
	// ab/<chunk>/<seq> = the ids, within id chunk <chunk> (as the bitmap
	// chunks number them), of the contacts one entry about a bulk change
	// is about: a key per 4,096 ids the change spans, not one per contact.
	prefixAuditBulk = []byte("ab/")
	prefixPolicy    = []byte("p/")
	prefixRule      = []byte("sr/")
	prefixCheck     = []byte("k/")
	prefixOperator  = []byte("o/")
	keySettings     = []byte("g/settings")
	keyDPIA         = []byte("g/dpia")
	prefixPurpose   = []byte("pu/")
	prefixRecipient = []byte("rc/")
	prefixBreach    = []byte("br/")

	keySchema      = []byte("m/schema")
	keyHMACSecret  = []byte("m/hmac")
	keyContactSeq  = []byte("m/seq/contact")
	keyRequestSeq  = []byte("m/seq/request")
	keyBreachSeq   = []byte("m/seq/breach")
	keyOutboxSeq   = []byte("m/seq/outbox")
	keyAuditHead   = []byte("m/audit/head")
	keyCreatedFlag = []byte("m/created")
)

// Index field codes in i/ keys.
const (
	ixCountry = "co"
	ixBasis   = "ba"
	ixStatus  = "st"
	ixSource  = "so"
	ixTag     = "tg"
	// The rule book's indexes (SPEC §9): marketing class, standing
	// consent purposes, legal hold.
	ixMarketing = "mk"
	ixPurpose   = "pu"
	ixHold      = "ho"
	ixCreated   = "cr"
)

// noCountry is the index value of a contact with no country.
const noCountry = "--"

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func contactKey(id gdpr.ContactID) []byte { return join(prefixContact, u64(uint64(id))) }
func requestKey(id gdpr.RequestID) []byte { return join(prefixRequest, u64(uint64(id))) }
func auditKey(seq uint64) []byte          { return join(prefixAudit, u64(seq)) }
func breachKey(id gdpr.BreachID) []byte   { return join(prefixBreach, u64(uint64(id))) }

func auditRangeKey(last gdpr.ContactID, seq uint64) []byte {
	return join(prefixAuditRange, u64(uint64(last)), u64(seq))
}

func auditBulkKey(chunk uint32, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(bytes.Clone(prefixAuditBulk), chunk), seq)
}

func auditRecordKey(record string, seq uint64) []byte {
	return join(prefixAuditRec, []byte(record), []byte{0}, u64(seq))
}
func counterKey(name string) []byte  { return join(prefixCounter, []byte(name)) }
func ruleKey(source string) []byte   { return join(prefixRule, []byte(source)) }
func checkKey(id string) []byte      { return join(prefixCheck, []byte(id)) }
func operatorKey(name string) []byte { return join(prefixOperator, []byte(name)) }
func purposeKey(name string) []byte  { return join(prefixPurpose, []byte(name)) }
func recipientKey(name string) []byte {
	return join(prefixRecipient, []byte(strings.ToLower(strings.TrimSpace(name))))
}
func emailKey(h []byte) []byte    { return join(prefixEmail, h) }
func suppressKey(h []byte) []byte { return join(prefixSuppress, h) }

func policyKey(kind gdpr.PolicyKind, version int) []byte {
	return join(prefixPolicy, []byte(kind), []byte{0}, u64(uint64(version)))
}

// indexPrefix is the prefix of every key of one index value.
func indexPrefix(field, value string) []byte {
	return join(prefixIndex, []byte(field), []byte{'/'}, []byte(value), []byte{0})
}

// fieldPrefix is the prefix of every key of one index field.
func fieldPrefix(field string) []byte {
	return join(prefixIndex, []byte(field), []byte{'/'})
}

func indexKey(field, value string, id gdpr.ContactID) []byte {
	return appendIndexKey(make([]byte, 0, len(prefixIndex)+len(field)+len(value)+10), field, value, id)
}

// appendIndexKey appends indexKey(field, value, id) to buf.
func appendIndexKey(buf []byte, field, value string, id gdpr.ContactID) []byte {
	buf = append(append(append(append(append(buf, prefixIndex...), field...), '/'), value...), 0)
	return binary.BigEndian.AppendUint64(buf, uint64(id))
}

// idFromKey reads the id in the last 8 bytes of a key.
func idFromKey(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}

func dateValue(t time.Time) string { return gdpr.Day(t).Format("20060102") }

func dueKey(due time.Time, t gdpr.RequestType, id gdpr.RequestID) []byte {
	return join(prefixDue, []byte(dateValue(due)), []byte{0}, []byte(t), []byte{0}, u64(uint64(id)))
}

// parseDueKey splits a due-index key into its date and request type.
func parseDueKey(k []byte) (date string, t gdpr.RequestType) {
	rest := k[len(prefixDue):]
	parts := bytes.SplitN(rest, []byte{0}, 3)
	if len(parts) < 3 {
		return "", ""
	}
	return string(parts[0]), gdpr.RequestType(parts[1])
}
