package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/desk"
	"github.com/gdprdesk/gdprdesk/store"
)

// The breach register (SPEC §10, Art. 33–34): record a breach, see the
// hours left of its 72, record the notification to the authority (or why
// none), telling the people (or why not), and draft the notice. Staff and
// admins record; times given without an offset are in the desk's time
// zone (settings timezone) and stored in UTC; output shows UTC.

func (a *app) breachCommand() *cobra.Command {
	return parentCommand("breach", "The breach register: the 72-hour clock, notifications and notices (Art. 33–34)",
		a.breachSaveCommand(true), a.breachSaveCommand(false), a.breachListCommand(), a.breachShowCommand(),
		a.breachNotifyCommand(), a.breachInformCommand(), a.breachDraftCommand())
}

// breachJSON is a breach as --json shows it: the record with its deadline,
// the whole hours left at as_of, and what it waits for.
type breachJSON struct {
	gdpr.Breach
	Due           time.Time `json:"due"`
	HoursLeft     int       `json:"hours_left"`
	State         string    `json:"state"`
	NotifyPending bool      `json:"notify_pending"`
	InformPending bool      `json:"inform_pending"`
	Documented    bool      `json:"documented"`
}

func breachView(b gdpr.Breach, now time.Time) breachJSON {
	return breachJSON{Breach: b, Due: b.Due(), HoursLeft: b.HoursLeft(now), State: b.State(now),
		NotifyPending: b.NotifyPending(), InformPending: b.InformPending(), Documented: b.Documented(now)}
}

// breachLocation is the zone times without an offset are read in: the
// desk's (settings timezone), else this machine's.
func breachLocation(s *store.Store) (*time.Location, error) {
	st, err := s.Settings()
	if err != nil {
		return nil, err
	}
	return st.Location(time.Local), nil
}

func (a *app) parseBreachTime(s *store.Store, flag, v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	loc, err := breachLocation(s)
	if err != nil {
		return time.Time{}, err
	}
	t, err := gdpr.ParseBreachTime(flag, v, loc, a.now())
	if err != nil {
		return t, usageError{err}
	}
	return t, nil
}

// hoursText says the hours to a breach's deadline: "46 h left", or
// "29 h overdue" once it has passed.
func hoursText(h int) string {
	if h < 0 {
		return fmt.Sprintf("%d h overdue", -h)
	}
	return fmt.Sprintf("%d h left", h)
}

func parseBreachID(v string) (gdpr.BreachID, error) {
	id, err := gdpr.ParseBreachID(v)
	if err != nil {
		return 0, usageError{err}
	}
	return id, nil
}

