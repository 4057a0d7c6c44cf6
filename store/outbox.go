package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The outbox (SPEC §11): every letter the desk sends is a message here,
// with its state (queued, sending, sent, failed), its attempts and the
// server's last reason (a failed message was refused for good; a queued
// one with a reason could not be delivered yet and is sent by a retry). What identifies the person — the address, the
// letter, the attachment and the server's reason, which may quote the
// address — is sealed under the key of the request it answers, which
// erasing the person destroys (erase.go), so their messages go with them.
//
//	ob/<id>   one message: clear state, times, kind, language, request;
//	          the rest sealed
//
// Every change of state commits with its audit entry, on the request
// ("M3 queued: completion letter, de"), which names no address.
var prefixOutbox = []byte("ob/")

func outboxKey(id MessageID) []byte { return join(prefixOutbox, u64(uint64(id))) }

func outboxAAD(id MessageID) []byte { return join([]byte("outbox"), u64(uint64(id))) }

// MessageID numbers outbox messages; it is shown as M3.
type MessageID uint64

func (id MessageID) String() string { return "M" + strconv.FormatUint(uint64(id), 10) }

// ParseMessageID reads M3 (or 3).
func ParseMessageID(s string) (MessageID, error) {
	v := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "M"), "m")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a message id (e.g. M3)", s)
	}
	return MessageID(n), nil
}

// Message is one letter of the outbox.
type Message struct {
	ID       MessageID
	Request  gdpr.RequestID
	Contact  gdpr.ContactID // 0 when the request names no contact
	Kind     gdpr.LetterKind
	Lang     string
	State    gdpr.MessageState
	Attempts int
	Created  time.Time
	LastTry  time.Time // when it was last handed to the server
	Sent     time.Time // when the server took it
	// HeaderID is the Message-ID header, the same on every attempt, so a
	// server or the person can tell a second copy from a new letter.
	HeaderID string
	// AttachmentSHA256 is the hash of the attached file ("" for none).
	AttachmentSHA256 string

	// The sealed part; empty once the person is erased (Erased).
	From, FromName string
	To, ToName     string
	Subject, Body  string
	AttachmentName string
	Attachment     []byte
	Reason         string // the server's last reason, for a failed message or one queued again
	Erased         bool
}

// messageRec is a message as stored.
type messageRec struct {
	ID               MessageID         `json:"id"`
	Request          gdpr.RequestID    `json:"request"`
	Contact          gdpr.ContactID    `json:"contact,omitempty"`
	Kind             gdpr.LetterKind   `json:"kind"`
	Lang             string            `json:"lang"`
	State            gdpr.MessageState `json:"state"`
	Attempts         int               `json:"attempts"`
	Created          time.Time         `json:"created"`
	LastTry          time.Time         `json:"last_try,omitzero"`
	Sent             time.Time         `json:"sent,omitzero"`
	HeaderID         string            `json:"header_id"`
	AttachmentSHA256 string            `json:"attachment_sha256,omitempty"`
	Slot             Slot              `json:"slot"`
	Sealed           []byte            `json:"sealed"`
}

type messagePersonal struct {
	From           string `json:"fr"`
	FromName       string `json:"fn,omitempty"`
	To             string `json:"to"`
	ToName         string `json:"tn,omitempty"`
	Subject        string `json:"su"`
	Body           string `json:"bo"`
	AttachmentName string `json:"an,omitempty"`
	Attachment     []byte `json:"at,omitempty"`
	Reason         string `json:"re,omitempty"`
}

func (t *tx) sealMessage(rec *messageRec, p messagePersonal) error {
	key, err := t.key(rec.Slot)
	if err != nil {
		return fmt.Errorf("seal message %s: %w", rec.ID, err)
	}
	pt, err := json.Marshal(p)
	if err != nil {
		return err
	}
	rec.Sealed, err = seal(key, pt, outboxAAD(rec.ID))
	return err
}

func (s *Store) unsealMessage(rec messageRec) (Message, error) {
	m := Message{ID: rec.ID, Request: rec.Request, Contact: rec.Contact, Kind: rec.Kind, Lang: rec.Lang,
		State: rec.State, Attempts: rec.Attempts, Created: rec.Created, LastTry: rec.LastTry, Sent: rec.Sent,
		HeaderID: rec.HeaderID, AttachmentSHA256: rec.AttachmentSHA256}
	p, err := s.messagePersonal(rec)
	if errors.Is(err, errKeyDestroyed) {
		m.Erased = true
		return m, nil
	}
	if err != nil {
		return m, err
	}
	m.From, m.FromName, m.To, m.ToName, m.Subject, m.Body = p.From, p.FromName, p.To, p.ToName, p.Subject, p.Body
	m.AttachmentName, m.Attachment, m.Reason = p.AttachmentName, p.Attachment, p.Reason
	return m, nil
}

