package store

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gdprdesk/gdprdesk/gdpr"
)

// rawFiles reads every regular file under dir.
func rawFiles(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = b
		return nil
	})
	if err != nil {
		tb.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// filesContaining lists the files whose raw bytes hold needle.
func filesContaining(files map[string][]byte, needle string) []string {
	var out []string
	for name, b := range files {
		if bytes.Contains(b, []byte(needle)) {
			out = append(out, name)
		}
	}
	return out
}

// leakForms are the byte strings a stored secret would show up as if it
// were not sealed: as written, lower-cased (search text), and base64-encoded
// at each of the three byte alignments, because a []byte field (where the
// sealed blobs live) is base64 in the records' JSON. For base64, only the
// characters that depend on the secret's bytes alone are kept.
func leakForms(secret string) []string {
	var out []string
	for _, v := range []string{secret, strings.ToLower(secret)} {
		out = append(out, v)
		for k, skip := range []int{0, 2, 3} {
			b := append(make([]byte, k), v...)
			enc := base64.StdEncoding.EncodeToString(b)
			if end := len(b) / 3 * 4; end-skip >= 8 {
				out = append(out, enc[skip:end])
			}
		}
	}
	return out
}

// TestNoCleartextPersonalDataOnDisk greps every byte the store wrote (LSM
// tables, value log, manifest, keyring) for the personal data of contacts
// and requests, and finds none.
//
// Badger compresses its tables with Snappy by default, and Snappy replaces
// any run of four or more bytes seen earlier in the block by a
// back-reference: with sealing switched off, a grep of compressed tables
// misses most of the names, the phone number and the evidence note (they
// share fragments with the search text, the email and each other). So the
// test runs twice: with the options a user gets (tables not compressed, so
// every stored byte is written literally and a leak cannot hide), and with
// Snappy tables as earlier versions wrote them. In both runs positive
// controls show the grep sees clear fields stored the same way as the
// sealed ones: the source label "webinar-2024" (found only uncompressed,
// since "2024" also occurs in every timestamp) and a tag
// spelled from letters that occur nowhere else (its first occurrence in each
// block is necessarily literal, compressed or not).
func TestNoCleartextPersonalDataOnDisk(t *testing.T) {
	const (
		controlSource = "webinar-2024"
		controlTag    = "kvzqxjtag"
	)
	for _, uncompressed := range []bool{true, false} {
		name := "default options"
		if !uncompressed {
			name = "tables compressed (Snappy)"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			clk := newClock(t0)
			s, err := Open(dir, Options{Now: clk.Now, snappy: !uncompressed})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			people := []gdpr.Contact{
				{FirstName: "Zebulon", LastName: "Quaxworth", Email: "Zebulon.Quaxworth@example.org", Phone: "+49 170 5550199",
					Street: "Yrsaweg 17", City: "Quedlinburg", Company: "Quaxworth Orgelbau", Notes: "prefers Yodeling calls",
					Custom: map[string]string{"nickname": "Zebby-Q"}, Country: "DE", Source: controlSource, Tags: []string{controlTag},
					Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Evidence: "met Zebulon at fair"}}},
				{FirstName: "Philippa", LastName: "Wrexhamsted", Email: "p.wrexhamsted@example.net", Phone: "+44 20 7946 0321",
					Country: "GB", Source: controlSource, Tags: []string{controlTag}},
			}
			ids := mustCreate(t, s, people...)
			if err := s.UpdateContact("op", ids[0], func(c *gdpr.Contact) error {
				c.Email = "zq.newaddress@example.org"
				c.LastName = "Quaxworth-Brandt"
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.SetContactStatus("op", ids[1], gdpr.ContactRestricted, "Philippa objected by letter"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ApplyBasis(t.Context(), "op", mustQuery(t, "country:GB"), BasisChange{Basis: gdpr.BasisContract,
				Evidence: "signed by Wrexhamsted in person"}, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestErasure, Channel: gdpr.ChannelEmail,
				SubjectEmail: "ottoline.vandersnoot@example.com", Note: "Ottoline wrote from her work address"}); err != nil {
				t.Fatal(err)
			}
			// The data really is there, readable through the store.
			if c := mustContact(t, s, ids[0]); c.Phone != "+49 170 5550199" || c.Bases[0].Evidence != "met Zebulon at fair" {
				t.Fatalf("contact did not keep its data: %+v", c)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			files := rawFiles(t, dir)
			var size int
			for _, b := range files {
				size += len(b)
			}
			if size == 0 {
				t.Fatal("the store wrote no bytes")
			}
			t.Logf("grepped %d files, %d bytes", len(files), size)

			secrets := []string{
				"Zebulon", "Quaxworth", "Quaxworth-Brandt", "zebulon.quaxworth@example.org", "Zebulon.Quaxworth@example.org",
				"zq.newaddress@example.org", "+49 170 5550199", "5550199", "Yrsaweg", "Quedlinburg", "Orgelbau", "Yodeling",
				"Zebby-Q", "met Zebulon at fair", "Philippa", "Wrexhamsted", "p.wrexhamsted@example.net", "7946 0321",
				"objected by letter", "signed by Wrexhamsted", "ottoline", "vandersnoot", "Ottoline wrote",
			}
			for _, secret := range secrets {
				for _, form := range leakForms(secret) {
					if where := filesContaining(files, form); len(where) > 0 {
						t.Errorf("cleartext %q (as %q) found in %v", secret, form, where)
					}
				}
			}
			controls := []string{controlTag}
			if uncompressed {
				controls = append(controls, controlSource)
			}
			for _, control := range controls {
				if where := filesContaining(files, control); len(where) == 0 {
					t.Errorf("positive control %q (a clear field) not found in the raw files: the grep cannot see stored data", control)
				}
			}
		})
	}
}

// TestDestroyedKeyMakesDataUnreadable destroys one subject's data key the
// way erasure will: the contact's personal data, its evidence notes, its
// search text and the sealed parts of its audit entries become unreadable,
// and nobody else's data is touched.
func TestDestroyedKeyMakesDataUnreadable(t *testing.T) {
	s, _ := newStore(t)
	ids := mustCreate(t, s,
		gdpr.Contact{FirstName: "Zebulon", Email: "zebulon@example.org", Country: "DE",
			Bases: []gdpr.BasisAssignment{{Basis: gdpr.BasisConsent, Evidence: "met Zebulon at fair"}}},
		gdpr.Contact{FirstName: "Yara", Email: "yara@example.org", Country: "DE"})
	if err := s.UpdateContact("op", ids[0], func(c *gdpr.Contact) error { c.City = "Zell"; return nil }); err != nil {
		t.Fatal(err)
	}
	rec := storedContact(t, s, ids[0])
	if rec.Slot == 0 || len(rec.Personal) == 0 {
		t.Fatalf("stored contact has slot %d and %d sealed bytes", rec.Slot, len(rec.Personal))
	}
	key, err := s.keys.key(rec.Slot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unsealContact(&rec, key); err != nil {
		t.Fatalf("unseal with the live key: %v", err)
	}

	if err := s.keys.destroy(rec.Slot); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if _, err := s.keys.key(rec.Slot); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("key of a destroyed slot: %v, want errKeyDestroyed", err)
	}
	if _, err := s.Contact(ids[0]); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("Contact of an erased subject: %v, want errKeyDestroyed", err)
	}
	if _, err := s.ContactByEmail("zebulon@example.org"); !errors.Is(err, errKeyDestroyed) {
		t.Errorf("ContactByEmail of an erased subject: %v, want errKeyDestroyed", err)
	}
	// With the old key bytes gone, even a copy of the record cannot be opened
	// with another subject's key.
	other, err := s.keys.key(storedContact(t, s, ids[1]).Slot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unsealContact(&rec, other); err == nil {
		t.Error("the sealed record opened under another subject's key")
	}
	// The slot on disk is zero: nothing of the key is left in the file.
	slotBytes := make([]byte, slotSize)
	if _, err := s.keys.f.ReadAt(slotBytes, slotOffset(rec.Slot)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(slotBytes, make([]byte, slotSize)) {
		t.Errorf("destroyed slot still holds %x", slotBytes)
	}

	if c := mustContact(t, s, ids[1]); c.FirstName != "Yara" {
		t.Errorf("the other contact reads %q", c.FirstName)
	}
	if got := collect(t, s, "zebulon", 10); len(got) != 0 {
		t.Errorf("a word search still finds the erased subject: %v", got)
	}
	if got := collect(t, s, "country:DE yara", 10); len(got) != 1 {
		t.Errorf("country:DE yara finds %d contacts, want 1", len(got))
	}
	var erased, readable int
	for _, e := range allAudit(t, s) {
		switch {
		case e.Erased:
			erased++
			if e.Record != ids[0].String() || e.Personal != "" {
				t.Errorf("entry %d marked erased: record %s personal %q", e.Seq, e.Record, e.Personal)
			}
		case e.Personal != "":
			readable++
		}
	}
	if erased != 1 {
		t.Errorf("%d audit entries show erased personal data, want 1 (the edit)", erased)
	}
	// The key went without an erasure: audit verify says whose it was
	// (SPEC §8 "Integrity": the key ring matches the store).
	rep, err := s.VerifyAudit()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], ids[0].String()+" is active but its data key") {
		t.Errorf("VerifyAudit problems %q, want one naming %s's destroyed key", rep.Problems, ids[0])
	}
}

