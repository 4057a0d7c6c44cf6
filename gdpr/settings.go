package gdpr

import (
	"strings"
	"time"
)

// Person is a compliance role holder or a contact point: name, email and
// postal address.
type Person struct {
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	Address string `json:"address,omitempty"`
}

// Filled reports whether the role is appointed (a name or an email is given).
func (p Person) Filled() bool {
	return strings.TrimSpace(p.Name) != "" || strings.TrimSpace(p.Email) != ""
}

// Recipient is a third party that receives the personal data (Art. 13(1)(e),
// Art. 19): a processor, a partner, an authority.
type Recipient struct {
	Name    string `json:"name"`
	Role    string `json:"role,omitempty"` // e.g. "processor: email delivery"
	Contact string `json:"contact,omitempty"`
}

// Settings are the controller's compliance settings (SPEC §5 Settings).
type Settings struct {
	Controller       Person      `json:"controller"`
	DPO              Person      `json:"dpo"`    // Data Protection Officer, Art. 37
	CDSO             Person      `json:"cdso"`   // Chief Data Security Officer
	EURep            Person      `json:"eu_rep"` // EU representative, Art. 27
	DPASignedBy      string      `json:"dpa_signed_by,omitempty"`
	DPASignedAt      time.Time   `json:"dpa_signed_at,omitzero"`
	PrivacyPolicyURL string      `json:"privacy_policy_url,omitempty"`
	Purposes         string      `json:"purposes,omitempty"`  // what the data is used for, in plain words
	Retention        string      `json:"retention,omitempty"` // how long it is kept
	Recipients       []Recipient `json:"recipients,omitempty"`
	LastSweepAt      time.Time   `json:"last_sweep_at,omitzero"` // when EU contacts without basis were last swept
}
