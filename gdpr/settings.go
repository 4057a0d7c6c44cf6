package gdpr

import (
	"fmt"
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

	// Establishment is the ISO country of the controller's establishment:
	// it decides the territorial scope (Art. 3, SPEC §9). "" is not set
	// yet, and the safe reading (every contact in scope) applies.
	Establishment string `json:"establishment,omitempty"`
	// SoftOptIn switches on the existing-customer exemption of ePrivacy
	// Art. 13(2): contract customers may get electronic marketing for
	// similar products until they opt out. Off by default.
	SoftOptIn bool `json:"soft_opt_in,omitempty"`
	// TimeZone is the IANA name times are shown in ("" is the machine's).
	TimeZone string `json:"time_zone,omitempty"`
	// Language is the default language of letters (a BCP 47 tag, "en").
	Language string `json:"language,omitempty"`
	// AutomatedDecisions is "" (none) or how automated decision-making,
	// profiling included, is used (Art. 13(2)(f), 15(1)(h)).
	AutomatedDecisions string `json:"automated_decisions,omitempty"`
	// SMTP is how letters are sent (SPEC §11). Its password is never
	// stored: it is read from the file SMTP.PasswordFile names, or from
	// the environment.
	SMTP SMTPSettings `json:"smtp,omitzero"`
}

// SMTPSettings is the mail server letters are sent through.
type SMTPSettings struct {
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"` // 0: the TLS mode's usual port
	// TLS is starttls (the default), tls (implicit TLS, port 465) or none.
	TLS          string `json:"tls,omitempty"`
	User         string `json:"user,omitempty"`
	PasswordFile string `json:"password_file,omitempty"`
	// From is the sender address; "" is the controller's email.
	From string `json:"from,omitempty"`
}

// The TLS modes of the SMTP setting.
const (
	SMTPStartTLS = "starttls"
	SMTPTLS      = "tls"
	SMTPNoTLS    = "none"
)

// ParseSMTPTLS reads the smtp-tls setting ("" is starttls).
func ParseSMTPTLS(v string) (string, error) {
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case "", SMTPStartTLS:
		return SMTPStartTLS, nil
	case SMTPTLS, SMTPNoTLS:
		return v, nil
	}
	return "", fmt.Errorf("smtp-tls %q: use starttls, tls or none", v)
}

// SMTPPort is the port to connect to: the setting, else 465 for implicit
// TLS and 587 (submission) otherwise.
func (s SMTPSettings) SMTPPort() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.TLS == SMTPTLS:
		return 465
	}
	return 587
}

// ParseTimeZone checks a value of the time-zone setting: an IANA name such
// as Europe/Berlin (time.LoadLocation), or "" for the machine's own zone.
// "Local" is refused: it would mean a different zone on each machine that
// opens the data directory.
func ParseTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if _, err := time.LoadLocation(v); err != nil || v == "Local" {
		return "", fmt.Errorf("timezone %q is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)", v)
	}
	return v, nil
}

// Location is the zone times are shown in: the setting's, or local (the
// machine's zone) when it is not set or cannot be loaded here.
func (s Settings) Location(local *time.Location) *time.Location {
	if s.TimeZone != "" {
		if loc, err := time.LoadLocation(s.TimeZone); err == nil {
			return loc
		}
	}
	return local
}
