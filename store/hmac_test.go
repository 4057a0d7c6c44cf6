package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"sync"
	"testing"
)

// TestHMACOfReusesOnlyHashesOfItsSecret: the keyed hashes hmacOf reuses give
// what a new HMAC-SHA-256 under the store's secret gives, from many
// goroutines at once, and one keyed with an earlier secret is never used
// (SPEC §8: addresses are looked up and suppressed by their keyed hash).
func TestHMACOfReusesOnlyHashesOfItsSecret(t *testing.T) {
	s, _ := newStore(t)
	want := func(secret []byte, v string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(v))
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				v := string(rune('a'+g)) + string(rune('a'+i%26)) + "@example.org"
				if got := s.hmacOf(v); !bytes.Equal(got, want(s.hmacSecret, v)) {
					t.Errorf("hmacOf(%q) = %x", v, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	old := s.hmacSecret
	s.hmacSecret = bytes.Repeat([]byte{7}, len(old))
	if got := s.hmacOf("a@example.org"); !bytes.Equal(got, want(s.hmacSecret, "a@example.org")) || bytes.Equal(got, want(old, "a@example.org")) {
		t.Errorf("after the secret changed, hmacOf used a hash keyed with the old one: %x", got)
	}
}
