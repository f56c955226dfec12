package exporter

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/steward-sh/steward/config"
	"github.com/steward-sh/steward/scorecard"
)

// OpenMetricsWriter writes snapshots at successive times as one OpenMetrics
// text file for `promtool tsdb create-blocks-from openmetrics`: timestamps
// in seconds, a final # EOF, and, as OpenMetrics requires, each family's
// samples together and each series' samples together, in time order (a
// summary's: each label set's quantiles, _sum and _count together, time
// after time).
//
// Snapshots arrive time after time but the file is series after series, so
// samples wait in one binary spill file per family (20 bytes a sample) and
// are regrouped by series when the writer is closed, reading at most
// maxBuffered samples into memory at once.
type OpenMetricsWriter struct {
	out         io.Writer
	dir         string
	maxBuffered int
	spills      map[*family]*spill
	lastMs      int64
	err         error
}

// DefaultMaxBuffered bounds the samples regrouped in memory at once (20
// bytes each: 400 MiB).
const DefaultMaxBuffered = 20 << 20

// spill holds one family's samples until Close: a summary's quantiles,
// _sum and _count alike.
type spill struct {
	f      *os.File
	w      *bufio.Writer
	index  map[string]uint32 // series text (name and labels) -> series number
	series []string          // series number -> series text
	counts []int             // samples per series
	n      int
	// A summary's series are in groups, one per label set without the
	// quantile, that OpenMetrics wants written together, time after time
	// (a MetricPoint is a time's quantiles, _sum and _count); a gauge's
	// series are groups of one.
	groups map[string]uint32 // group text -> group number
	group  []uint32          // series number -> group number
	rank   []uint8           // series number -> quantile 0, _sum 1, _count 2
}

const spillRecord = 4 + 8 + 8 // series, timestamp (ms), value

// NewOpenMetricsWriter writes to out, spilling into temporary files under
// dir ("" for the system's temporary directory). maxBuffered <= 0 means
// DefaultMaxBuffered.
func NewOpenMetricsWriter(out io.Writer, dir string, maxBuffered int) (*OpenMetricsWriter, error) {
	d, err := os.MkdirTemp(dir, "steward-backfill-")
	if err != nil {
		return nil, fmt.Errorf("openmetrics: %w", err)
	}
	if maxBuffered <= 0 {
		maxBuffered = DefaultMaxBuffered
	}
	return &OpenMetricsWriter{out: out, dir: d, maxBuffered: maxBuffered, spills: map[*family]*spill{}, lastMs: math.MinInt64}, nil
}

// Add queues every sample of s at s.At. Times must increase.
func (w *OpenMetricsWriter) Add(s *scorecard.Snapshot, cfg *config.Config) error {
	if w.err != nil {
		return w.err
	}
	ms := s.At.UnixMilli()
	if ms <= w.lastMs {
		w.err = fmt.Errorf("openmetrics: snapshot at %s is not after the previous one", s.At)
		return w.err
	}
	w.lastMs = ms
	var rec [spillRecord]byte
	var text []byte
	walk(s, cfg, func(f *family, labels []string, v float64) {
		if w.err != nil {
			return
		}
		sp, err := w.spill(f.root())
		if err != nil {
			w.err = err
			return
		}
		text = appendSeries(text[:0], f, labels)
		i, ok := sp.index[string(text)] // no allocation for a known series
		if !ok {
			i = uint32(len(sp.series))
			sp.index[string(text)] = i
			sp.series = append(sp.series, string(text))
			sp.counts = append(sp.counts, 0)
			sp.addGroup(f, labels)
		}
		sp.counts[i]++
		sp.n++
		binary.LittleEndian.PutUint32(rec[0:], i)
		binary.LittleEndian.PutUint64(rec[4:], uint64(ms))
		binary.LittleEndian.PutUint64(rec[12:], math.Float64bits(v))
		if _, err := sp.w.Write(rec[:]); err != nil {
			w.err = fmt.Errorf("openmetrics: spill: %w", err)
		}
	})
	return w.err
}

func (w *OpenMetricsWriter) spill(f *family) (*spill, error) {
	if sp := w.spills[f]; sp != nil {
		return sp, nil
	}
	file, err := os.CreateTemp(w.dir, f.name+"-*")
	if err != nil {
		return nil, fmt.Errorf("openmetrics: spill: %w", err)
	}
	sp := &spill{f: file, w: bufio.NewWriterSize(file, 1<<20), index: map[string]uint32{}}
	w.spills[f] = sp
	return sp, nil
}

