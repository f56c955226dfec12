package spool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t *testing.T, o Options) *Spool {
	t.Helper()
	s, err := Open(o)
	require.NoError(t, err)
	return s
}

// drain removes every entry, returning their payloads in order.
func drain(t *testing.T, s *Spool) []string {
	t.Helper()
	var out []string
	for {
		seq, data, ok, err := s.First()
		require.NoError(t, err)
		if !ok {
			return out
		}
		out = append(out, string(data))
		require.NoError(t, s.Remove(seq))
	}
}

func appendAll(t *testing.T, s *Spool, payloads ...string) {
	t.Helper()
	for _, p := range payloads {
		_, err := s.Append([]byte(p))
		require.NoError(t, err)
	}
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	require.NoError(t, err)
	return m
}

func TestOrderAndRestart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, SegmentBytes: 64})
	id := s.ID()
	appendAll(t, s, "a", "b", "c", "d", "e")
	seq, data, ok, err := s.First()
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint64(1), seq)
	assert.Equal(t, "a", string(data))
	require.Error(t, s.Remove(2), "only the oldest entry can be removed")
	require.NoError(t, s.Remove(1))
	require.NoError(t, s.Close())

	s = open(t, Options{Dir: dir, SegmentBytes: 64})
	assert.Equal(t, id, s.ID(), "the identity survives a restart")
	n, size := s.Len()
	assert.Equal(t, 4, n)
	assert.Equal(t, int64(4*(frameHeader+1)), size)
	seq, _, _, err = s.First()
	require.NoError(t, err)
	assert.Equal(t, uint64(2), seq)
	appendAll(t, s, "f")
	assert.Equal(t, []string{"b", "c", "d", "e", "f"}, drain(t, s))
	assert.Empty(t, segmentFiles(t, dir), "an empty spool gives its files back")
	require.NoError(t, s.Close())

	// Numbering goes on after the spool was empty.
	s = open(t, Options{Dir: dir})
	defer s.Close()
	seq, err = s.Append([]byte("g"))
	require.NoError(t, err)
	assert.Equal(t, uint64(7), seq)
}

func TestSegmentsAreDeletedOnceDrained(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, SegmentBytes: 2 * (frameHeader + 10)})
	defer s.Close()
	for i := range 6 {
		appendAll(t, s, fmt.Sprintf("entry-%04d", i))
	}
	require.Len(t, segmentFiles(t, dir), 3)
	for range 2 {
		seq, _, _, err := s.First()
		require.NoError(t, err)
		require.NoError(t, s.Remove(seq))
	}
	assert.Len(t, segmentFiles(t, dir), 2, "the first segment is gone once its entries are")
}

func TestBounds(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		fits int
	}{
		{"entries", Options{MaxEntries: 3}, 3},
		{"bytes", Options{MaxBytes: 3*(frameHeader+5) + 4}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Dir = t.TempDir()
			s := open(t, tt.o)
			defer s.Close()
			for range tt.fits {
				appendAll(t, s, "12345")
			}
			_, err := s.Append([]byte("12345"))
			require.ErrorIs(t, err, ErrFull)
			n, _ := s.Len()
			assert.Equal(t, tt.fits, n, "a refused entry is not kept")
			seq, _, _, err := s.First()
			require.NoError(t, err)
			require.NoError(t, s.Remove(seq))
			appendAll(t, s, "12345")
		})
	}
}

// A crash in the middle of an append leaves a torn last frame: it is cut
// off, and what was appended before is intact.
func TestTornLastEntry(t *testing.T) {
	good := appendFrame(appendFrame(nil, 1, []byte("first")), 2, []byte("second"))
	third := appendFrame(nil, 3, []byte("third entry"))
	flipped := bytes.Clone(third)
	flipped[len(flipped)-1] ^= 0xff
	tests := map[string][]byte{
		"header cut short":  third[:5],
		"payload cut short": third[:frameHeader+3],
		"checksum mismatch": flipped,
		"zeroes":            make([]byte, 40),
		"wrong sequence":    appendFrame(nil, 9, []byte("third entry")),
	}
	for name, tail := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			seg := filepath.Join(dir, segmentName(1))
			require.NoError(t, os.WriteFile(seg, append(bytes.Clone(good), tail...), 0o600))
			s := open(t, Options{Dir: dir})
			defer s.Close()
			assert.Equal(t, Recovery{TornBytes: int64(len(tail))}, s.Recovered())
			info, err := os.Stat(seg)
			require.NoError(t, err)
			assert.Equal(t, int64(len(good)), info.Size(), "the torn bytes are cut off")
			seq, err := s.Append([]byte("third"))
			require.NoError(t, err)
			assert.Equal(t, uint64(3), seq)
			assert.Equal(t, []string{"first", "second", "third"}, drain(t, s))
		})
	}
}

// Corruption inside an older segment cannot come from a crash; it is
// reported, and the other segments' entries are kept.
func TestCorruptOlderSegment(t *testing.T) {
	dir := t.TempDir()
	one := appendFrame(appendFrame(nil, 1, []byte("a")), 2, []byte("b"))
	one[len(one)-1] ^= 0xff
	require.NoError(t, os.WriteFile(filepath.Join(dir, segmentName(1)), one, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, segmentName(3)), appendFrame(nil, 3, []byte("c")), 0o600))
	s := open(t, Options{Dir: dir})
	defer s.Close()
	assert.Equal(t, Recovery{Corrupt: frameHeader + 1, Lost: 1}, s.Recovered())
	assert.Equal(t, []string{"a", "c"}, drain(t, s))
}

func TestOneProcessAtATime(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	_, err := Open(Options{Dir: dir})
	require.ErrorContains(t, err, "in use")
	require.NoError(t, s.Close())
	s = open(t, Options{Dir: dir})
	require.NoError(t, s.Close())
}
