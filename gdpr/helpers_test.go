package gdpr

import (
	"strings"
	"testing"
)

// checkErr reports when err does not match want: nil when want is empty,
// else an error whose message mentions want. call names what was called,
// e.g. "contact 3: Validate()".
func checkErr(t *testing.T, call string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s = %v, want nil", call, err)
	case want != "" && err == nil:
		t.Errorf("%s = nil, want an error about %q", call, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s = %q, want it to mention %q", call, err, want)
	}
}
