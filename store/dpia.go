package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// The DPIA screening (Art. 35, SPEC §10): one record, the latest
// screening, under g/dpia. Each screening recorded is audited with its
// outcome, so the log keeps the earlier ones.

// DPIAScreening returns the latest screening; ok is false when none was
// recorded.
func (s *Store) DPIAScreening() (d gdpr.DPIAScreening, ok bool, err error) {
	err = s.view(func(txn *badger.Txn) error {
		b, err := getValue(txn, keyDPIA)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &d); err != nil {
			return fmt.Errorf("decode the DPIA screening: %w", err)
		}
		ok = true
		return nil
	})
	return d, ok, err
}

// SaveDPIAScreening records a screening, replacing the previous one, with
// the operator and time of the commit. The rule book checks it first
// (gdpr.DPIAScreening.Validate: two or more criteria met and "not needed"
// need the reason).
func (s *Store) SaveDPIAScreening(operator string, d gdpr.DPIAScreening) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return s.write(operator, func(t *tx) error {
		d.At, d.By = t.now, t.operator
		if err := t.setJSON(keyDPIA, d); err != nil {
			return err
		}
		t.audit(gdpr.ActionDPIAScreen, "dpia", d.Summary(), nil, 0)
		return nil
	})
}