// storedContact reads the stored form of a contact.
func storedContact(tb testing.TB, s *Store, id gdpr.ContactID) contactRec {
	tb.Helper()
	var rec contactRec
	if err := s.db.View(func(txn *badger.Txn) error {
		var err error
		rec, err = readContactRec(txn, id)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return rec
}

func TestRotateMasterKey(t *testing.T) {
	dir := t.TempDir()
	clk := newClock(t0)
	s := openAt(t, dir, clk)
	var cs []gdpr.Contact
	for _, name := range []string{"ada", "bea", "cai", "dov"} {
		cs = append(cs, gdpr.Contact{FirstName: name, Email: name + "@example.org"})
	}
	ids := mustCreate(t, s, cs...)
	reqID, err := s.AddRequest("op", gdpr.Request{Type: gdpr.RequestAccess, Channel: gdpr.ChannelEmail,
		SubjectEmail: "eve@example.org", Note: "from eve"})
	if err != nil {
		t.Fatal(err)
	}
	destroyed := storedContact(t, s, ids[1]).Slot
	if err := s.keys.destroy(destroyed); err != nil {
		t.Fatal(err)
	}
	keysDir := filepath.Join(dir, "keys")
	oldMaster, err := os.ReadFile(filepath.Join(keysDir, masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	oldSlots, err := os.ReadFile(filepath.Join(keysDir, slotsFile))
	if err != nil {
		t.Fatal(err)
	}

	check := func(s *Store, when string) {
		t.Helper()
		for i, id := range ids {
			c, err := s.Contact(id)
			if i == 1 && when == "after reopening" {
				// A key destroyed with no erasure recorded: Open
				// finishes the erasure (finishLostErasures).
				if err != nil || c.Status != gdpr.ContactAnonymized {
					t.Errorf("%s: contact %s whose key was destroyed = %s, %v; want erased by Open", when, id, c.Status, err)
				}
				continue
			}
			if i == 1 {
				if !errors.Is(err, errKeyDestroyed) {
					t.Errorf("%s: destroyed contact %s: %v, want errKeyDestroyed", when, id, err)
				}
				continue
			}
			if err != nil || c.FirstName != cs[i].FirstName {
				t.Errorf("%s: contact %s = %q, %v; want %q", when, id, c.FirstName, err, cs[i].FirstName)
			}
		}
		if r, err := s.Request(reqID); err != nil || r.SubjectEmail != "eve@example.org" || r.Note != "from eve" {
			t.Errorf("%s: request = %+v, %v", when, r, err)
		}
	}
	if err := s.RotateMasterKey("admin"); err != nil {
		t.Fatalf("RotateMasterKey: %v", err)
	}
	check(s, "after rotation")
	newMaster, err := os.ReadFile(filepath.Join(keysDir, masterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(newMaster, oldMaster) || len(newMaster) != dataKeySize {
		t.Errorf("master key not replaced (%d bytes, same as before: %v)", len(newMaster), bytes.Equal(newMaster, oldMaster))
	}
	for _, leftover := range []string{masterKeyFile + ".next", slotsFile + ".next"} {
		if _, err := os.Stat(filepath.Join(keysDir, leftover)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind after rotation: %v", leftover, err)
		}
	}
	if es := allAudit(t, s); es[len(es)-1].Action != "keys.rotate" {
		t.Errorf("last audit entry %q, want keys.rotate", es[len(es)-1].Action)
	}
	// New contacts after a rotation get keys under the new master.
	late := mustCreate(t, s, gdpr.Contact{FirstName: "fay", Email: "fay@example.org"})[0]
	if err := s.RotateMasterKey("admin"); err != nil {
		t.Fatalf("second RotateMasterKey: %v", err)
	}
	check(s, "after a second rotation")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openAt(t, dir, clk)
	check(s2, "after reopening")
	if c, err := s2.Contact(late); err != nil || c.FirstName != "fay" {
		t.Errorf("contact created between rotations = %q, %v", c.FirstName, err)
	}
	checkVerified(t, s2)

	// An old slot file with the new master is refused, not misread.
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keysDir, slotsFile), oldSlots, 0o600); err != nil {
		t.Fatal(err)
	}
	if s3, err := Open(dir, Options{Now: clk.Now}); err == nil {
		s3.Close()
		t.Error("a store with an old keyring and the new master opened")
	} else if !strings.Contains(err.Error(), "another master key") {
		t.Errorf("mismatched keyring: %v, want it to say the master key does not match", err)
	}
}

// TestFinishRotation covers a rotation cut short by a crash: before the new
// slot file is in place the rotation is dropped, after it the new master is
// installed; either way every live key still opens.
func TestFinishRotation(t *testing.T) {
	tests := []struct {
		name       string
		installed  bool // the new slot file replaced the old one before the crash
		wantMaster string
	}{
		{"crash before the slot file was replaced", false, "old"},
		{"crash before the master was replaced", true, "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			k, err := openKeyring(dir, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			slots, err := k.newKeys(3)
			if err != nil {
				t.Fatal(err)
			}
			if err := k.destroy(slots[1]); err != nil {
				t.Fatal(err)
			}
			want := map[Slot][]byte{}
			for _, sl := range []Slot{slots[0], slots[2]} {
				if want[sl], err = k.key(sl); err != nil {
					t.Fatal(err)
				}
			}
			oldMaster, _ := os.ReadFile(filepath.Join(dir, masterKeyFile))
			oldSlots, _ := os.ReadFile(filepath.Join(dir, slotsFile))
			if err := k.rotate(); err != nil {
				t.Fatal(err)
			}
			newMaster, _ := os.ReadFile(filepath.Join(dir, masterKeyFile))
			newSlots, _ := os.ReadFile(filepath.Join(dir, slotsFile))
			if err := k.close(); err != nil {
				t.Fatal(err)
			}
			// Rebuild the files as the crash left them.
			write := func(name string, b []byte) {
				if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(masterKeyFile, oldMaster)
			write(masterKeyFile+".next", newMaster)
			if tt.installed {
				write(slotsFile, newSlots)
			} else {
				write(slotsFile, oldSlots)
				write(slotsFile+".next", newSlots[:headerSize+slotSize]) // half written
			}

			k, err = openKeyring(dir, nil, true)
			if err != nil {
				t.Fatalf("openKeyring after the crash: %v", err)
			}
			defer k.close()
			master, _ := os.ReadFile(filepath.Join(dir, masterKeyFile))
			wantMaster := oldMaster
			if tt.wantMaster == "new" {
				wantMaster = newMaster
			}
			if !bytes.Equal(master, wantMaster) {
				t.Errorf("master after recovery is not the %s one", tt.wantMaster)
			}
			for sl, key := range want {
				got, err := k.key(sl)
				if err != nil || !bytes.Equal(got, key) {
					t.Errorf("slot %d after recovery: %x, %v; want the same key", sl, got, err)
				}
			}
			if _, err := k.key(slots[1]); !errors.Is(err, errKeyDestroyed) {
				t.Errorf("destroyed slot after recovery: %v", err)
			}
			for _, leftover := range []string{masterKeyFile + ".next", slotsFile + ".next"} {
				if _, err := os.Stat(filepath.Join(dir, leftover)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s left behind: %v", leftover, err)
				}
			}
			if next, err := k.newKeys(1); err != nil || next[0] != slots[2]+1 {
				t.Errorf("next slot after recovery = %v, %v; want %d", next, err, slots[2]+1)
			}
		})
	}
}

// TestRotateWhileReading: readers do not take the store's write lock, so a
// rotation must swap the keyring's file and master under readers safely
// (run with -race).
func TestRotateWhileReading(t *testing.T) {
	s, _ := newStore(t)
	var cs []gdpr.Contact
	for i := range 20 {
		cs = append(cs, gdpr.Contact{FirstName: "reader", Email: fmt.Sprintf("r%d@example.org", i)})
	}
	ids := mustCreate(t, s, cs...)
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, id := range ids {
				c, err := s.Contact(id)
				if err == nil && c.FirstName != "reader" {
					err = fmt.Errorf("contact %s reads %q", id, c.FirstName)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	for range 5 {
		if err := s.RotateMasterKey("admin"); err != nil {
			t.Errorf("RotateMasterKey: %v", err)
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Errorf("reading during rotation: %v", err)
	}
}
