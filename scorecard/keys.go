package scorecard

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// symbols numbers the strings records repeat: system names, teams,
// environments, sources and enum values. The index stores the numbers, so
// its records hold no pointers and the collector never scans them.
type symbols struct {
	ids   map[string]sym
	names []string
}

// sym is a string's number in symbols.
type sym uint32

// The enum values have fixed numbers, so the passes compare with constants.
const (
	symEmpty sym = iota
	symOutage
	symDegraded
	symImpactNone
	symStandard
	symNormal
	symEmergency
	symSuccess
	symFailed
	symRolledBack
	symCancelled
	symInProgress
)

func newSymbols() symbols {
	s := symbols{ids: map[string]sym{}}
	for _, name := range [...]string{"", "outage", "degraded", "none", "standard", "normal", "emergency",
		"success", "failed", "rolled_back", "cancelled", "in_progress"} {
		s.id(name)
	}
	return s
}

// id numbers s, adding it the first time it is seen.
func (s *symbols) id(name string) sym {
	if i, ok := s.ids[name]; ok {
		return i
	}
	i := sym(len(s.names))
	s.ids[name] = i
	s.names = append(s.names, name)
	return i
}

func (s *symbols) name(i sym) string { return s.names[i] }

// keys numbers record keys (source, id) in the order they are first seen.
// The keys' bytes sit back to back in one arena, found through an
// open-addressing hash table of key numbers: about 30 bytes per key, where
// a map[record.Ref]int costs over 100 and holds two pointers per key for the
// collector to scan.
type keys struct {
	seed  maphash.Seed
	data  []byte   // each key: uvarint(source symbol), then the id
	ends  []uint32 // key k is data[ends[k-1]:ends[k]]
	table []uint32 // key number + 1, 0 for an empty slot; a power of 2 long
	buf   []byte
}

func newKeys() keys { return keys{seed: maphash.MakeSeed(), table: make([]uint32, 64)} }

func (ks *keys) len() int { return len(ks.ends) }

func (ks *keys) bytes(k int) []byte {
	start := uint32(0)
	if k > 0 {
		start = ks.ends[k-1]
	}
	return ks.data[start:ks.ends[k]]
}

// encode writes a key in its arena form into a scratch buffer.
func (ks *keys) encode(source sym, id string) []byte {
	ks.buf = binary.AppendUvarint(ks.buf[:0], uint64(source))
	ks.buf = append(ks.buf, id...)
	return ks.buf
}

// find returns the number of the key, or -1 if it was never added.
func (ks *keys) find(source sym, id string) int {
	k := ks.encode(source, id)
	_, n := ks.probe(k)
	return n
}

// add returns the number of the key, adding it if new (added reports that).
func (ks *keys) add(source sym, id string) (n int, added bool) {
	k := ks.encode(source, id)
	slot, n := ks.probe(k)
	if n >= 0 {
		return n, false
	}
	n = len(ks.ends)
	ks.data = append(ks.data, k...)
	ks.ends = append(ks.ends, uint32(len(ks.data)))
	ks.table[slot] = uint32(n + 1)
	if 4*len(ks.ends) > 3*len(ks.table) {
		ks.rehash(2 * len(ks.table))
	}
	return n, true
}

// probe finds k's slot: the slot holding it and its number, or the empty
// slot where it would go and -1.
func (ks *keys) probe(k []byte) (slot, n int) {
	mask := len(ks.table) - 1
	for i := int(maphash.Bytes(ks.seed, k)) & mask; ; i = (i + 1) & mask {
		e := ks.table[i]
		if e == 0 {
			return i, -1
		}
		if bytes.Equal(ks.bytes(int(e-1)), k) {
			return i, int(e - 1)
		}
	}
}

// reserve makes room for n more keys of about size bytes in all, so that
// a bulk load allocates the arena once and rehashes the table at most once.
func (ks *keys) reserve(n, size int) {
	ks.data = slices.Grow(ks.data, size)
	ks.ends = slices.Grow(ks.ends, n)
	if want := len(ks.ends) + n; 4*want > 3*len(ks.table) {
		size := len(ks.table)
		for 4*want > 3*size {
			size *= 2
		}
		ks.rehash(size)
	}
}

func (ks *keys) rehash(size int) {
	ks.table = make([]uint32, size)
	mask := size - 1
	for k := range ks.ends {
		i := int(maphash.Bytes(ks.seed, ks.bytes(k))) & mask
		for ks.table[i] != 0 {
			i = (i + 1) & mask
		}
		ks.table[i] = uint32(k + 1)
	}
}

// trim gives the arena and the offsets back their growth slack (see
// index.trim).
func (ks *keys) trim() { ks.data, ks.ends = fit(ks.data), fit(ks.ends) }

// key returns key k's source symbol and id.
func (ks *keys) key(k int) (sym, string) {
	b := ks.bytes(k)
	source, n := binary.Uvarint(b)
	return sym(source), string(b[n:])
}
