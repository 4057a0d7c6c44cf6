package u64map

import (
	"math/rand/v2"
	"testing"
)

// The map agrees with a Go map over random keys, key 0 and repeated puts
// included, across many growths.
func TestMapAgreesWithGoMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var m Map[int32]
	want := map[uint64]int32{}
	for i := range 200_000 {
		k := rng.Uint64()
		switch i % 10 {
		case 0:
			k = uint64(rng.IntN(1000)) // small keys, 0 among them, collide often
		case 1:
			for k2 := range want { // overwrite an existing key
				k = k2
				break
			}
		}
		v := int32(i)
		m.Put(k, v)
		want[k] = v
	}
	if m.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", m.Len(), len(want))
	}
	for k, v := range want {
		if got, ok := m.Get(k); !ok || got != v {
			t.Fatalf("Get(%d) = %d, %v; want %d", k, got, ok, v)
		}
	}
	for range 100_000 {
		k := rng.Uint64()
		if _, in := want[k]; !in && m.Has(k) {
			t.Fatalf("Has(%d) for a key never put", k)
		}
	}
	var empty Map[struct{}]
	if empty.Has(0) || empty.Has(7) || empty.Len() != 0 {
		t.Fatal("the zero Map is not empty")
	}
}
