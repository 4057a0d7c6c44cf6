package components

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// list is a store stand-in: rows are their own values, keys are 8-byte
// big-endian values, so positions can be checked exactly.
type list struct{ vals []int }

func key(v int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

func (l *list) fetch(f Fetch) (rows []int, keys [][]byte, more bool) {
	if f.Backward {
		end := len(l.vals)
		if f.From != nil {
			end = 0
			for end < len(l.vals) && l.vals[end] < int(binary.BigEndian.Uint64(f.From)) {
				end++
			}
		}
		start := max(end-f.Limit, 0)
		for _, v := range l.vals[start:end] {
			rows, keys = append(rows, v), append(keys, key(v))
		}
		return rows, keys, start > 0
	}
	start := 0
	if f.From != nil {
		for start < len(l.vals) && l.vals[start] <= int(binary.BigEndian.Uint64(f.From)) {
			start++
		}
	}
	end := min(start+f.Limit, len(l.vals))
	for _, v := range l.vals[start:end] {
		rows, keys = append(rows, v), append(keys, key(v))
	}
	return rows, keys, end < len(l.vals)
}

// serve answers fetches until none is left, as the screen's commands do.
func serve(w *Window[int], l *list, fs []Fetch) {
	for len(fs) > 0 {
		f := fs[0]
		fs = fs[1:]
		rows, keys, more := l.fetch(f)
		fs = append(fs, w.Load(f, rows, keys, more)...)
	}
}

func TestWindowRandomWalk(t *testing.T) {
	for _, n := range []int{0, 1, 5, 23, 100, 5000} {
		l := &list{}
		for i := range n {
			l.vals = append(l.vals, i)
		}
		w := NewWindow[int](10)
		serve(w, l, []Fetch{w.Reset()})
		w.SetTotal(int64(n))
		r := rand.New(rand.NewPCG(uint64(n), 3))
		for step := range 2000 {
			var fs []Fetch
			op := r.IntN(7)
			switch op {
			case 0:
				fs = w.Move(1)
			case 1:
				fs = w.Move(-1)
			case 2:
				fs = w.Move(10)
			case 3:
				fs = w.Move(-10)
			case 4:
				fs = w.Home()
			case 5:
				fs = w.End()
			case 6:
				fs = w.SetHeight(5 + r.IntN(20))
			}
			serve(w, l, fs)
			if n == 0 {
				if _, ok := w.Selected(); ok || !w.Empty() {
					t.Fatalf("n=0 step %d: a row is selected in an empty list", step)
				}
				continue
			}
			c := w.Cursor()
			if c < 0 || c >= int64(n) {
				t.Fatalf("n=%d step %d op %d: cursor %d out of range", n, step, op, c)
			}
			v, ok := w.Selected()
			if !ok || int64(v) != c {
				t.Fatalf("n=%d step %d op %d: selected %d (%v), cursor %d", n, step, op, v, ok, c)
			}
			if c < w.Top() || c >= w.Top()+int64(w.Height()) {
				t.Fatalf("n=%d step %d: cursor %d not visible (top %d height %d)", n, step, c, w.Top(), w.Height())
			}
			for i := w.Top(); i < min(w.Top()+int64(w.Height()), int64(n)); i++ {
				if v, ok := w.Row(i); !ok || int64(v) != i {
					t.Fatalf("n=%d step %d: visible row %d is %d (%v)", n, step, i, v, ok)
				}
			}
			if w.Buffered() > 11*w.Height()+3*25 {
				t.Fatalf("n=%d step %d: %d rows buffered for height %d", n, step, w.Buffered(), w.Height())
			}
		}
	}
}

// Paging from the top to the bottom reaches the last row one screen at a
// time, and every row on the way is shown exactly once.
func TestWindowPagesThroughEverything(t *testing.T) {
	l := &list{}
	for i := range 1000 {
		l.vals = append(l.vals, i*3)
	}
	w := NewWindow[int](20)
	serve(w, l, []Fetch{w.Reset()})
	w.SetTotal(1000)
	for range 49 {
		serve(w, l, w.Move(20))
	}
	if v, _ := w.Selected(); v != 980*3 {
		t.Fatalf("after 49 pages the cursor is on %d, want %d", v, 980*3)
	}
	serve(w, l, w.Move(20))
	if v, _ := w.Selected(); v != 999*3 || w.Cursor() != 999 {
		t.Fatalf("the last page ends on %d at %d", v, w.Cursor())
	}
}

// After rows vanish (a bulk change emptied part of a filter), Refresh keeps
// the place and the positions correct themselves at the ends.
func TestWindowRefreshAfterRowsVanish(t *testing.T) {
	l := &list{}
	for i := range 200 {
		l.vals = append(l.vals, i)
	}
	w := NewWindow[int](10)
	serve(w, l, []Fetch{w.Reset()})
	w.SetTotal(200)
	serve(w, l, w.Move(55))
	// Every even row disappears.
	var kept []int
	for _, v := range l.vals {
		if v%2 == 1 {
			kept = append(kept, v)
		}
	}
	l.vals = kept
	serve(w, l, []Fetch{w.Refresh()})
	w.SetTotal(100)
	v, ok := w.Selected()
	if !ok || v%2 == 0 {
		t.Fatalf("after refresh the cursor is on %d (%v)", v, ok)
	}
	serve(w, l, w.Home())
	if v, _ := w.Selected(); v != 1 || w.Cursor() != 0 {
		t.Fatalf("home is %d at %d, want 1 at 0", v, w.Cursor())
	}
	serve(w, l, w.End())
	if v, _ := w.Selected(); v != 199 || w.Cursor() != 99 {
		t.Fatalf("end is %d at %d, want 199 at 99", v, w.Cursor())
	}
	// An older answer is dropped.
	stale := Fetch{Gen: -1}
	if fs := w.Load(stale, []int{7}, [][]byte{key(7)}, false); fs != nil || w.Cursor() != 99 {
		t.Fatal("a stale answer changed the window")
	}
}