func (s *Store) messagePersonal(rec messageRec) (messagePersonal, error) {
	var p messagePersonal
	key, err := s.keys.key(rec.Slot)
	if err != nil {
		return p, err
	}
	pt, err := unseal(key, rec.Sealed, outboxAAD(rec.ID))
	if err != nil {
		return p, fmt.Errorf("message %s: %w", rec.ID, err)
	}
	if err := json.Unmarshal(pt, &p); err != nil {
		return p, fmt.Errorf("decode message %s: %w", rec.ID, err)
	}
	return p, nil
}

func readMessageRec(txn *badger.Txn, id MessageID) (messageRec, error) {
	var rec messageRec
	b, err := getValue(txn, outboxKey(id))
	if errors.Is(err, ErrNotFound) {
		return rec, fmt.Errorf("message %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("decode message %s: %w", id, err)
	}
	return rec, nil
}

// QueueMessage puts a message in the outbox, queued, sealed under the key
// of its request, and audits it on the request, in one transaction. It
// returns the message's id. The request must exist and its person not be
// erased.
func (s *Store) QueueMessage(operator string, m Message) (MessageID, error) {
	if strings.TrimSpace(m.To) == "" || strings.TrimSpace(m.From) == "" {
		return 0, errors.New("a message needs a sender and a recipient")
	}
	var id MessageID
	err := s.write(operator, func(t *tx) error {
		req, err := readRequestRec(t.txn, m.Request)
		if err != nil {
			return err
		}
		if _, err := t.key(req.Slot); errors.Is(err, errKeyDestroyed) {
			return fmt.Errorf("request %s: its person was erased, so nothing is sent to them", m.Request)
		} else if err != nil {
			return err
		}
		n, err := t.nextSeq(keyOutboxSeq)
		if err != nil {
			return err
		}
		id = MessageID(n)
		rec := messageRec{ID: id, Request: m.Request, Contact: req.Contact, Kind: m.Kind, Lang: m.Lang,
			State: gdpr.MessageQueued, Created: t.now, HeaderID: m.HeaderID, AttachmentSHA256: m.AttachmentSHA256, Slot: req.Slot}
		if err := t.sealMessage(&rec, messagePersonal{From: m.From, FromName: m.FromName, To: m.To, ToName: m.ToName, Subject: m.Subject,
			Body: m.Body, AttachmentName: m.AttachmentName, Attachment: m.Attachment}); err != nil {
			return err
		}
		if err := t.setJSON(outboxKey(id), rec); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s queued: %s letter, %s", id, m.Kind, m.Lang)
		if m.AttachmentSHA256 != "" {
			detail += ", attachment sha256 " + m.AttachmentSHA256
		}
		t.audit(gdpr.ActionMessageQueue, m.Request.String(), detail, nil, 0)
		return nil
	})
	return id, err
}

// NotSendableError says that MarkSending refused a message: it was sent
// already, another run is sending it, or its person was erased. Why
// names nobody.
type NotSendableError struct {
	ID  MessageID
	Why string
}

func (e *NotSendableError) Error() string { return fmt.Sprintf("message %s: %s", e.ID, e.Why) }

// MarkSending records that a message is about to be handed to the server
// (one more attempt), before it is, so that a stop between the server
// taking it and MarkSent leaves it "sending", never queued to go again
// unasked (gdpr.CanMoveMessage). A non-zero interruptedBefore allows a
// message left sending by such a stop to be tried again, if its last
// attempt began at or before then: checked in the same transaction that
// marks it, so two runs never both take it. A refusal is a
// *NotSendableError.
func (s *Store) MarkSending(operator string, id MessageID, interruptedBefore time.Time) (Message, error) {
	var out Message
	err := s.write(operator, func(t *tx) error {
		rec, err := readMessageRec(t.txn, id)
		if err != nil {
			return err
		}
		interrupted := !interruptedBefore.IsZero()
		if err := gdpr.CanMoveMessage(rec.State, gdpr.MessageSending, interrupted); err != nil {
			return &NotSendableError{ID: id, Why: err.Error()}
		}
		if rec.State == gdpr.MessageSending && rec.LastTry.After(interruptedBefore) {
			return &NotSendableError{ID: id, Why: fmt.Sprintf("it has been sending only since %s: another run may be sending it now",
				rec.LastTry.UTC().Format(time.RFC3339))}
		}
		if out, err = t.s.unsealMessage(rec); err != nil {
			return err
		}
		if out.Erased {
			return &NotSendableError{ID: id, Why: "its person was erased, so it is not sent"}
		}
		rec.State, rec.LastTry = gdpr.MessageSending, t.now
		rec.Attempts++
		out.State, out.LastTry, out.Attempts = rec.State, rec.LastTry, rec.Attempts
		if err := t.setJSON(outboxKey(id), rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionMessageSend, rec.Request.String(), fmt.Sprintf("%s sending: attempt %d", id, rec.Attempts), nil, 0)
		return nil
	})
	return out, err
}

// MarkSent records that the server took the message.
func (s *Store) MarkSent(operator string, id MessageID) error {
	return s.write(operator, func(t *tx) error {
		rec, err := readMessageRec(t.txn, id)
		if err != nil {
			return err
		}
		if err := gdpr.CanMoveMessage(rec.State, gdpr.MessageSent, false); err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		rec.State, rec.Sent = gdpr.MessageSent, t.now
		if err := t.setJSON(outboxKey(id), rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionMessageSent, rec.Request.String(), fmt.Sprintf("%s sent: %s letter, attempt %d", id, rec.Kind, rec.Attempts), nil, 0)
		return nil
	})
}

// MarkFailed records that sending failed: reason is the server's words
// (sealed: it may quote the address), summary a short account naming
// nobody for the audit entry ("the server refused the recipient (550)").
func (s *Store) MarkFailed(operator string, id MessageID, reason, summary string) error {
	return s.write(operator, func(t *tx) error {
		rec, err := readMessageRec(t.txn, id)
		if err != nil {
			return err
		}
		if err := gdpr.CanMoveMessage(rec.State, gdpr.MessageFailed, false); err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		p, err := t.s.messagePersonal(rec)
		if err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		p.Reason = reason
		rec.State = gdpr.MessageFailed
		if err := t.sealMessage(&rec, p); err != nil {
			return err
		}
		if err := t.setJSON(outboxKey(id), rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionMessageFailed, rec.Request.String(), fmt.Sprintf("%s failed: %s", id, summary), nil, 0)
		return nil
	})
}

// MarkQueued records that sending did not go through for a transient
// reason (the server down, a timeout, a 4yz reply): the message goes back
// to queued, keeping its attempts, so a retry sends it. reason is the
// error's words (sealed: they may quote the address), summary a short
// account naming nobody for the audit entry. It is audited as a failed
// attempt ("M3 stays queued: …").
func (s *Store) MarkQueued(operator string, id MessageID, reason, summary string) error {
	return s.write(operator, func(t *tx) error {
		rec, err := readMessageRec(t.txn, id)
		if err != nil {
			return err
		}
		if err := gdpr.CanMoveMessage(rec.State, gdpr.MessageQueued, false); err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		p, err := t.s.messagePersonal(rec)
		if err != nil {
			return fmt.Errorf("message %s: %w", id, err)
		}
		p.Reason = reason
		rec.State = gdpr.MessageQueued
		if err := t.sealMessage(&rec, p); err != nil {
			return err
		}
		if err := t.setJSON(outboxKey(id), rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionMessageFailed, rec.Request.String(), fmt.Sprintf("%s stays queued after attempt %d: %s", id, rec.Attempts, summary), nil, 0)
		return nil
	})
}

// OutboxMessage returns one message.
func (s *Store) OutboxMessage(id MessageID) (Message, error) {
	var m Message
	err := s.view(func(txn *badger.Txn) error {
		rec, err := readMessageRec(txn, id)
		if err != nil {
			return err
		}
		m, err = s.unsealMessage(rec)
		return err
	})
	return m, err
}

// Outbox lists the messages, oldest first: all of them, or those of one
// request (request != 0).
func (s *Store) Outbox(request gdpr.RequestID) ([]Message, error) {
	var out []Message
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixOutbox, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var rec messageRec
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
				return fmt.Errorf("decode message: %w", err)
			}
			if request != 0 && rec.Request != request {
				continue
			}
			m, err := s.unsealMessage(rec)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}