// addGroup places a new series in its group.
func (sp *spill) addGroup(f *family, labels []string) {
	root := f.root()
	if root.parts == nil {
		sp.group = append(sp.group, uint32(len(sp.group)))
		sp.rank = append(sp.rank, 0)
		return
	}
	if sp.groups == nil {
		sp.groups = map[string]uint32{}
	}
	// the _sum family's labels are the group's: the quantile, last, is left out
	key := string(appendSeries(nil, root.parts[0], labels))
	g, ok := sp.groups[key]
	if !ok {
		g = uint32(len(sp.groups))
		sp.groups[key] = g
	}
	sp.group = append(sp.group, g)
	sp.rank = append(sp.rank, f.rank)
}

// Close writes the file: every family with samples, then # EOF. It removes
// the spill files whether or not it succeeds.
func (w *OpenMetricsWriter) Close() error {
	defer os.RemoveAll(w.dir)
	defer func() {
		for _, sp := range w.spills {
			sp.f.Close()
		}
	}()
	if w.err != nil {
		return w.err
	}
	out := bufio.NewWriterSize(w.out, 1<<20)
	for _, f := range families {
		sp := w.spills[f]
		if sp == nil {
			continue
		}
		_, _ = out.Write(appendHeader(nil, f)) // a bufio.Writer keeps its first error for Flush
		if err := sp.writeTo(out, w.maxBuffered); err != nil {
			return err
		}
	}
	_, _ = out.WriteString("# EOF\n")
	if err := out.Flush(); err != nil {
		return fmt.Errorf("openmetrics: %w", err)
	}
	return nil
}

// writeTo writes the family's samples group after group, each group's
// samples in time order (the order added), a time's samples in the order
// of their series' ranks. Groups are taken in ranges whose samples fit in
// maxBuffered; each range reads the spill file once.
func (sp *spill) writeTo(out *bufio.Writer, maxBuffered int) error {
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("openmetrics: spill: %w", err)
	}
	// the series in output order: by group, then rank, then first seen
	order := make([]int, len(sp.series))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		sa, sb := order[a], order[b]
		if sp.group[sa] != sp.group[sb] {
			return sp.group[sa] < sp.group[sb]
		}
		return sp.rank[sa] < sp.rank[sb]
	})
	slot := make([]int, len(sp.series)) // series -> its place in the range being written, or -1
	var line, ts []byte
	for lo := 0; lo < len(order); {
		hi, n := lo, 0
		for hi < len(order) {
			end, m := hi, 0 // the next group: order[hi:end], m samples
			for end < len(order) && sp.group[order[end]] == sp.group[order[hi]] {
				m += sp.counts[order[end]]
				end++
			}
			if hi > lo && n+m > maxBuffered {
				break
			}
			hi, n = end, n+m
		}
		recs, starts, err := sp.load(order[lo:hi], slot, n)
		if err != nil {
			return err
		}
		for g := lo; g < hi; {
			end := g + 1
			for end < hi && sp.group[order[end]] == sp.group[order[g]] {
				end++
			}
			// merge the group's series by time; ties keep the rank order
			next := append([]int(nil), starts[g-lo:end-lo]...)
			for {
				best := -1
				for j := g; j < end; j++ {
					if k := next[j-g]; k < starts[j-lo+1] && (best < 0 || recs[k].ms < recs[next[best-g]].ms) {
						best = j
					}
				}
				if best < 0 {
					break
				}
				r := recs[next[best-g]]
				next[best-g]++
				ts = strconv.AppendFloat(ts[:0], float64(r.ms)/1000, 'f', -1, 64)
				line = appendValue(append(line[:0], sp.series[order[best]]...), r.v, ts)
				_, _ = out.Write(line)
			}
			g = end
		}
		lo = hi
	}
	return nil
}

type point struct {
	ms int64
	v  float64
}

// load reads the samples of the series sel (n in all) from the spill file,
// placed by their order in sel (a counting sort, so each series keeps its
// time order). slot is scratch space, one entry per series, left all -1.
func (sp *spill) load(sel, slot []int, n int) ([]point, []int, error) {
	for i := range slot {
		slot[i] = -1
	}
	starts := make([]int, len(sel)+1)
	for j, s := range sel {
		slot[s] = j
		starts[j+1] = starts[j] + sp.counts[s]
	}
	next := append([]int(nil), starts[:len(sel)]...)
	recs := make([]point, n)
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("openmetrics: spill: %w", err)
	}
	r := bufio.NewReaderSize(sp.f, 1<<20)
	var rec [spillRecord]byte
	for {
		if _, err := io.ReadFull(r, rec[:]); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("openmetrics: spill: %w", err)
		}
		j := slot[binary.LittleEndian.Uint32(rec[0:])]
		if j < 0 {
			continue
		}
		recs[next[j]] = point{
			ms: int64(binary.LittleEndian.Uint64(rec[4:])),
			v:  math.Float64frombits(binary.LittleEndian.Uint64(rec[12:])),
		}
		next[j]++
	}
	return recs, starts, nil
}
