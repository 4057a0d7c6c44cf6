package gdpr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Art. 19: the controller tells each recipient to whom the personal data
// were disclosed of any rectification (Art. 16), erasure (Art. 17(1)) or
// restriction (Art. 18), unless that proves impossible or involves
// disproportionate effort — a reason that is recorded instead.
//
// An erasure the business makes itself (anonymize without a request, a
// sweep) has no request to carry that record. The desk then logs one: a
// completed erasure request of origin OriginController, naming in
// Recipients whom to tell (computed before the data was destroyed,
// since an erased person's purposes can no longer be read). It never
// counts toward deadlines (it is closed when logged) and is only there so
// that rectify-recipients can count what is still untold.

// OriginController marks a request the business logged about its own
// erasure, not one a person made.
const OriginController = "controller"

// FromController reports whether the request records the business's own
// erasure rather than a person's request.
func (r Request) FromController() bool { return r.Origin == OriginController }

// Untold lists the names of Recipients that no notification covers yet
// (a notification with an impossibility reason covers its recipient).
func (r Request) Untold() []string {
	var out []string
	for _, name := range r.Recipients {
		told := false
		for _, n := range r.Notifications {
			if strings.EqualFold(n.Recipient, name) {
				told = true
				break
			}
		}
		if !told {
			out = append(out, name)
		}
	}
	return out
}

// ControllerErasure is the record of an erasure the business made without
// a person's request: completed at once, naming the recipients to tell.
// contact is 0 for a sweep (many contacts, counted in the note).
func ControllerErasure(contact ContactID, recipients []string, note string, now time.Time) Request {
	day := Day(now)
	return Request{Type: RequestErasure, Origin: OriginController, Contact: contact, Channel: ChannelEmail,
		Received: day, Due: day, Status: StatusCompleted, Note: note, Recipients: recipients,
		CreatedAt: now.UTC(), ClosedAt: now.UTC()}
}

// ResolveRecipients turns what an operator named ("all", or names
// separated by commas, case-insensitive) into names from the recipients
// to tell; an unknown name is an error that names it.
func ResolveRecipients(spec string, toTell []string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, errors.New("name the recipients told (NAME,… or all)")
	}
	if strings.EqualFold(spec, "all") {
		if len(toTell) == 0 {
			return nil, errors.New("there are no recipients to tell")
		}
		return append([]string(nil), toTell...), nil
	}
	var out []string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		found := ""
		for _, n := range toTell {
			if strings.EqualFold(n, part) {
				found = n
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("%q is not among the recipients to tell (%s)", part, strings.Join(toTell, ", "))
		}
		out = append(out, found)
	}
	if len(out) == 0 {
		return nil, errors.New("name the recipients told (NAME,… or all)")
	}
	return out, nil
}

// Notify records on the request that the named recipients were told on
// at, or — with a reason — that telling them was impossible or
// disproportionate (Art. 19). Only rectification, erasure and restriction
// oblige it. The recipients to tell are kept on the request, so the record
// outlives the person's erasure.
func (r *Request) Notify(names, toTell []string, impossible, by string, at time.Time) error {
	if !r.Type.NotifiesRecipients() {
		return fmt.Errorf("a %s request does not oblige telling recipients (Art. 19 covers rectification, erasure and restriction)", r.Type)
	}
	if len(names) == 0 {
		return errors.New("name the recipients told (NAME,… or all)")
	}
	if len(r.Recipients) == 0 {
		r.Recipients = append([]string(nil), toTell...)
	}
	for _, n := range names {
		if !containsFold(r.Recipients, n) {
			r.Recipients = append(r.Recipients, n)
		}
		r.Notifications = append(r.Notifications, Notification{Recipient: n, At: at.UTC(), By: by, Impossible: strings.TrimSpace(impossible)})
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
