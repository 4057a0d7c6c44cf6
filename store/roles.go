package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// ErrForbidden is returned when the operator's role does not allow a change.
// The refusal itself is audited.
var ErrForbidden = errors.New("not allowed for this operator's role")

// What each role may change (SPEC §8): a viewer nothing; staff works
// contacts and requests but cannot anonymize, change settings, the
// checklist or the operators; an admin everything. The check runs on the
// audit actions a transaction is about to commit, so no change escapes it:
// every change has its audit entry.
func permits(role Role, action string) bool {
	switch action {
	case "access.refused":
		return true // the record of a refusal is always kept
	case "store.upgrade", "store.repair":
		return true // the program's own upkeep of its index (search.go)
	}
	switch role {
	case RoleAdmin:
		return true
	case RoleStaff:
		switch action {
		case "contact.anonymize", "settings.edit", "policy.add", "rule.set", "rule.delete",
			"operator.add", "operator.remove", "keys.rotate", "suppression.readmit",
			"sweep.record", "checklist.set":
			return false
		}
		return true
	}
	return false
}

// roleOf is the role of the operator making a change: a registered
// operator's role; a name that is not registered is the owner at the
// machine (admin), unless the store serves remote operators only
// (Options.RemoteOnly), where it is refused.
func (t *tx) roleOf() (Role, error) {
	v, err := getValue(t.txn, operatorKey(t.operator))
	if errors.Is(err, badger.ErrKeyNotFound) || errors.Is(err, ErrNotFound) {
		if t.s.remoteOnly {
			return "", nil
		}
		return RoleAdmin, nil
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
func (t *tx) refused() (action string, record string, role Role, err error) {
	if len(t.entries) == 0 {
		return "", "", "", nil
	}
	if role, err = t.roleOf(); err != nil {
		return "", "", "", err
	}
	for _, e := range t.entries {
		if !permits(role, e.Action) {
			return e.Action, e.Record, role, nil
		}
	}
	return "", "", role, nil
}
