package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// Settings returns the compliance settings (zero values when never saved).
func (s *Store) Settings() (gdpr.Settings, error) {
	var st gdpr.Settings
	err := s.view(func(txn *badger.Txn) error {
		var err error
		st, err = readSettings(txn)
		return err
	})
	return st, err
}

// readSettings reads the settings inside a transaction (zero values when
// never saved).
func readSettings(txn *badger.Txn) (gdpr.Settings, error) {
	var st gdpr.Settings
	b, err := getValue(txn, keySettings)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read settings: %w", err)
	}
	return st, nil
}

// SaveSettings replaces the settings; the audit entry names the fields that
// changed. Settings hold the business's own roles, not subjects' data.
func (s *Store) SaveSettings(operator string, st gdpr.Settings) error {
	return s.write(operator, func(t *tx) error {
		var old gdpr.Settings
		if err := t.getJSON(keySettings, &old); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		changed := changedFields(old, st)
		if len(changed) == 0 {
			return nil
		}
		if err := t.setJSON(keySettings, st); err != nil {
			return err
		}
		t.audit(gdpr.ActionSettingsEdit, "settings", "changed "+strings.Join(changed, ", "), nil, 0)
		return nil
	})
}

// RecordSweep notes when EU contacts without a basis were last swept
// (checklist item basis-sweep).
func (s *Store) RecordSweep(operator string, at time.Time, anonymized int64) error {
	return s.write(operator, func(t *tx) error {
		var st gdpr.Settings
		if err := t.getJSON(keySettings, &st); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		st.LastSweepAt = at.UTC()
		if err := t.setJSON(keySettings, st); err != nil {
			return err
		}
		t.audit(gdpr.ActionSweepRecord, "settings", fmt.Sprintf("sweep finished, %d contacts anonymized", anonymized), nil, 0)
		return nil
	})
}

