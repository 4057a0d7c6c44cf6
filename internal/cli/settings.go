package cli

import (
	"fmt"

	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
	"github.com/spf13/cobra"
)

func (a *app) settingsCommand() *cobra.Command {
	return parentCommand("settings", "Show and change the compliance settings",
		a.settingsShowCommand(), a.settingsSetCommand())
}

func (a *app) settingsShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print every setting",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				st, err := s.Settings()
				if err != nil {
					return err
				}
				if asJSON {
					return a.writeJSON(st)
				}
				for _, k := range desk.SettingKeys() {
					fmt.Fprintf(a.stdout, "%-20s %s\n", k, dash(desk.SettingValue(st, k)))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) settingsSetCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change one setting",
		Long: `set changes one setting, audited. Keys: establishment (the country code of
your establishment: it decides whom the GDPR covers, Art. 3), soft-opt-in
(on|off: the existing-customer exemption of ePrivacy Art. 13(2)), timezone
(an IANA name, e.g. Europe/Berlin), language (the default letter language, a
BCP 47 tag), automated-decisions (none, or how it is used, Art. 15(1)(h)),
privacy-url, the name, email and address of the controller, the DPO,
the security officer (cdso) and the EU representative (eu-rep), e.g.
dpo-email, and the mail server letters are sent through: smtp-host,
smtp-port, smtp-tls (starttls, tls or none), smtp-user, smtp-password-file
(a file readable by you only that holds the password; or set
$GDPRDESK_SMTP_PASSWORD: the password is never stored) and smtp-from (the
sender; default the controller's email). An empty VALUE clears a setting.`,
		Args: exactArgs(2, "KEY and VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(func(s *store.Store) error {
				st, err := s.Settings()
				if err != nil {
					return err
				}
				if err := desk.SetSetting(&st, args[0], args[1]); err != nil {
					return usageError{err}
				}
				if err := s.SaveSettings(a.operatorName(), st); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s = %s\n", args[0], dash(desk.SettingValue(st, args[0])))
				return nil
			})
		},
	}
}
