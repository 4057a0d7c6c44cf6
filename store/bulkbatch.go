package store

import (
	"encoding/binary"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// bulkVersion is the version of every key a bulk load writes.
const bulkVersion = 1

// batchArena is the size of each block of a streamBatch's arena.
const batchArena = 32 << 10

// streamBatch gathers keys and values for StreamWriter.WriteEntries (the
// one addition of internal/badger besides its table writes): each key
// with its version appended, as y.KeyWithTs does, copied into an arena of
// blocks that the StreamWriter keeps once they are written. Handing it
// protobuf-encoded buffers instead (Write) allocated and copied every key
// and value twice more on the way in: a quarter of a million-row import's
// allocations.
type streamBatch struct {
	arena   []byte                           // the block being filled; what precedes len is handed out
	slab    []badger.Entry                   // likewise, the entries
	streams [streamAfter + 1][]*badger.Entry // by stream id
	size    int                              // bytes of keys and values since the last write
}

// alloc hands out n bytes of the arena, in a new block when the current one
// has no room (a block handed out is never written again).
func (b *streamBatch) alloc(n int) []byte {
	if cap(b.arena)-len(b.arena) < n {
		b.arena = make([]byte, 0, max(n, batchArena))
	}
	start := len(b.arena)
	b.arena = b.arena[:start+n]
	return b.arena[start : start+n : start+n]
}

// add notes key and value for stream. The key is copied; so is the value,
// unless owned says the caller hands it over (it never changes it again).
func (b *streamBatch) add(key, value []byte, stream uint32, owned bool) {
	k := b.alloc(len(key) + 8)
	copy(k, key)
	binary.BigEndian.PutUint64(k[len(key):], math.MaxUint64-bulkVersion)
	v := value
	if !owned && len(value) > 0 {
		v = b.alloc(len(value))
		copy(v, value)
	}
	if len(b.slab) == cap(b.slab) {
		b.slab = make([]badger.Entry, 0, 256)
	}
	b.slab = append(b.slab, badger.Entry{Key: k, Value: v})
	b.streams[stream] = append(b.streams[stream], &b.slab[len(b.slab)-1])
	b.size += len(k) + len(v)
}

// write hands what was added since the last write to sw, stream by stream.
func (b *streamBatch) write(sw *badger.StreamWriter) error {
	for stream, entries := range b.streams {
		if len(entries) == 0 {
			continue
		}
		if err := sw.WriteEntries(uint32(stream), entries); err != nil {
			return err
		}
		b.streams[stream] = nil
	}
	b.size = 0
	return nil
}
