package gdpr

import (
	"fmt"
	"strings"
)

// Role is what an operator of the desk may do (SPEC §8).
type Role string

// The operator roles of SPEC §8.
const (
	RoleAdmin  Role = "admin"  // everything
	RoleStaff  Role = "staff"  // contacts and requests; no anonymize, settings or operators
	RoleViewer Role = "viewer" // reads only
)

// ParseRole reads a role.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleStaff, RoleViewer:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: use admin, staff or viewer", s)
}

// Action is something an operator does, named as its audit entry names it:
// the store checks the actions a change is about to audit, the screens check
// the action a key would start, and both ask Role.May.
type Action string

// The actions of the desk. Each is the action string of the audit entry the
// store writes for it.
const (
	ActionContactCreate       Action = "contact.create"
	ActionContactEdit         Action = "contact.edit"
	ActionContactImport       Action = "contact.import"
	ActionContactImportUpdate Action = "contact.import-update"
	ActionContactRestrict     Action = "contact.restrict"
	ActionContactLift         Action = "contact.lift"
	ActionContactAnonymize    Action = "contact.anonymize"
	// ActionContactObject records an objection to direct marketing on
	// the contact (Art. 21(3)), with the request that carried it.
	ActionContactObject Action = "contact.object"
	// ActionContactHold places a legal hold (Art. 17(3)(b)). Keeping data
	// the law requires is a duty, not a risk, so staff may place one;
	// ActionContactRelease ends it early, which lets data be erased, so
	// only an admin may.
	ActionContactHold    Action = "contact.hold"
	ActionContactRelease Action = "contact.release"
	// ActionContactExport is writing a person's access package (Art. 15,
	// Art. 20): it reads, but hands personal data out, so viewers may not.
	ActionContactExport Action = "contact.export"
	ActionBasisAdd      Action = "basis.add"
	ActionBasisRemove   Action = "basis.remove"
	// ActionConsentGrant and ActionConsentWithdraw record a person's consent
	// to a purpose, or its withdrawal (Art. 7).
	ActionConsentGrant    Action = "consent.grant"
	ActionConsentWithdraw Action = "consent.withdraw"

	ActionRequestAdd    Action = "request.add"
	ActionRequestVerify Action = "request.verify"
	ActionRequestExtend Action = "request.extend"
	ActionRequestStatus Action = "request.status"
	ActionRequestExport Action = "request.export"
	ActionRequestNotify Action = "request.notify"
	ActionRequestClose  Action = "request.close"

	ActionSettingsEdit    Action = "settings.edit"
	ActionPurposeSave     Action = "purpose.save"
	ActionRecipientSave   Action = "recipient.save"
	ActionRecipientDelete Action = "recipient.delete"
	ActionPolicyAdd       Action = "policy.add"
	ActionRuleSet         Action = "rule.set"
	ActionRuleDelete      Action = "rule.delete"
	ActionChecklistSet    Action = "checklist.set"
	ActionOperatorAdd     Action = "operator.add"
	ActionOperatorRemove  Action = "operator.remove"
	// ActionOperatorReplace gives a registered operator's name another key
	// or role: never silently, so it is an action of its own.
	ActionOperatorReplace Action = "operator.replace"
	// ActionExportDownload is fetching a file of DIR/exports over SSH
	// (scp). Those files hold personal data, and handing them out is part
	// of keeping it confidential (Art. 5(1)(f), Art. 32): who may write an
	// access package may fetch it, so viewers may not.
	ActionExportDownload     Action = "export.download"
	ActionKeysRotate         Action = "keys.rotate"
	ActionSuppressionReadmit Action = "suppression.readmit"
	ActionSweepRecord        Action = "sweep.record"
	ActionErasureReapply     Action = "erasure.reapply"

	// ActionContactFilesErase deletes the files written with an erased
	// person's data (access packages, drafts) from the data directory and
	// takes them off the store's register (SPEC §8); it follows an erasure.
	ActionContactFilesErase Action = "contact.files-erase"

	// The breach register (Art. 33–34). Anyone who works the desk may
	// discover a breach, and the 72 hours run from then, so staff record
	// breaches and their steps as admins do; viewers read only.
	ActionBreachAdd    Action = "breach.add"
	ActionBreachEdit   Action = "breach.edit"
	ActionBreachNotify Action = "breach.notify"
	ActionBreachInform Action = "breach.inform"

	// The record of a refusal and the program's own upkeep of its index
	// are written whoever is at the keyboard.
	ActionAccessRefused Action = "access.refused"
	ActionStoreUpgrade  Action = "store.upgrade"
	ActionStoreRepair   Action = "store.repair"
)

