package store

import (
	"bytes"
	"errors"
	"testing"
)

// Badger's errors reach the log one line each; its warnings, its chatter
// and its own report of a failed open (returned as an error anyway) do not.
func TestQuietLoggerPassesErrorsOnly(t *testing.T) {
	var buf bytes.Buffer
	l := quietLogger{w: &buf}
	l.Errorf(badgerOpenFailed, errors.New("manifest has bad magic"))
	l.Warningf("Truncate value log to %d", 12)
	l.Infof("Replaying file id: %d", 1)
	l.Debugf("debug %d", 1)
	if buf.Len() != 0 {
		t.Fatalf("logged %q", buf.String())
	}
	l.Errorf("compaction failed: %v", errors.New("disk full"))
	if got := buf.String(); got != "gdprdesk: storage error: compaction failed: disk full\n" {
		t.Errorf("logged %q, want one line", got)
	}
	quietLogger{}.Errorf("nowhere %d", 1) // a nil writer discards
}
