// Package spool is a durable, bounded, first-in first-out queue of opaque
// entries in a local directory: Steward keeps there the webhook deliveries
// it acknowledged while its store was unavailable, until they are stored.
//
// Entries are appended to segment files, each entry framed with its length,
// a CRC-32C checksum and a sequence number, and both the file and (when a
// file is created) its directory are fsynced before Append returns, so an
// appended entry survives a crash of the process or of the machine. A torn
// last entry (a crash in the middle of a write) fails its checksum and is
// cut off when the spool is opened again. Entries leave the queue in order,
// only when the consumer removes the oldest one; what was removed is
// recorded in a small file replaced atomically.
//
// The package knows nothing of what the entries hold, and must not: no
// webhooks, records or stores. It is safe for concurrent use by one
// process; a lock file keeps a second process out of the directory.
package spool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ErrFull is returned by Append when the entry would take the spool past
// one of its bounds.
var ErrFull = errors.New("spool: full")

// Options configure a spool. Dir is required; a zero bound is no bound.
type Options struct {
	Dir        string
	MaxBytes   int64 // bound on the entries' framed size on disk
	MaxEntries int
	// SegmentBytes is the size past which appends start a new segment
	// file, so that removed entries' space is given back; default 4 MiB.
	SegmentBytes int64
}

// DefaultSegmentBytes is Options.SegmentBytes unless set.
const DefaultSegmentBytes = 4 << 20

// Recovery says what Open found wrong in the directory: a torn last entry
// (expected after a crash) or corrupted segments (not expected: the disk
// or someone else changed them).
type Recovery struct {
	TornBytes int64  // bytes cut off the end of the last segment
	Corrupt   int64  // bytes of other segments that failed their checksums
	Lost      uint64 // entries known to be lost with the corrupt bytes
}

// Spool is an open spool directory.
type Spool struct {
	o    Options
	lock io.Closer
	id   string

	mu      sync.Mutex
	entries []loc // live entries, oldest first
	bytes   int64 // framed size of the live entries
	next    uint64
	active  *os.File // segment appended to; nil until the next Append
	actName string
	actSize int64
	rec     Recovery
}

// loc is where a live entry is.
type loc struct {
	seq     uint64
	segment string // file name in the directory
	off     int64  // of the frame
	size    int64  // of the frame
}

const (
	segmentExt = ".seg"
	headFile   = "head"
	idFile     = "id"
	lockFile   = "lock"
)

// Open opens the spool in o.Dir, creating the directory if needed, and
// reads what it holds: entries appended and not yet removed, in order.
func Open(o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: no directory")
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(filepath.Join(o.Dir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("spool: %s: %w", o.Dir, err)
	}
	s := &Spool{o: o, lock: lock}
	if err := s.load(); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("spool: %s: %w", o.Dir, err)
	}
	return s, nil
}

// load reads the identity, the head and the segments.
func (s *Spool) load() error {
	id, err := s.identity()
	if err != nil {
		return err
	}
	s.id = id
	head, err := s.readHead()
	if err != nil {
		return err
	}
	names, err := s.segments()
	if err != nil {
		return err
	}
	s.next = head
	for i, name := range names {
		first, _ := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 10, 64)
		last := i == len(names)-1
		if err := s.loadSegment(name, first, head, last); err != nil {
			return err
		}
	}
	return nil
}

