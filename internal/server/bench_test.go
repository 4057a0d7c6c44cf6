package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdprdesk/gdprdesk/gdpr"
	"github.com/gdprdesk/gdprdesk/internal/demo"
	"github.com/gdprdesk/gdprdesk/store"
	gossh "golang.org/x/crypto/ssh"
)

// rssMB is the process's resident memory now, from /proc (Linux).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkServe20Sessions serves a store to 20 SSH sessions at once, each
// on the contacts screen pressing ↓ 40 times (and paging), and reports the
// key press round trip (key sent → the new frame's first bytes back) and the
// memory each session adds. Set GDPRDESK_BENCH_STORE to a store (see
// bench_test.go) for the million-contact figure; without it a 2,000-contact
// demo store is made.
func BenchmarkServe20Sessions(b *testing.B) {
	const sessions, presses = 20, 40
	dir := os.Getenv("GDPRDESK_BENCH_STORE")
	if dir == "" {
		dir = b.TempDir()
		s, err := store.Open(dir, store.Options{Now: fixedNow})
		if err != nil {
			b.Fatal(err)
		}
		if err := demo.FillDemo(b.Context(), s, demo.DemoOptions{Contacts: 2000, Seed: 1, Operator: "owner", Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	key, pub := newKey(b)
	s, err := store.Open(dir, store.Options{Now: fixedNow})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.AddOperator("owner", store.Operator{Name: "bench", Role: gdpr.RoleViewer, PublicKey: pub}); err != nil {
		b.Fatal(err)
	}
	s.Close()
	if s, err = store.Open(dir, store.Options{Now: fixedNow, RemoteOnly: true}); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	addrc, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{Store: s, Listen: "127.0.0.1:0", HostKey: filepath.Join(b.TempDir(), "hk"),
			Now: fixedNow, Ready: func(a net.Addr) { addrc <- a.String() }})
	}()
	addr := <-addrc
	defer func() { cancel(); <-done }()

	for b.Loop() {
		runtime.GC()
		before := rssMB()
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		errs := make(chan error, sessions)
		ready := make(chan struct{}, sessions)
		start := make(chan struct{})
		for range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := dial(addr, "bench", gossh.PublicKeys(key))
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				sess, err := c.NewSession()
				if err != nil {
					errs <- err
					return
				}
				tm := &terminal{sess: sess}
				sess.Stdout = tm
				in, _ := sess.StdinPipe()
				tm.in = in
				if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
					errs <- err
					return
				}
				if err := sess.Shell(); err != nil {
					errs <- err
					return
				}
				wait := func(n int) bool {
					deadline := time.Now().Add(30 * time.Second)
					for time.Now().Before(deadline) {
						tm.mu.Lock()
						got := tm.out.Len()
						tm.mu.Unlock()
						if got > n {
							return true
						}
						time.Sleep(200 * time.Microsecond)
					}
					return false
				}
				in.Write([]byte("2"))
				deadline := time.Now().Add(60 * time.Second)
				for !strings.Contains(tm.text(), "row 1") && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				ready <- struct{}{}
				<-start
				for i := range presses {
					k := "j"
					if i%10 == 9 {
						k = "\x1b[6~" // page down
					}
					tm.mu.Lock()
					n := tm.out.Len()
					tm.mu.Unlock()
					t0 := time.Now()
					in.Write([]byte(k))
					if !wait(n) {
						errs <- fmt.Errorf("no frame after a key press")
						return
					}
					d := time.Since(t0)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
					time.Sleep(50 * time.Millisecond) // a person's pace, and the frame settles
				}
			}()
		}
		for range sessions {
			select {
			case <-ready:
			case err := <-errs:
				b.Fatal(err)
			}
		}
		runtime.GC()
		during := rssMB()
		close(start)
		wg.Wait()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50/key")
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "ms-p95/key")
		b.ReportMetric((during-before)/sessions, "MB/session")
		b.ReportMetric(during, "MB-RSS")
	}
}