func changedFields(a, b any) []string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var ma, mb map[string]json.RawMessage
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var out []string
	for _, k := range sortedKeys(ma, mb) {
		if string(ma[k]) != string(mb[k]) {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys(ms ...map[string]json.RawMessage) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// AddPolicyVersion records a new version of the privacy policy or consent
// wording, effective at the given time (zero: now; later: a scheduled
// change; earlier: refused once the desk holds contacts, see
// gdpr.CheckEffective); old versions stay readable.
func (s *Store) AddPolicyVersion(operator string, kind gdpr.PolicyKind, text string, effective time.Time) (gdpr.PolicyVersion, error) {
	var pv gdpr.PolicyVersion
	if _, err := gdpr.ParsePolicyKind(string(kind)); err != nil {
		return pv, err
	}
	if strings.TrimSpace(text) == "" {
		return pv, errors.New("a policy version needs its text")
	}
	err := s.write(operator, func(t *tx) error {
		latest := 0
		it := t.txn.NewIterator(badger.IteratorOptions{Prefix: join(prefixPolicy, []byte(kind), []byte{0})})
		for it.Rewind(); it.Valid(); it.Next() {
			latest = int(idFromKey(it.Item().Key()))
		}
		it.Close()
		// No backdating once contacts exist: their consents name the
		// version in force when given (gdpr.CheckEffective).
		contacts, err := readCounter(t.txn, cntContacts)
		if err != nil {
			return err
		}
		at, err := gdpr.CheckEffective(effective, t.now, contacts == 0)
		if err != nil {
			return err
		}
		pv = gdpr.NewPolicyVersion(kind, latest+1, text, at)
		if err := t.setJSON(policyKey(kind, pv.Version), pv); err != nil {
			return err
		}
		t.audit(gdpr.ActionPolicyAdd, fmt.Sprintf("%s v%d", kind, pv.Version), "effective "+pv.EffectiveAt.Format(time.RFC3339)+", sha256 "+pv.SHA256, nil, 0)
		return nil
	})
	return pv, err
}

// PolicyVersions returns every version, by kind then version.
func (s *Store) PolicyVersions() ([]gdpr.PolicyVersion, error) {
	var out []gdpr.PolicyVersion
	err := s.eachJSON(prefixPolicy, func(b []byte) error {
		var pv gdpr.PolicyVersion
		if err := json.Unmarshal(b, &pv); err != nil {
			return fmt.Errorf("decode policy version: %w", err)
		}
		out = append(out, pv)
		return nil
	})
	return out, err
}

// SetSourceRule adds or replaces the rule for a source.
func (s *Store) SetSourceRule(operator string, r gdpr.SourceRule) error {
	r.Source = gdpr.NormalizeSource(r.Source)
	if err := r.Validate(); err != nil {
		return err
	}
	return s.write(operator, func(t *tx) error {
		if err := t.setJSON(ruleKey(r.Source), r); err != nil {
			return err
		}
		t.audit(gdpr.ActionRuleSet, "source "+r.Source, "basis "+string(r.Basis), nil, 0)
		return nil
	})
}

// DeleteSourceRule removes the rule for a source.
func (s *Store) DeleteSourceRule(operator, source string) error {
	source = gdpr.NormalizeSource(source)
	return s.write(operator, func(t *tx) error {
		if _, err := t.txn.Get(ruleKey(source)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("no rule for source %q: %w", source, ErrNotFound)
		}
		if err := t.del(ruleKey(source)); err != nil {
			return err
		}
		t.audit(gdpr.ActionRuleDelete, "source "+source, "", nil, 0)
		return nil
	})
}

// SourceRules returns every source rule, by source.
func (s *Store) SourceRules() ([]gdpr.SourceRule, error) {
	var out []gdpr.SourceRule
	err := s.eachJSON(prefixRule, func(b []byte) error {
		var r gdpr.SourceRule
		if err := json.Unmarshal(b, &r); err != nil {
			return fmt.Errorf("decode source rule: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// ChecklistRecords returns what the owner recorded on checklist items.
func (s *Store) ChecklistRecords() (map[string]gdpr.ItemRecord, error) {
	out := map[string]gdpr.ItemRecord{}
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixCheck, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var rec gdpr.ItemRecord
			id := string(it.Item().Key()[len(prefixCheck):])
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &rec) }); err != nil {
				return fmt.Errorf("decode checklist item %s: %w", id, err)
			}
			out[id] = rec
		}
		return nil
	})
	return out, err
}

// SetChecklistItem records a state, reason and note on an item. An
// automatic item cannot be ticked done while its data says otherwise.
func (s *Store) SetChecklistItem(operator, id string, rec gdpr.ItemRecord) error {
	it, ok := gdpr.ChecklistItem(id)
	if !ok {
		return fmt.Errorf("unknown checklist item %q", id)
	}
	snap, err := s.Snapshot()
	if err != nil {
		return err
	}
	eval, _ := gdpr.Evaluate(id, snap, s.now())
	if err := gdpr.CheckTick(it, rec, eval); err != nil {
		return err
	}
	return s.write(operator, func(t *tx) error {
		rec.By, rec.At = t.operator, t.now
		if err := t.setJSON(checkKey(id), rec); err != nil {
			return err
		}
		t.audit(gdpr.ActionChecklistSet, "checklist "+id, "state "+string(rec.State), nil, 0)
		return nil
	})
}

// Operator is a person allowed in over SSH, identified by a public key.
type Operator struct {
	Name      string    `json:"name"`
	Role      gdpr.Role `json:"role"`
	PublicKey string    `json:"public_key"` // authorized_keys format
	AddedAt   time.Time `json:"added_at"`
	AddedBy   string    `json:"added_by"`
}

// AddOperator registers or replaces an operator.
func (s *Store) AddOperator(operator string, op Operator) error {
	op.Name = strings.TrimSpace(op.Name)
	if op.Name == "" || strings.ContainsAny(op.Name, " \t\n/") {
		return fmt.Errorf("operator name %q: use one word, e.g. anna", op.Name)
	}
	if _, err := gdpr.ParseRole(string(op.Role)); err != nil {
		return err
	}
	if strings.TrimSpace(op.PublicKey) == "" {
		return errors.New("an operator needs a public key")
	}
	return s.write(operator, func(t *tx) error {
		op.AddedAt, op.AddedBy = t.now, t.operator
		if err := t.setJSON(operatorKey(op.Name), op); err != nil {
			return err
		}
		t.audit(gdpr.ActionOperatorAdd, "operator "+op.Name, "role "+string(op.Role), nil, 0)
		return nil
	})
}

// RemoveOperator removes an operator.
func (s *Store) RemoveOperator(operator, name string) error {
	return s.write(operator, func(t *tx) error {
		if _, err := t.txn.Get(operatorKey(name)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("operator %q: %w", name, ErrNotFound)
		}
		if err := t.del(operatorKey(name)); err != nil {
			return err
		}
		t.audit(gdpr.ActionOperatorRemove, "operator "+name, "", nil, 0)
		return nil
	})
}

// Operators lists the registered operators by name.
func (s *Store) Operators() ([]Operator, error) {
	var out []Operator
	err := s.eachJSON(prefixOperator, func(b []byte) error {
		var op Operator
		if err := json.Unmarshal(b, &op); err != nil {
			return fmt.Errorf("decode operator: %w", err)
		}
		out = append(out, op)
		return nil
	})
	return out, err
}

// IsSuppressed reports whether an address is on the suppression list.
func (s *Store) IsSuppressed(email string) (bool, error) {
	norm, err := gdpr.NormalizeEmail(email)
	if err != nil {
		return false, err
	}
	var found bool
	err = s.view(func(txn *badger.Txn) error {
		found, err = s.suppressedIn(txn, norm, s.emailHash(norm))
		return err
	})
	return found, err
}

// suppressedIn is tx.isSuppressedAddress for a read-only transaction.
func (s *Store) suppressedIn(txn *badger.Txn, email string, h []byte) (bool, error) {
	for _, k := range append([][]byte{h}, s.legacyHashes(email)...) {
		switch _, err := txn.Get(suppressKey(k)); {
		case err == nil:
			return true, nil
		case !errors.Is(err, badger.ErrKeyNotFound):
			return false, err
		}
	}
	return false, nil
}

// legacyHashes are the hashes of gdpr.LegacyEmailSpellings(email).
func (s *Store) legacyHashes(email string) [][]byte {
	var out [][]byte
	for _, l := range gdpr.LegacyEmailSpellings(email) {
		out = append(out, s.hmacOf(l))
	}
	return out
}

func (s *Store) eachJSON(prefix []byte, fn func([]byte) error) error {
	return s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := it.Item().Value(fn); err != nil {
				return err
			}
		}
		return nil
	})
}