// loadSegment indexes a segment's live entries. A bad frame ends the
// segment: in the last one it is a torn write, cut off; elsewhere it is
// corruption, skipped and reported.
func (s *Spool) loadSegment(name string, first, head uint64, last bool) error {
	path := filepath.Join(s.o.Dir, name)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	frames, valid, err := readFrames(f, first, s.maxPayload())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if first > s.next && len(s.entries) > 0 {
		s.rec.Lost += first - s.next
	}
	live := false
	for _, fr := range frames {
		if fr.seq < head {
			continue
		}
		live = true
		s.entries = append(s.entries, loc{seq: fr.seq, segment: name, off: fr.off, size: fr.size})
		s.bytes += fr.size
	}
	if len(frames) > 0 {
		s.next = max(s.next, frames[len(frames)-1].seq+1)
	}
	if bad := info.Size() - valid; bad > 0 {
		if !last {
			s.rec.Corrupt += bad
		} else {
			s.rec.TornBytes += bad
			if err := truncate(path, valid); err != nil {
				return err
			}
		}
	}
	if !live {
		// Every entry was removed before a crash kept the file from
		// being deleted: delete it now.
		return os.Remove(path)
	}
	return nil
}

func truncate(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// segments lists the segment files, oldest first.
func (s *Spool) segments() ([]string, error) {
	des, err := os.ReadDir(s.o.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, de := range des {
		n := de.Name()
		if !strings.HasSuffix(n, segmentExt) {
			continue
		}
		if _, err := strconv.ParseUint(strings.TrimSuffix(n, segmentExt), 10, 64); err != nil {
			return nil, fmt.Errorf("unexpected file %s", n)
		}
		names = append(names, n)
	}
	// Names are zero-padded, so they sort by first sequence number.
	slices.Sort(names)
	return names, nil
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d%s", first, segmentExt) }

// identity returns the spool's id, making one on first use: consumers name
// their progress after it, so a new directory never inherits the progress
// recorded for a removed one.
func (s *Spool) identity() (string, error) {
	b, err := os.ReadFile(filepath.Join(s.o.Dir, idFile))
	if err == nil {
		id := strings.TrimSpace(string(b))
		if id == "" {
			return "", errors.New("empty id file")
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 8)
	_, _ = rand.Read(raw)
	id := hex.EncodeToString(raw)
	return id, s.replace(idFile, []byte(id+"\n"))
}

// readHead returns the sequence number of the oldest entry not removed.
func (s *Spool) readHead() (uint64, error) {
	b, err := os.ReadFile(filepath.Join(s.o.Dir, headFile))
	if errors.Is(err, os.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, err
	}
	head, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || head == 0 {
		return 0, fmt.Errorf("bad head file %q", b)
	}
	return head, nil
}

// replace writes a small file atomically and durably: a temporary file,
// fsynced, renamed over the old one, and the directory fsynced.
func (s *Spool) replace(name string, data []byte) error {
	tmp := filepath.Join(s.o.Dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.o.Dir, name))
	}
	if err == nil {
		err = syncDir(s.o.Dir)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// maxPayload bounds an entry's length when reading, so that a corrupt
// length cannot make the reader allocate at will.
func (s *Spool) maxPayload() int64 {
	if s.o.MaxBytes > 0 {
		return s.o.MaxBytes
	}
	return maxFramePayload
}

// ID identifies the spool directory for as long as it exists.
func (s *Spool) ID() string { return s.id }

// Recovered says what Open found wrong in the directory.
func (s *Spool) Recovered() Recovery { return s.rec }

// Len returns the number of entries and their framed size in bytes.
func (s *Spool) Len() (entries int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries), s.bytes
}

// Append adds an entry at the end of the queue and returns its sequence
// number once it is durable. It returns an error wrapping ErrFull when a
// bound would be exceeded; then nothing was written.
func (s *Spool) Append(data []byte) (uint64, error) {
	size := int64(frameHeader + len(data))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.o.MaxEntries > 0 && len(s.entries)+1 > s.o.MaxEntries {
		return 0, fmt.Errorf("%w: %d entries (max %d)", ErrFull, len(s.entries), s.o.MaxEntries)
	}
	if s.o.MaxBytes > 0 && s.bytes+size > s.o.MaxBytes {
		return 0, fmt.Errorf("%w: %d bytes held, %d more do not fit in %d", ErrFull, s.bytes, size, s.o.MaxBytes)
	}
	if s.active == nil || s.actSize >= s.o.SegmentBytes {
		if err := s.roll(); err != nil {
			return 0, fmt.Errorf("spool: append: %w", err)
		}
	}
	seq := s.next
	if _, err := s.active.Write(appendFrame(nil, seq, data)); err != nil {
		s.abandon()
		return 0, fmt.Errorf("spool: append: %w", err)
	}
	if err := s.active.Sync(); err != nil {
		s.abandon()
		return 0, fmt.Errorf("spool: append: %w", err)
	}
	s.entries = append(s.entries, loc{seq: seq, segment: s.actName, off: s.actSize, size: size})
	s.actSize += size
	s.bytes += size
	s.next++
	return seq, nil
}

// roll starts a new segment named after the next sequence number.
func (s *Spool) roll() error {
	if s.active != nil {
		if err := s.active.Close(); err != nil {
			return err
		}
		s.active = nil
	}
	name := segmentName(s.next)
	f, err := os.OpenFile(filepath.Join(s.o.Dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// The new name must survive a crash too, not only the bytes.
	if err := syncDir(s.o.Dir); err != nil {
		f.Close()
		return err
	}
	s.active, s.actName, s.actSize = f, name, 0
	return nil
}

// abandon stops appending to a segment whose last write failed. The torn
// bytes are cut off when possible; otherwise they stay behind the last
// good frame, where a reader stops, and the next append starts a new
// segment, so no later entry is ever written behind them.
func (s *Spool) abandon() {
	if err := s.active.Truncate(s.actSize); err == nil && s.active.Sync() == nil {
		return
	}
	_ = s.active.Close()
	s.active = nil
}

// First returns the oldest entry; ok is false when the spool is empty.
func (s *Spool) First() (seq uint64, data []byte, ok bool, err error) {
	s.mu.Lock()
	if len(s.entries) == 0 {
		s.mu.Unlock()
		return 0, nil, false, nil
	}
	e := s.entries[0]
	s.mu.Unlock()
	// Only Remove takes entries away, and its caller is the one reading.
	f, err := os.Open(filepath.Join(s.o.Dir, e.segment))
	if err != nil {
		return 0, nil, false, fmt.Errorf("spool: read entry %d: %w", e.seq, err)
	}
	defer f.Close()
	frames, _, err := readFrames(io.NewSectionReader(f, e.off, e.size), e.seq, s.maxPayload())
	if err != nil || len(frames) != 1 {
		return 0, nil, false, fmt.Errorf("spool: read entry %d: %s changed on disk", e.seq, e.segment)
	}
	return e.seq, frames[0].data, true, nil
}

// Remove takes the oldest entry, which must be seq, off the queue, durably.
func (s *Spool) Remove(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 || s.entries[0].seq != seq {
		return fmt.Errorf("spool: remove %d: not the oldest entry", seq)
	}
	if err := s.replace(headFile, []byte(strconv.FormatUint(seq+1, 10)+"\n")); err != nil {
		return fmt.Errorf("spool: remove %d: %w", seq, err)
	}
	e := s.entries[0]
	s.entries = s.entries[1:] // append reallocates past the dropped ones
	s.bytes -= e.size
	switch {
	case len(s.entries) == 0:
		s.entries = nil
		// Empty: give every byte back. The head file keeps the numbering
		// going.
		if s.active != nil {
			_ = s.active.Close()
			s.active = nil
		}
		names, err := s.segments()
		if err != nil {
			return nil // removed; the files go at the next Open
		}
		for _, n := range names {
			_ = os.Remove(filepath.Join(s.o.Dir, n))
		}
	case s.entries[0].segment != e.segment && e.segment != s.actName:
		// A crash before the deletion is harmless: Open deletes segments
		// without live entries.
		_ = os.Remove(filepath.Join(s.o.Dir, e.segment))
	}
	return nil
}

// Close closes the spool; entries stay on disk for the next Open.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.active != nil {
		err = s.active.Close()
		s.active = nil
	}
	return errors.Join(err, s.lock.Close())
}
