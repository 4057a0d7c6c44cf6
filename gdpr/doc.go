// Package gdpr is the rule book of gdprdesk: the domain types of the GDPR as a
// small business meets them (lawful bases, consent, policy versions, source
// rules, data-subject requests and their deadlines, EU/EEA membership, the
// readiness checklist) and the pure functions that apply its rules.
//
// It performs no I/O and imports only the standard library, so every rule can
// be tested on its own and reused by the store, the exporters and the UI.
package gdpr
