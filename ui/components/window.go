// Package components holds the reusable pieces of the terminal UI. Each
// renders a string, knows its size, and never touches the store: what it
// needs from the store it asks for, and the screen that owns it fetches.
package components

// Window is the part of a long, store-backed list that the screen shows: the
// visible rows plus a margin of a few screens either side, their absolute
// positions, the cursor and the total. It holds at most a few screens of
// rows whatever the list's length, so moving costs the same at a thousand
// rows and at a million.
//
// Rows are positioned by the store's keys (keyset paging): the window asks
// for "rows after key K" or "rows before key K", never for an offset, which
// a store cannot seek to without counting.
type Window[R any] struct {
	rows  []R
	keys  [][]byte
	start int64 // absolute index of rows[0]
	first bool  // rows[0] is the first row of the list
	last  bool  // the last row of rows is the last of the list

	cursor, top int64
	height      int
	total       int64 // -1 while unknown

	gen              int
	loadFwd, loadBwd bool
	loaded           bool
}

// Fetch is a request for rows from the store, after (or, Backward, before)
// the key From; a nil From is the start (or the end) of the list.
type Fetch struct {
	Gen      int
	Backward bool
	From     []byte
	Limit    int
	Reset    bool // replace the window instead of extending it
	AtEnd    bool // the reset is a jump to the end
}

// NewWindow returns an empty window of the given height.
func NewWindow[R any](height int) *Window[R] {
	return &Window[R]{height: max(height, 1), total: -1}
}

// Height is the number of visible rows.
func (w *Window[R]) Height() int { return w.height }

// SetHeight changes the number of visible rows, keeping the cursor visible.
func (w *Window[R]) SetHeight(h int) []Fetch {
	w.height = max(h, 1)
	w.follow()
	return w.margins()
}

// Total is the length of the list, or -1 while it is being counted.
func (w *Window[R]) Total() int64 { return w.total }

// SetTotal records the list's length (counted by the store).
func (w *Window[R]) SetTotal(n int64) {
	w.total = n
	if n >= 0 && w.cursor >= n {
		w.cursor = max(n-1, 0)
		w.follow()
	}
}

// Cursor is the absolute index of the selected row.
func (w *Window[R]) Cursor() int64 { return w.cursor }

// Top is the absolute index of the first visible row.
func (w *Window[R]) Top() int64 { return w.top }

// Loaded reports whether the first page has arrived.
func (w *Window[R]) Loaded() bool { return w.loaded }

// Empty reports whether the list is known to have no rows.
func (w *Window[R]) Empty() bool { return w.loaded && len(w.rows) == 0 && w.first && w.last }

// Row returns the row at absolute index i, if it is loaded.
func (w *Window[R]) Row(i int64) (R, bool) {
	var zero R
	if i < w.start || i >= w.start+int64(len(w.rows)) {
		return zero, false
	}
	return w.rows[i-w.start], true
}

// Selected returns the row under the cursor.
func (w *Window[R]) Selected() (R, bool) { return w.Row(w.cursor) }

// Buffered is how many rows the window holds (for tests and benchmarks:
// it stays bounded).
func (w *Window[R]) Buffered() int { return len(w.rows) }

// Reset empties the window and asks for the first rows of the list.
func (w *Window[R]) Reset() Fetch {
	w.gen++
	w.rows, w.keys = nil, nil
	w.start, w.cursor, w.top = 0, 0, 0
	w.first, w.last, w.loaded = true, false, false
	w.total = -1
	w.loadFwd, w.loadBwd = true, false
	return Fetch{Gen: w.gen, Limit: w.pageSize(), Reset: true}
}

// Refresh asks for the rows from the top of the screen on again, after the
// data changed under the list; positions stay where they were and correct
// themselves when an end of the list is reached.
func (w *Window[R]) Refresh() Fetch {
	w.gen++
	var from []byte
	if i := w.top - w.start - 1; i >= 0 && i < int64(len(w.keys)) {
		from = w.keys[i]
	} else if w.top > 0 && len(w.keys) > 0 {
		from = w.keys[0]
	}
	w.loadFwd, w.loadBwd = true, false
	if w.top == 0 {
		from = nil
	}
	return Fetch{Gen: w.gen, From: from, Limit: w.pageSize(), Reset: true}
}

// Home moves to the first row.
func (w *Window[R]) Home() []Fetch {
	if w.first && len(w.rows) > 0 && w.start == 0 {
		w.cursor = 0
		w.follow()
		return w.margins()
	}
	f := w.Reset()
	return []Fetch{f}
}

// End moves to the last row. The total must be known.
func (w *Window[R]) End() []Fetch {
	if w.total < 0 {
		return nil
	}
	if w.last && len(w.rows) > 0 {
		w.cursor = w.start + int64(len(w.rows)) - 1
		w.follow()
		return w.margins()
	}
	w.gen++
	w.rows, w.keys = nil, nil
	w.first, w.last, w.loaded = false, true, false
	w.start = w.total
	w.cursor = max(w.total-1, 0)
	w.top = max(w.total-int64(w.height), 0)
	w.loadFwd, w.loadBwd = false, true
	return []Fetch{{Gen: w.gen, Backward: true, Limit: w.pageSize(), Reset: true, AtEnd: true}}
}