func (a *app) breachSaveCommand(add bool) *cobra.Command {
	var aware, what, risk, consequences, measures, categories, people, query string
	var nPeople, nRecords int
	use, short := "add --aware TIME --what TEXT", "Record a breach; prints its id"
	args := exactArgs(0, "no arguments (the breach is given by its flags)")
	if !add {
		use, short, args = "edit ID", "Change a breach's facts: only the flags given change", exactArgs(1, "a breach id (e.g. B2)")
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: `breach add records a personal data breach (Art. 33(5)): when you became aware
(--aware; YYYY-MM-DDTHH:MM in the desk's time zone, or RFC 3339), what
happened, the approximate numbers of people and records (or --query naming
the contacts concerned: their count is taken when --people is not given),
the categories, likely consequences, measures, and the risk: none (documented,
not notified: record why with breach notify ID --none --reason), risk (tell
the authority within 72 hours: breach notify) or high (tell the people too:
breach inform). Without --risk the breach counts as a risk until assessed.`,
		Args: args,
		RunE: func(cmd *cobra.Command, argv []string) error {
			changed := cmd.Flags().Changed
			if add && (strings.TrimSpace(aware) == "" || strings.TrimSpace(what) == "") {
				return usagef("a breach needs --aware TIME (when you became aware of it) and --what TEXT")
			}
			if nPeople < 0 || nRecords < 0 {
				return usagef("--people and --records are approximate counts, 0 or more")
			}
			return a.withStore(func(s *store.Store) error {
				var b, orig gdpr.Breach
				var id gdpr.BreachID
				if !add {
					var err error
					if id, err = parseBreachID(argv[0]); err != nil {
						return err
					}
					if b, err = s.Breach(id); err != nil {
						return err
					}
					orig = b
				}
				if changed("aware") {
					t, err := a.parseBreachTime(s, "--aware", aware)
					if err != nil {
						return err
					}
					b.AwareAt = t
				}
				if changed("risk") || add {
					r, err := gdpr.ParseBreachRisk(risk)
					if err != nil {
						return usageError{err}
					}
					b.Risk = r
				}
				set := func(flag string, dst *string, v string) {
					if changed(flag) {
						*dst = strings.TrimSpace(v)
					}
				}
				set("what", &b.What, what)
				set("consequences", &b.Consequences, consequences)
				set("measures", &b.Measures, measures)
				set("query", &b.Query, query)
				if changed("categories") {
					b.DataCategories = splitList(categories)
				}
				if changed("people-categories") {
					b.PeopleCategories = splitList(people)
				}
				if changed("people") {
					b.People = nPeople
				}
				if changed("records") {
					b.Records = nRecords
				}
				if !add {
					if err := b.Validate(); err != nil {
						return usageError{err}
					}
					if err := gdpr.CheckBreachEdit(orig, b); err != nil {
						return usageError{err}
					}
					edited := b
					if err := desk.EditBreach(s, a.operatorName(), id, func(x *gdpr.Breach) { *x = edited }); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "breach %s changed\n", id)
					return nil
				}
				if err := b.Validate(); err != nil {
					return usageError{err}
				}
				id, err := desk.AddBreach(s, a.operatorName(), b)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, id)
				b.AwareAt = b.AwareAt.UTC()
				fmt.Fprintf(a.stdout, "Tell the supervisory authority by %s (%s)%s.\n", b.Due().Format(time.RFC3339), hoursText(b.HoursLeft(a.now())),
					map[gdpr.BreachRisk]string{gdpr.RiskNone: " unless it is unlikely to result in a risk: then record why (breach notify " + id.String() + " --none --reason TEXT)",
						gdpr.RiskHigh: "; the risk is high, so tell the people too (breach inform " + id.String() + ")"}[b.Risk])
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&aware, "aware", "", "when you became aware of the breach: YYYY-MM-DDTHH:MM in the desk's time zone, or RFC 3339")
	f.StringVar(&what, "what", "", "what happened, in plain words")
	f.IntVar(&nPeople, "people", 0, "approximate number of people concerned")
	f.IntVar(&nRecords, "records", 0, "approximate number of personal data records concerned")
	f.StringVar(&risk, "risk", "", "none, risk or high (default risk, until assessed)")
	f.StringVar(&consequences, "consequences", "", "the likely consequences for the people")
	f.StringVar(&measures, "measures", "", "the measures taken or proposed")
	f.StringVar(&categories, "categories", "", "categories of data concerned, comma-separated (e.g. identity,contact details)")
	f.StringVar(&people, "people-categories", "", "categories of people concerned, comma-separated (e.g. customers)")
	f.StringVar(&query, "query", "", "the contacts concerned, as a query (e.g. source:webshop); counts them when --people is not given")
	return cmd
}

func (a *app) breachListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the breaches with their deadlines, hours left and state",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(func(s *store.Store) error {
				list, err := s.Breaches()
				if err != nil {
					return err
				}
				now := a.now().UTC()
				out := make([]breachJSON, 0, len(list))
				for _, b := range list {
					out = append(out, breachView(b, now))
				}
				if asJSON {
					return a.writeJSON(struct {
						AsOf     time.Time    `json:"as_of"`
						Count    int          `json:"count"`
						Breaches []breachJSON `json:"breaches"`
					}{now, len(out), out})
				}
				if len(out) == 0 {
					fmt.Fprintln(a.stdout, "No breaches recorded.")
					return nil
				}
				for _, b := range out {
					left := "-"
					if b.NotifyPending {
						left = hoursText(b.HoursLeft)
					}
					fmt.Fprintf(a.stdout, "%-4s aware %s  due %s  %-12s %-5s %s — %s\n", b.ID, b.AwareAt.UTC().Format(time.RFC3339),
						b.Due.Format(time.RFC3339), left, b.Risk, b.State, clip(b.What, 48))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) breachShowCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one breach",
		Args:  exactArgs(1, "a breach id (e.g. B2)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseBreachID(args[0])
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				b, err := s.Breach(id)
				if err != nil {
					return err
				}
				v := breachView(b, a.now())
				if asJSON {
					return a.writeJSON(v)
				}
				ts := func(t time.Time) string {
					if t.IsZero() {
						return "-"
					}
					return t.UTC().Format(time.RFC3339)
				}
				w := a.table()
				row := func(k, v string) { fmt.Fprintf(w, "%s\t%s\n", k, dash(v)) }
				row("breach", b.ID.String())
				row("state", v.State)
				row("aware", ts(b.AwareAt))
				due := ts(v.Due)
				if v.NotifyPending {
					due += " (" + hoursText(v.HoursLeft) + ")"
				}
				row("due", due)
				row("risk", string(b.Risk))
				row("what", b.What)
				about := func(n int, cats []string) string {
					if len(cats) == 0 {
						return fmt.Sprintf("about %d", n)
					}
					return fmt.Sprintf("about %d (%s)", n, strings.Join(cats, ", "))
				}
				row("people", about(b.People, b.PeopleCategories))
				row("records", about(b.Records, b.DataCategories))
				row("query", b.Query)
				row("consequences", b.Consequences)
				row("measures", b.Measures)
				row("notified", strings.TrimSpace(ts(b.NotifiedAt)+" "+b.NotifyRef))
				row("late reason", b.LateReason)
				row("not notified", b.NoNotifyReason)
				row("people told", ts(b.InformedAt))
				row("not told", b.NoInformReason)
				row("recorded", ts(b.RecordedAt)+" by "+b.RecordedBy)
				return w.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document")
	return cmd
}

func (a *app) breachNotifyCommand() *cobra.Command {
	var at, ref, late, reason string
	var none bool
	cmd := &cobra.Command{
		Use:   "notify ID [--at TIME] [--ref TEXT] [--late-reason TEXT] | notify ID --none --reason TEXT",
		Short: "Record the notification to the supervisory authority, or why none (Art. 33)",
		Long: `breach notify records that the supervisory authority was told of the breach
(--at, default now; --ref, its reference). After the 72 hours it needs
--late-reason, the reasons for the delay (Art. 33(1)). A breach assessed as
unlikely to result in a risk (risk none) is documented without notifying:
breach notify ID --none --reason TEXT.`,
		Args: exactArgs(1, "a breach id (e.g. B2)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseBreachID(args[0])
			if err != nil {
				return err
			}
			if none && (at != "" || ref != "" || late != "") {
				return usagef("--none records why the authority is not told: it takes --reason only")
			}
			if !none && reason != "" {
				return usagef("--reason goes with --none; a late notification's reasons go in --late-reason")
			}
			return a.withStore(func(s *store.Store) error {
				b, err := s.Breach(id)
				if err != nil {
					return err
				}
				if none {
					if err := gdpr.ValidateNoNotify(b, reason); err != nil {
						return usageError{err}
					}
					if err := desk.NoNotifyBreach(s, a.operatorName(), id, reason); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s: documented without notifying the authority (no risk; reason recorded).\n", id)
					return nil
				}
				when, err := a.parseBreachTime(s, "--at", at)
				if err != nil {
					return err
				}
				if when.IsZero() {
					when = a.now().UTC()
				}
				if err := gdpr.ValidateNotify(b, when, late); err != nil {
					if when.After(b.Due()) && strings.TrimSpace(late) == "" {
						err = fmt.Errorf("%w; --late-reason TEXT is required", err)
					}
					return usageError{err}
				}
				if err := desk.NotifyBreach(s, a.operatorName(), id, when, ref, late, a.now()); err != nil {
					return err
				}
				msg := "in time"
				if when.After(b.Due()) {
					msg = "after the 72 hours, with the reasons for the delay"
				}
				fmt.Fprintf(a.stdout, "%s: authority told at %s, %s.\n", id, when.Format(time.RFC3339), msg)
				if b.InformPending() {
					fmt.Fprintf(a.stdout, "The risk is high: tell the people too (breach inform %s), or record why not.\n", id)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "when the authority was told (default now): YYYY-MM-DDTHH:MM in the desk's time zone, or RFC 3339")
	f.StringVar(&ref, "ref", "", "the authority's reference for the notification")
	f.StringVar(&late, "late-reason", "", "the reasons for the delay, required after 72 hours (Art. 33(1))")
	f.BoolVar(&none, "none", false, "the breach is unlikely to result in a risk: not notified (needs --reason)")
	f.StringVar(&reason, "reason", "", "with --none: why the breach is unlikely to result in a risk")
	return cmd
}

func (a *app) breachInformCommand() *cobra.Command {
	var at, reason, out string
	var none, letters bool
	cmd := &cobra.Command{
		Use:   "inform ID [--at TIME] | inform ID --none --reason TEXT | inform ID --letters [--out DIR]",
		Short: "Record that the people were told of a breach, or why not; or write their letters (Art. 34)",
		Long: `breach inform records that the people concerned were told of the breach
(--at, default now). A high-risk breach needs this or, with --none --reason,
the reason of Art. 34(3) not to: the data was unintelligible to others
(encrypted), later measures removed the high risk, or telling each person
would take disproportionate effort (a public notice instead).

With --letters it writes the notice to each person instead (Art. 34(2)):
one letter per contact the breach's query matches (erased contacts are
skipped), in the person's language, as letter-B2-C12-DATE.txt and, for a
person with an address, an .eml draft to send, into --out DIR (default the
current directory; over SSH the exports directory). The files are
registered on each contact, so erasing the person deletes them. Writing
them does not record the people as told: once the letters went out, run
breach inform ID --at TIME.`,
		Args: exactArgs(1, "a breach id (e.g. B2)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseBreachID(args[0])
			if err != nil {
				return err
			}
			if letters && (none || at != "" || reason != "") {
				return usagef("--letters writes the letters: it takes --out only (record the people as told afterwards with --at)")
			}
			if !letters && out != "" {
				return usagef("--out goes with --letters")
			}
			if none && at != "" {
				return usagef("--none records why the people are not told: it takes --reason, not --at")
			}
			if !none && reason != "" {
				return usagef("--reason goes with --none (the reason of Art. 34(3) not to tell the people)")
			}
			if letters {
				return a.breachLetters(id, out)
			}
			return a.withStore(func(s *store.Store) error {
				b, err := s.Breach(id)
				if err != nil {
					return err
				}
				when, err := a.parseBreachTime(s, "--at", at)
				if err != nil {
					return err
				}
				if when.IsZero() {
					when = a.now().UTC()
				}
				if err := gdpr.ValidateInform(b, when, none, reason); err != nil {
					return usageError{err}
				}
				if err := desk.InformBreach(s, a.operatorName(), id, when, none, reason, a.now()); err != nil {
					return err
				}
				if none {
					fmt.Fprintf(a.stdout, "%s: the people are not told; the reason (Art. 34(3)) is recorded.\n", id)
				} else {
					fmt.Fprintf(a.stdout, "%s: people told at %s.\n", id, when.Format(time.RFC3339))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "when the people were told (default now): YYYY-MM-DDTHH:MM in the desk's time zone, or RFC 3339")
	f.BoolVar(&none, "none", false, "the people are not told (needs --reason, Art. 34(3))")
	f.StringVar(&reason, "reason", "", "with --none: the reason of Art. 34(3)")
	f.BoolVar(&letters, "letters", false, "write the notice to each person of the breach's query, in their language (Art. 34(2)), as .txt and .eml drafts")
	f.StringVar(&out, "out", "", "with --letters: the folder to write them in (made if missing; default the current directory)")
	return cmd
}

// breachLetters writes the notices of breach id to its people (desk.BreachLetters).
func (a *app) breachLetters(id gdpr.BreachID, out string) error {
	dir := a.outputDir()
	if out != "" {
		var err error
		if dir, err = a.outputPath(out); err != nil {
			return err
		}
	}
	return a.withStore(func(s *store.Store) error {
		res, err := desk.BreachLetters(s, desk.BreachLettersRequest{Operator: a.operatorName(), Breach: id, Dir: dir, DataDir: s.Dir(), Now: a.now()})
		if errors.Is(err, desk.ErrBreachNoQuery) {
			return usageError{err}
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, res.Summary()+".")
		fmt.Fprintf(a.stdout, "Once they went out, record it: breach inform %s --at TIME.\n", id)
		return nil
	})
}

func (a *app) breachDraftCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "draft ID --out PATH",
		Short: "Write the draft notification to the supervisory authority (Art. 33(3))",
		Long: `breach draft writes the notice to the supervisory authority from the breach
record: the nature of the breach with the categories and approximate numbers
of people and records, the contact point (the DPO, else the controller), the
likely consequences and the measures taken or proposed (Art. 33(3)). Fill in
what is missing and send it through the authority's own form or address.`,
		Args: exactArgs(1, "a breach id (e.g. B2)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseBreachID(args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(out) == "" {
				return usagef("--out PATH is required")
			}
			path, err := a.outputPath(out)
			if err != nil {
				return err
			}
			return a.withStore(func(s *store.Store) error {
				text, err := desk.BreachNotice(s, id, a.now())
				if err != nil {
					return err
				}
				if err := writeNew(path, []byte(text)); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Wrote the draft notice of %s to %s.\n", id, path)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	return cmd
}
