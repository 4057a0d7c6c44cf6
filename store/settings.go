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

// ErrOperatorExists is returned when an operator is added under a name
// already registered, without asking to replace them.
var ErrOperatorExists = errors.New("operator already exists")

// AddOperator registers a new operator. A name already registered is
// refused (ErrOperatorExists: replacing someone is ReplaceOperator), and so
// is a key registered to another operator, naming them: the key decides
// who logs in, so one key belongs to one operator.
func (s *Store) AddOperator(operator string, op Operator) error {
	return s.putOperator(operator, op, false)
}

// ReplaceOperator registers op under its name, replacing the operator of
// that name if there is one (audited as operator.replace, with the old and
// the new role). A running server ends the replaced operator's sessions.
// A key registered to another operator is refused as by AddOperator.
func (s *Store) ReplaceOperator(operator string, op Operator) error {
	return s.putOperator(operator, op, true)
}

func (s *Store) putOperator(operator string, op Operator, replace bool) error {
	op.Name = strings.TrimSpace(op.Name)
	if op.Name == "" || strings.ContainsAny(op.Name, " \t\n/") {
		return fmt.Errorf("operator name %q: use one word, e.g. anna", op.Name)
	}
	if _, err := gdpr.ParseRole(string(op.Role)); err != nil {
		return err
	}
	op.PublicKey = strings.TrimSpace(op.PublicKey)
	if op.PublicKey == "" {
		return errors.New("an operator needs a public key (the line of their .pub file: 'ssh-ed25519 AAAA… comment')")
	}
	return s.write(operator, func(t *tx) error {
		var old *Operator
		if err := eachOperatorIn(t.txn, func(o Operator) error {
			if o.Name == op.Name {
				old = &o
				return nil
			}
			if sameKey(o.PublicKey, op.PublicKey) {
				return fmt.Errorf("this key is already operator %s's: one key belongs to one operator (remove %s first, or give each person their own key)", o.Name, o.Name)
			}
			return nil
		}); err != nil {
			return err
		}
		if old != nil && !replace {
			return fmt.Errorf("operator %s (%s): %w; to give the name another key or role, add it again with --replace (their open sessions end)", old.Name, old.Role, ErrOperatorExists)
		}
		op.AddedAt, op.AddedBy = t.now, t.operator
		if err := t.setJSON(operatorKey(op.Name), op); err != nil {
			return err
		}
		if old != nil {
			detail := "role " + string(old.Role) + " → " + string(op.Role)
			if !sameKey(old.PublicKey, op.PublicKey) {
				detail += ", another key"
			}
			t.audit(gdpr.ActionOperatorReplace, "operator "+op.Name, detail, nil, 0)
			return nil
		}
		t.audit(gdpr.ActionOperatorAdd, "operator "+op.Name, "role "+string(op.Role), nil, 0)
		return nil
	})
}

// sameKey reports whether two authorized_keys lines hold the same key:
// the same type and key, whatever their comments.
func sameKey(a, b string) bool { return keyOf(a) == keyOf(b) }

// keyOf is an authorized_keys line without its comment.
func keyOf(line string) string {
	f := strings.Fields(line)
	if len(f) > 2 {
		f = f[:2]
	}
	return strings.Join(f, " ")
}

// eachOperatorIn calls fn with every registered operator, by name.
func eachOperatorIn(txn *badger.Txn, fn func(Operator) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixOperator, PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		var op Operator
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &op) }); err != nil {
			return fmt.Errorf("decode operator: %w", err)
		}
		if err := fn(op); err != nil {
			return err
		}
	}
	return nil
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