// Move moves the cursor by delta rows, as far as the loaded rows allow; the
// fetches it returns load more, so that the next move finds them.
func (w *Window[R]) Move(delta int64) []Fetch {
	if len(w.rows) == 0 {
		return nil
	}
	target := w.cursor + delta
	lo, hi := w.start, w.start+int64(len(w.rows))-1
	target = min(max(target, lo), hi)
	w.cursor = target
	w.follow()
	return w.margins()
}

// follow scrolls so the cursor is visible.
func (w *Window[R]) follow() {
	h := int64(w.height)
	if w.cursor < w.top {
		w.top = w.cursor
	}
	if w.cursor >= w.top+h {
		w.top = w.cursor - h + 1
	}
	if w.total >= 0 && w.top+h > w.total {
		w.top = max(w.total-h, 0)
	}
	w.top = max(w.top, 0)
}

func (w *Window[R]) pageSize() int { return 3 * w.height }

// margins asks for rows when fewer than two screens are loaded beyond
// either edge of the visible part.
func (w *Window[R]) margins() []Fetch {
	var out []Fetch
	if !w.loaded || len(w.rows) == 0 {
		return nil
	}
	h := int64(w.height)
	end := w.start + int64(len(w.rows))
	if !w.last && !w.loadFwd && end-(w.top+h) < 2*h {
		w.loadFwd = true
		out = append(out, Fetch{Gen: w.gen, From: w.keys[len(w.keys)-1], Limit: w.pageSize()})
	}
	if !w.first && !w.loadBwd && w.top-w.start < 2*h {
		w.loadBwd = true
		out = append(out, Fetch{Gen: w.gen, Backward: true, From: w.keys[0], Limit: w.pageSize()})
	}
	return out
}

// Loaded takes the answer to a fetch: rows in list order with their keys,
// and whether more rows lie beyond them in the fetch's direction. An answer
// to an older fetch (the list was reset since) is dropped.
func (w *Window[R]) Load(f Fetch, rows []R, keys [][]byte, more bool) []Fetch {
	if f.Gen != w.gen {
		return nil
	}
	if f.Backward {
		w.loadBwd = false
	} else {
		w.loadFwd = false
	}
	switch {
	case f.Reset && f.AtEnd:
		w.rows, w.keys = rows, keys
		w.last, w.first = true, !more
		w.start = w.total - int64(len(rows))
		if w.first || w.start < 0 {
			w.rebase(0)
		}
		w.cursor = w.start + int64(len(rows)) - 1
		if len(rows) == 0 {
			w.cursor = 0
		}
	case f.Reset:
		w.rows, w.keys = rows, keys
		w.first = f.From == nil
		w.last = !more
		if w.first {
			w.start = 0
		} else {
			w.start = w.top
		}
		if w.last {
			w.total = w.start + int64(len(rows))
		}
		w.cursor = min(w.cursor, max(w.start+int64(len(rows))-1, 0))
	case f.Backward:
		w.rows = append(append([]R(nil), rows...), w.rows...)
		w.keys = append(append([][]byte(nil), keys...), w.keys...)
		w.start -= int64(len(rows))
		if !more {
			w.first = true
			w.rebase(0)
		} else if w.start < 0 {
			w.rebase(0)
		}
		w.trim(false)
	default:
		w.rows = append(w.rows, rows...)
		w.keys = append(w.keys, keys...)
		if !more {
			w.last = true
			w.total = w.start + int64(len(w.rows))
		}
		w.trim(true)
	}
	w.loaded = true
	w.follow()
	return w.margins()
}

// rebase shifts every absolute position so rows[0] is at index at: the
// first row has been reached and its real position is now known.
func (w *Window[R]) rebase(at int64) {
	d := at - w.start
	w.start += d
	w.cursor += d
	w.top += d
	w.cursor = max(w.cursor, 0)
	w.top = max(w.top, 0)
}

// trim drops rows far from the visible part, keeping memory bounded.
func (w *Window[R]) trim(front bool) {
	limit := 8 * w.height
	if len(w.rows) <= limit {
		return
	}
	h := int64(w.height)
	if front {
		drop := min(int64(len(w.rows)-limit), max(w.top-w.start-2*h, 0))
		if drop > 0 {
			w.rows, w.keys = w.rows[drop:], w.keys[drop:]
			w.start += drop
			w.first = false
		}
		return
	}
	end := w.start + int64(len(w.rows))
	drop := min(int64(len(w.rows)-limit), max(end-(w.top+3*h), 0))
	if drop > 0 {
		w.rows, w.keys = w.rows[:int64(len(w.rows))-drop], w.keys[:int64(len(w.keys))-drop]
		w.last = false
	}
}
