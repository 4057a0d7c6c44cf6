package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

type checklistItemJSON struct {
	ID       string         `json:"id"`
	Section  gdpr.Section   `json:"section"`
	Title    string         `json:"title"`
	Explain  string         `json:"explain"`
	InApp    bool           `json:"in_app"`
	Auto     bool           `json:"automatic"`
	State    gdpr.ItemState `json:"state"`
	Value    string         `json:"value,omitempty"`
	Reason   string         `json:"reason,omitempty"`
	Note     string         `json:"note,omitempty"`
	Fix      string         `json:"fix,omitempty"`
	Measured bool           `json:"measured"`
}

func (a *app) checklistCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "checklist",
		Short: "Show readiness with each item's state and measured value",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				items, done, applicable, err := s.Checklist()
				if err != nil {
					return err
				}
				pct := gdpr.ReadinessPercent(done, applicable)
				if asJSON {
					out := struct {
						Readiness  int                 `json:"readiness_percent"`
						Done       int                 `json:"done"`
						Applicable int                 `json:"applicable"`
						Items      []checklistItemJSON `json:"items"`
					}{Readiness: pct, Done: done, Applicable: applicable}
					for _, it := range items {
						out.Items = append(out.Items, checklistItemJSON{ID: it.ID, Section: it.Section, Title: it.Title, Explain: it.Explain,
							InApp: it.InApp, Auto: it.Auto, State: it.State, Value: it.Value, Reason: it.Record.Reason,
							Note: it.Record.Note, Fix: it.Fix, Measured: it.Measured})
					}
					return a.writeJSON(out)
				}
				fmt.Fprintf(a.stdout, "Readiness %d%%: %d of %d applicable items done.\n", pct, done, applicable)
				var section gdpr.Section
				for _, it := range items {
					if it.Section != section {
						section = it.Section
						fmt.Fprintf(a.stdout, "\n%s\n", strings.ToUpper(string(section)))
					}
					mark := map[gdpr.ItemState]string{gdpr.StateDone: "[x]", gdpr.StateTodo: "[ ]", gdpr.StateNA: "[-]"}[it.State]
					line := fmt.Sprintf("  %s %-20s %s", mark, it.ID, it.Title)
					switch {
					case it.State == gdpr.StateNA:
						line += " — n/a: " + dash(it.Record.Reason)
					case it.Value != "":
						line += " — " + dash(it.Value)
					case !it.Auto:
						line += " (manual)"
					}
					fmt.Fprintln(a.stdout, line)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}
