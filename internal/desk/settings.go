package desk

import (
	"fmt"
	"net/mail"
	"sort"
	"strconv"
	"strings"

	"github.com/gdprdesk/gdprdesk/gdpr"
)

// settingKey is one key of `settings set`: how it is read and written.
type settingKey struct {
	get func(s *gdpr.Settings) string
	set func(s *gdpr.Settings, v string) error
}

func text(field func(s *gdpr.Settings) *string) settingKey {
	return settingKey{
		get: func(s *gdpr.Settings) string { return *field(s) },
		set: func(s *gdpr.Settings, v string) error { *field(s) = strings.TrimSpace(v); return nil },
	}
}

func person(p func(s *gdpr.Settings) *gdpr.Person, part string) settingKey {
	field := func(s *gdpr.Settings) *string {
		switch part {
		case "email":
			return &p(s).Email
		case "address":
			return &p(s).Address
		}
		return &p(s).Name
	}
	return text(field)
}

var settingKeys = map[string]settingKey{
	"establishment": {
		get: func(s *gdpr.Settings) string { return s.Establishment },
		set: func(s *gdpr.Settings, v string) error {
			if strings.TrimSpace(v) == "" {
				s.Establishment = ""
				return nil
			}
			code, err := gdpr.NormalizeCountry(v)
			if err != nil {
				return fmt.Errorf("establishment: %w", err)
			}
			s.Establishment = code
			return nil
		},
	},
	"soft-opt-in": {
		get: func(s *gdpr.Settings) string {
			if s.SoftOptIn {
				return "on"
			}
			return "off"
		},
		set: func(s *gdpr.Settings, v string) error {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "on":
				s.SoftOptIn = true
			case "off":
				s.SoftOptIn = false
			default:
				return fmt.Errorf("soft-opt-in %q: use on or off", v)
			}
			return nil
		},
	},
	"timezone": {
		get: func(s *gdpr.Settings) string { return s.TimeZone },
		set: func(s *gdpr.Settings, v string) error {
			tz, err := gdpr.ParseTimeZone(v)
			if err != nil {
				return err
			}
			s.TimeZone = tz
			return nil
		},
	},
	"language": {
		get: func(s *gdpr.Settings) string { return s.Language },
		set: func(s *gdpr.Settings, v string) error {
			tag, err := NormalizeLanguage(v)
			if err != nil {
				return fmt.Errorf("language: %w", err)
			}
			s.Language = tag
			return nil
		},
	},
	"automated-decisions": {
		get: func(s *gdpr.Settings) string { return s.AutomatedDecisions },
		set: func(s *gdpr.Settings, v string) error {
			v = strings.TrimSpace(v)
			if strings.EqualFold(v, "none") {
				v = ""
			}
			s.AutomatedDecisions = v
			return nil
		},
	},
	"smtp-host":          text(func(s *gdpr.Settings) *string { return &s.SMTP.Host }),
	"smtp-user":          text(func(s *gdpr.Settings) *string { return &s.SMTP.User }),
	"smtp-password-file": text(func(s *gdpr.Settings) *string { return &s.SMTP.PasswordFile }),
	"smtp-port": {
		get: func(s *gdpr.Settings) string {
			if s.SMTP.Port == 0 {
				return ""
			}
			return strconv.Itoa(s.SMTP.Port)
		},
		set: func(s *gdpr.Settings, v string) error {
			v = strings.TrimSpace(v)
			if v == "" {
				s.SMTP.Port = 0
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("smtp-port %q: give a port number (587 for STARTTLS, 465 for TLS)", v)
			}
			s.SMTP.Port = n
			return nil
		},
	},
	"smtp-tls": {
		get: func(s *gdpr.Settings) string { return s.SMTP.TLS },
		set: func(s *gdpr.Settings, v string) error {
			mode, err := gdpr.ParseSMTPTLS(v)
			if err != nil {
				return err
			}
			s.SMTP.TLS = mode
			return nil
		},
	},
	"smtp-from": {
		get: func(s *gdpr.Settings) string { return s.SMTP.From },
		set: func(s *gdpr.Settings, v string) error {
			v = strings.TrimSpace(v)
			if v == "" {
				s.SMTP.From = ""
				return nil
			}
			a, err := mail.ParseAddress(v)
			if err != nil {
				return fmt.Errorf("smtp-from %q is not an email address", v)
			}
			s.SMTP.From = a.Address
			return nil
		},
	},
	"privacy-url":        text(func(s *gdpr.Settings) *string { return &s.PrivacyPolicyURL }),
	"controller-name":    person(func(s *gdpr.Settings) *gdpr.Person { return &s.Controller }, "name"),
	"controller-email":   person(func(s *gdpr.Settings) *gdpr.Person { return &s.Controller }, "email"),
	"controller-address": person(func(s *gdpr.Settings) *gdpr.Person { return &s.Controller }, "address"),
	"dpo-name":           person(func(s *gdpr.Settings) *gdpr.Person { return &s.DPO }, "name"),
	"dpo-email":          person(func(s *gdpr.Settings) *gdpr.Person { return &s.DPO }, "email"),
	"dpo-address":        person(func(s *gdpr.Settings) *gdpr.Person { return &s.DPO }, "address"),
	"cdso-name":          person(func(s *gdpr.Settings) *gdpr.Person { return &s.CDSO }, "name"),
	"cdso-email":         person(func(s *gdpr.Settings) *gdpr.Person { return &s.CDSO }, "email"),
	"eu-rep-name":        person(func(s *gdpr.Settings) *gdpr.Person { return &s.EURep }, "name"),
	"eu-rep-email":       person(func(s *gdpr.Settings) *gdpr.Person { return &s.EURep }, "email"),
	"eu-rep-address":     person(func(s *gdpr.Settings) *gdpr.Person { return &s.EURep }, "address"),
}

// SettingKeys lists the keys `settings set` takes, sorted.
func SettingKeys() []string {
	keys := make([]string, 0, len(settingKeys))
	for k := range settingKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SettingValue reads one setting by its key, as `settings show` prints it.
func SettingValue(s gdpr.Settings, key string) string {
	k, ok := settingKeys[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return ""
	}
	return k.get(&s)
}

// SetSetting checks and sets one setting by its key: a country code is
// normalized, a time zone must be an IANA name, a language a BCP 47 tag,
// soft-opt-in on or off, automated-decisions none or a description.
func SetSetting(s *gdpr.Settings, key, value string) error {
	k, ok := settingKeys[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return fmt.Errorf("unknown setting %q: use one of %s", key, strings.Join(SettingKeys(), ", "))
	}
	return k.set(s, value)
}
