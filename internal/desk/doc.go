// Package desk holds the use cases both front ends share: the command line
// (internal/cli) and the screens (ui) call these functions, never their own
// copies, so a use case cannot drift between them (one audits, the other
// does not; one checks, the other does not). Each function takes what it
// needs — the store, the operator, the directory, the clock — as
// parameters; the rules it applies are the rule book's (package gdpr).
package desk
