package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// ErrForbidden is returned when the operator's role does not allow a change.
// The refusal itself is audited.
var ErrForbidden = errors.New("not allowed for this operator's role")

// roleOf is the role of the operator making a change: a registered
// operator's role; a name that is not registered is the owner at the
// machine (admin), unless the store serves remote operators only
// (Options.RemoteOnly), where it is refused.
func (t *tx) roleOf() (gdpr.Role, error) {
	v, err := getValue(t.txn, operatorKey(t.operator))
	if errors.Is(err, badger.ErrKeyNotFound) || errors.Is(err, ErrNotFound) {
		if t.s.remoteOnly {
			return "", nil
		}
		return gdpr.RoleAdmin, nil
	}
	if err != nil {
		return "", err
	}
	var op Operator
	if err := json.Unmarshal(v, &op); err != nil {
		return "", fmt.Errorf("decode operator %s: %w", t.operator, err)
	}
	return op.Role, nil
}

// refused returns the first pending action the operator may not take.
func (t *tx) refused() (action string, record string, role gdpr.Role, err error) {
	if len(t.entries) == 0 {
		return "", "", "", nil
	}
	if role, err = t.roleOf(); err != nil {
		return "", "", "", err
	}
	for _, e := range t.entries {
		// What each role may change is the rule book's (SPEC §8). The
		// check runs on the audit actions a transaction is about to
		// commit, so no change escapes it: every change has its entry.
		if ok, _ := role.May(gdpr.Action(e.Action)); !ok {
			return e.Action, e.Record, role, nil
		}
	}
	return "", "", role, nil
}
