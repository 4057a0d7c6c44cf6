package gdpr

import (
	"fmt"
	"strings"
	"time"
)

// ObjectionScope is what a person objects to (Art. 21).
type ObjectionScope string

// The scopes of an objection (SPEC §9 "Objection").
const (
	// ScopeMarketing is an objection to direct marketing (Art. 21(2)–(3)):
	// absolute, it takes effect at once and is never refused.
	ScopeMarketing ObjectionScope = "marketing"
	// ScopeProcessing is an objection to processing on legitimate
	// interests or a public task (Art. 21(1)): it stops the processing
	// unless the controller shows compelling legitimate grounds.
	ScopeProcessing ObjectionScope = "processing"
)

// ParseObjectionScope reads a scope case-insensitively.
func ParseObjectionScope(s string) (ObjectionScope, error) {
	switch v := ObjectionScope(strings.ToLower(strings.TrimSpace(s))); v {
	case ScopeMarketing, ScopeProcessing:
		return v, nil
	}
	return "", fmt.Errorf("unknown objection scope %q: use marketing (Art. 21(2)) or processing (Art. 21(1))", s)
}

// validateScope: a scope belongs to objections only, and is one of the two.
// An objection without a scope (logged before scopes existed) is read as
// one to processing, the reading that still lets nothing be refused
// without compelling grounds.
func (r Request) validateScope() error {
	if r.Scope == "" {
		return nil
	}
	if r.Type != RequestObjection {
		return fmt.Errorf("a scope (%s) belongs to objections only, not to a %s request", r.Scope, r.Type)
	}
	_, err := ParseObjectionScope(string(r.Scope))
	return err
}

// ObjectsToMarketing reports whether the request is an objection to direct
// marketing (Art. 21(2)).
func (r Request) ObjectsToMarketing() bool {
	return r.Type == RequestObjection && r.Scope == ScopeMarketing
}

// NeedsIdentityCheck reports whether the requester's identity must be
// checked before the request is acted on (Art. 12(6)). An objection to
// marketing and an opt-out link need none: stopping marketing to an
// address harms nobody, whoever asked.
func (r Request) NeedsIdentityCheck() bool {
	return r.Verified == nil && !r.ObjectsToMarketing() && r.Channel != ChannelOptoutLink
}

// ApplyMarketingObjection records the person's objection to direct
// marketing at the moment it is received (Art. 21(3): "shall no longer be
// processed for such purposes"). It is permanent: lifting a restriction
// leaves it, and only a new consent the person gives ends it. An earlier
// objection stays the one on file; changed reports whether one was added.
func ApplyMarketingObjection(c *Contact, at time.Time) (changed bool) {
	if !c.MarketingObjection.IsZero() {
		return false
	}
	c.MarketingObjection = at.UTC()
	return true
}
