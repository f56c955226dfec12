package spool

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Whatever a segment holds, the reader never panics, and what it accepts is
// exactly a run of well-formed frames in sequence: encoding them again
// gives back the accepted prefix byte for byte.
func FuzzReadFrames(f *testing.F) {
	f.Add(appendFrame(appendFrame(nil, 1, []byte(`{"source":"github"}`)), 2, nil), uint64(1))
	f.Add(appendFrame(nil, 7, []byte("x"))[:10], uint64(7))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a'}, uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, first uint64) {
		frames, valid, err := readFrames(bytes.NewReader(data), first, 1<<20)
		require.NoError(t, err)
		require.LessOrEqual(t, valid, int64(len(data)))
		var again []byte
		for i, fr := range frames {
			require.Equal(t, first+uint64(i), fr.seq)
			require.Equal(t, int64(len(again)), fr.off)
			again = appendFrame(again, fr.seq, fr.data)
		}
		require.True(t, bytes.Equal(data[:valid], again), "accepted prefix %x, frames re-encoded %x", data[:valid], again)
	})
}

// Whatever bytes follow the entries a crashed daemon had appended, opening
// the spool keeps those entries, in order, and appending still works.
func FuzzOpenAfterCrash(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendFrame(nil, 3, []byte("half"))[:12])
	f.Add(appendFrame(nil, 3, []byte("whole")))
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		good := appendFrame(appendFrame(nil, 1, []byte("one")), 2, []byte("two"))
		require.NoError(t, os.WriteFile(filepath.Join(dir, segmentName(1)), append(good, tail...), 0o600))
		s, err := Open(Options{Dir: dir, MaxBytes: 1 << 20})
		require.NoError(t, err)
		defer s.Close()
		n, _ := s.Len()
		require.GreaterOrEqual(t, n, 2)
		got := drain(t, s)
		require.Equal(t, []string{"one", "two"}, got[:2])
		seq, err := s.Append([]byte("next"))
		require.NoError(t, err)
		require.Equal(t, uint64(n+1), seq)
	})
}
