package store

import (
	"encoding/json"
	"errors"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// upgradeRegisters is the schema 3 upgrade's part for the registers and
// requests, run in its first chunk (see migrateRuleBook):
//
//   - the settings' free-text recipients move into the recipients register
//     (gdpr.Recipient.LegacyRole reads "processor: email delivery" as a
//     processor serving email delivery), so there is one list; an entry
//     the register cannot take (invalid, or its name taken) stays in the
//     settings rather than being lost;
//   - requests:unnotified is recounted from the requests, since Art. 19
//     now covers restriction too and counts recipients left untold.
func (t *tx) upgradeRegisters() error {
	var st gdpr.Settings
	err := t.getJSON(keySettings, &st)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if len(st.Recipients) > 0 {
		var kept []gdpr.Recipient
		moved := 0
		for _, r := range st.Recipients {
			r = r.LegacyRole()
			if code, err := gdpr.NormalizeCountry(r.Country); err == nil {
				r.Country = code
			} else {
				r.Country = ""
			}
			exists := t.getJSON(recipientKey(r.Name), &gdpr.Recipient{}) == nil
			if exists || r.Validate() != nil {
				kept = append(kept, r)
				continue
			}
			if err := t.setJSON(recipientKey(r.Name), r); err != nil {
				return err
			}
			t.audit(gdpr.ActionRecipientSave, "recipient "+r.Name, "moved from the settings into the recipients register", nil, 0)
			moved++
		}
		if moved > 0 {
			st.Recipients = kept
			if err := t.setJSON(keySettings, st); err != nil {
				return err
			}
		}
	}
	var want int64
	it := t.txn.NewIterator(badger.IteratorOptions{Prefix: prefixRequest, PrefetchValues: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var rec requestRec
		if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
			return err
		}
		if rec.Request.Unnotified() {
			want++
		}
	}
	have, err := readCounter(t.txn, cntUnnotified)
	if err != nil {
		return err
	}
	t.count(cntUnnotified, want-have)
	return nil
}
