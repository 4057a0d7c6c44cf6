// Package u64map is a map from 64-bit hashes to small values, for the
// import's tables of addresses seen: a million entries of a Go map from
// uint64 cost 30–40 MB at the moment it doubles, this one about half. Keys
// are hashes, so they need no further mixing; open addressing with linear
// probing keeps each entry to its key and value.
package u64map

// Map maps uint64 keys to values of V. The zero value is ready to use.
// It is not safe for concurrent use.
type Map[V any] struct {
	keys []uint64 // 0 marks a free slot; key 0 itself lives in zero
	vals []V
	n    int
	zero V
	hasZ bool
}

// Len returns the number of keys.
func (m *Map[V]) Len() int {
	if m.hasZ {
		return m.n + 1
	}
	return m.n
}

// Get returns the value of k and whether k is present.
func (m *Map[V]) Get(k uint64) (V, bool) {
	if k == 0 {
		return m.zero, m.hasZ
	}
	if len(m.keys) == 0 {
		var v V
		return v, false
	}
	mask := uint64(len(m.keys) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch m.keys[i] {
		case k:
			return m.vals[i], true
		case 0:
			var v V
			return v, false
		}
	}
}

// Has reports whether k is present.
func (m *Map[V]) Has(k uint64) bool {
	_, ok := m.Get(k)
	return ok
}

// Put sets the value of k.
func (m *Map[V]) Put(k uint64, v V) {
	if k == 0 {
		m.zero, m.hasZ = v, true
		return
	}
	if 4*(m.n+1) > 3*len(m.keys) {
		m.grow()
	}
	mask := uint64(len(m.keys) - 1)
	for i := k & mask; ; i = (i + 1) & mask {
		switch m.keys[i] {
		case k:
			m.vals[i] = v
			return
		case 0:
			m.keys[i], m.vals[i] = k, v
			m.n++
			return
		}
	}
}

func (m *Map[V]) grow() {
	size := 2 * len(m.keys)
	if size == 0 {
		size = 64
	}
	keys, vals := m.keys, m.vals
	m.keys, m.vals, m.n = make([]uint64, size), make([]V, size), 0
	for i, k := range keys {
		if k != 0 {
			m.Put(k, vals[i])
		}
	}
}