// ActionDPIAScreen records a DPIA screening (Art. 35, SPEC §10).
const ActionDPIAScreen Action = "dpia.screen"

// Phrase says what the action does, in the words of a refusal ("viewers
// cannot …"). An action without words of its own is named by its audit
// string.
func (a Action) Phrase() string {
	switch a {
	case ActionContactCreate:
		return "add contacts"
	case ActionContactEdit:
		return "edit contacts"
	case ActionContactImport, ActionContactImportUpdate:
		return "import contacts"
	case ActionContactRestrict, ActionContactLift:
		return "restrict contacts"
	case ActionContactAnonymize:
		return "anonymize"
	case ActionContactObject:
		return "record objections"
	case ActionContactHold:
		return "place legal holds"
	case ActionContactRelease:
		return "release legal holds"
	case ActionContactExport, ActionRequestExport:
		return "export access packages"
	case ActionContactFilesErase:
		return "delete an erased person's files"
	case ActionBasisAdd, ActionBasisRemove:
		return "change lawful bases"
	case ActionConsentGrant, ActionConsentWithdraw:
		return "record consent"
	case ActionRequestAdd:
		return "log requests"
	case ActionRequestVerify, ActionRequestExtend, ActionRequestStatus, ActionRequestNotify, ActionRequestClose:
		return "work requests"
	case ActionSettingsEdit, ActionPolicyAdd, ActionRuleSet, ActionRuleDelete:
		return "change settings"
	case ActionPurposeSave, ActionRecipientSave, ActionRecipientDelete:
		return "change the registers"
	case ActionDPIAScreen:
		return "record the DPIA screening"
	case ActionChecklistSet:
		return "change the checklist"
	case ActionBreachAdd, ActionBreachEdit, ActionBreachNotify, ActionBreachInform:
		return "record breaches"
	case ActionOperatorAdd, ActionOperatorRemove, ActionOperatorReplace:
		return "manage operators"
	case ActionExportDownload:
		return "download exported files"
	case ActionKeysRotate:
		return "rotate the keys"
	case ActionSuppressionReadmit:
		return "re-admit erased addresses"
	case ActionSweepRecord:
		return "sweep"
	case ActionErasureReapply:
		return "re-apply erasures"
	case ActionLetterWrite:
		return "write letters"
	case ActionMessageQueue, ActionMessageSend, ActionMessageSent, ActionMessageFailed:
		return "send letters"
	}
	return string(a)
}

// adminOnly reports the actions staff may not take (SPEC §8): erasing
// people, and changing settings, the checklist, the operators and the keys.
func (a Action) adminOnly() bool {
	switch a {
	case ActionContactAnonymize, ActionContactFilesErase, ActionContactRelease, ActionSettingsEdit, ActionPolicyAdd, ActionRuleSet, ActionRuleDelete,
		ActionOperatorAdd, ActionOperatorRemove, ActionOperatorReplace, ActionKeysRotate, ActionSuppressionReadmit,
		ActionSweepRecord, ActionChecklistSet, ActionPurposeSave, ActionRecipientSave, ActionRecipientDelete:
		return true
	case ActionDPIAScreen:
		return true
	}
	return false
}

// May reports whether the role allows the action and, when it does not,
// why, in words shown to the operator (SPEC §8): a viewer reads only; staff
// work contacts and requests but cannot anonymize, change settings, the
// checklist or the operators; an admin does everything. A refusal and the
// program's own index upkeep are always allowed, so they can be recorded.
// A role that is empty or unknown (a name that is not a registered
// operator, on a store that serves remote operators) may do nothing.
func (r Role) May(a Action) (bool, string) {
	switch a {
	case ActionAccessRefused, ActionStoreUpgrade, ActionStoreRepair:
		return true, ""
	}
	switch r {
	case RoleAdmin:
		return true, ""
	case RoleStaff:
		if a.adminOnly() {
			return false, "staff cannot " + a.Phrase() + "; ask an admin"
		}
		return true, ""
	case RoleViewer:
		return false, "viewers cannot " + a.Phrase()
	}
	return false, "unregistered operators cannot " + a.Phrase()
}
