package cli

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/store"
)

// The crash harness (crash_test.go) on the bulk-load path of import
// (store/bulkload.go): the first import of a file into a store without
// contacts, killed with SIGKILL at random moments. After every kill the
// store must open and pass `audit verify`, and be either as before the
// import (no contact, the audit log as it was, no staging directory) or
// hold every new contact exactly as the uninterrupted import leaves it
// (the rows that repeat an address are merged after the swap, in
// transactions of their own: each such contact is either merged, with its
// import-update entry, or not yet). Running the import again must then
// finish the job: the same contacts as the reference.
//
//	go test -run TestCrashBulkLoad ./internal/cli/                  # 10 kills
//	GDPRDESK_CRASH_BULK_KILLS=100 go test -run TestCrashBulkLoad -v -timeout 1h ./internal/cli/

const (
	crashBulkRows    = 30_000
	crashBulkEvery   = 4 // every 4th row repeats the address of the row 50 before it
	crashBulkDefault = 10
)

func TestCrashBulkLoad(t *testing.T) {
	kills := crashBulkDefault
	if v := os.Getenv("GDPRDESK_CRASH_BULK_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GDPRDESK_CRASH_BULK_KILLS=%q: want a positive number", v)
		}
		kills = n
	}
	seed := uint64(crashDefaultSeed)
	if v := os.Getenv("GDPRDESK_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GDPRDESK_CRASH_SEED=%q: want a number", v)
		}
		seed = n
	}
	h := &crashHarness{t: t, home: t.TempDir(), work: t.TempDir()}
	op := h.buildBulkLoad()
	st := h.run(op, kills, rand.New(rand.NewPCG(seed, 77)), seed)
	t.Logf("bulk load: %d kills (killed mid-run %d, finished first %d), inconsistencies %d, one full run %v",
		st.kills, st.killedMidRun, st.finishedFirst, st.inconsistent, st.opDuration)
}

// crashBulkCSV writes the file: crashBulkRows contacts, and after every
// crashBulkEvery-th a row repeating an earlier address with a new phone
// and a tag. It returns the repeated addresses.
func crashBulkCSV(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "First Name,Last Name,Email,Phone 1,Country,Lead Source,Tags,Date Created")
	repeated := map[string]bool{}
	countries := []string{"DE", "FR", "PL", "US", "", "IT"}
	for i := range crashBulkRows {
		fmt.Fprintf(w, "Anna,Nowak %d,anna.%d@example.com,+48 22 %07d,%s,webinar,vip,2024-%02d-%02d 10:00:00\n",
			i, i, i, countries[i%len(countries)], 1+i%12, 1+i%28)
		if i%crashBulkEvery == crashBulkEvery-1 && i >= 50 {
			e := fmt.Sprintf("anna.%d@example.com", i-50)
			repeated[e] = true
			fmt.Fprintf(w, ",,%s,+33 1 %07d,,,crash-update,\n", e, i)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return repeated
}

func (h *crashHarness) buildBulkLoad() crashOp {
	t := h.t
	// A store without contacts, with what a new store may hold: a purpose
	// (and its audit entry) from before the import.
	empty := filepath.Join(h.work, "empty.csv")
	if err := os.WriteFile(empty, []byte("email\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(h.work, "bulk-base")
	h.mustCLI("import", empty, "--data", base)
	h.mustCLI("purpose", "add", "newsletter", "--basis", "consent", "--marketing", "--data", base)
	s := h.openStore(base)
	baseSeq := crashHeadSeq(t, s)
	s.Close()
	if baseSeq == 0 {
		t.Fatal("the base store has no audit entry")
	}
	csv := filepath.Join(h.work, "bulk.csv")
	repeated := crashBulkCSV(t, csv)

	// The references: the same import, not interrupted, both ways; they
	// must agree.
	refs := map[string]map[string]string{}
	for _, mode := range []string{"always", "never"} {
		ref := filepath.Join(h.work, "bulk-ref-"+mode)
		crashCopyDir(t, base, ref)
		r := h.mustCLI("import", csv, "--bulk", mode, "--json", "--data", ref)
		if got := strings.Contains(r.stdout, `"bulk_load": true`); got != (mode == "always") {
			t.Fatalf("--bulk %s: the report says bulk_load %v", mode, got)
		}
		s := h.openStore(ref)
		want := map[string]string{}
		err := crashEach(s, gdpr.Query{}, func(c gdpr.Contact) error {
			want[c.Email] = crashView(c)
			return nil
		})
		s.Close()
		os.RemoveAll(ref)
		if err != nil {
			t.Fatal(err)
		}
		refs[mode] = want
	}
	want := refs["always"]
	if len(want) != crashBulkRows {
		t.Fatalf("the reference import left %d contacts, want %d", len(want), crashBulkRows)
	}
	for e, v := range want {
		if refs["never"][e] != v {
			t.Fatalf("%s: the bulk load leaves %s, the ordinary import %s", e, v, refs["never"][e])
		}
	}
	run := crashRun{
		args: []string{"import", csv, "--bulk", "always"},
		check: func(s *store.Store, complete bool) (int, error) {
			return crashCheckBulkLoad(s, baseSeq, repeated, want, complete)
		},
	}
	return crashOp{name: "bulkload", base: base, next: func(*rand.Rand) crashRun { return run }}
}

// crashCheckBulkLoad: no staging directory; either nothing imported (the
// audit log as before) or every contact as the reference has it, except
// that a repeated address may not be merged yet (then it is as its first
// row made it: no crash-update tag, no import-update entry).
func crashCheckBulkLoad(s *store.Store, baseSeq uint64, repeated map[string]bool, want map[string]string, complete bool) (int, error) {
	if _, err := os.Stat(filepath.Join(s.Dir(), "bulkload")); !os.IsNotExist(err) {
		return 0, fmt.Errorf("the staging directory is still there after open (%v)", err)
	}
	n, err := s.Count(gdpr.Query{})
	if err != nil {
		return 0, err
	}
	head, err := crashHeadSeqErr(s)
	if err != nil {
		return 0, err
	}
	if n == 0 && !complete {
		if head != baseSeq {
			return 0, fmt.Errorf("no contact, but the audit head moved from %d to %d", baseSeq, head)
		}
		return 0, nil
	}
	if n != int64(len(want)) {
		return int(n), fmt.Errorf("%d contacts, want none or %d", n, len(want))
	}
	merged := 0
	err = crashEach(s, gdpr.Query{}, func(c gdpr.Contact) error {
		w, ok := want[c.Email]
		if !ok {
			return fmt.Errorf("contact %s (%s) is not in the reference", c.ID, c.Email)
		}
		got := crashView(c)
		if got == w {
			if repeated[c.Email] {
				merged++
			}
			return nil
		}
		if complete || !repeated[c.Email] || c.HasTag("crash-update") {
			return fmt.Errorf("contact %s is %s, want %s", c.ID, got, w)
		}
		trail, err := s.AuditOf(c.ID.String())
		if err != nil {
			return err
		}
		for _, e := range trail {
			if e.Action == string(gdpr.ActionContactImportUpdate) {
				return fmt.Errorf("contact %s is not merged but has an import-update entry %d", c.ID, e.Seq)
			}
		}
		return nil
	})
	if err != nil {
		return int(n), err
	}
	if complete && merged != len(repeated) {
		return int(n), fmt.Errorf("%d of %d repeated addresses merged", merged, len(repeated))
	}
	return int(n), nil
}
