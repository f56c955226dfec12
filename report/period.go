package report

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is a review period, the half-open interval [From, To) in UTC.
// Name identifies it in reports and frozen snapshots: 2026, 2026-07,
// 2026-Q3, or FROM/TO (ISO 8601 interval) for an arbitrary range.
type Period struct {
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Length is the period's duration, the window its KPIs are computed over.
func (p Period) Length() time.Duration { return p.To.Sub(p.From) }

// Started reports whether the period has begun at now: a review of a
// period that has not is refused.
func (p Period) Started(now time.Time) bool { return p.From.Before(now) }

// Ended reports whether the period is over at now; a review of one that
// has started but not ended is provisional.
func (p Period) Ended(now time.Time) bool { return !now.Before(p.To) }

// Previous is the period of the same length just before p, which its
// KPIs are compared with (as every window is with the one before it).
func (p Period) Previous() Period {
	from := p.From.Add(-p.Length())
	return Period{Name: rangeName(from, p.From), From: from, To: p.From}
}

var (
	yearRe    = regexp.MustCompile(`^(\d{4})$`)
	monthRe   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	quarterRe = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
)

// ParsePeriod reads a calendar period: a year (2026), a month (2026-07) or
// a quarter (2026-Q3), in UTC.
func ParsePeriod(s string) (Period, error) {
	return within(parsePeriod(s))
}

func parsePeriod(s string) (Period, error) {
	if m := yearRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		from := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return Period{Name: m[1], From: from, To: from.AddDate(1, 0, 0)}, nil
	}
	if m := monthRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, fmt.Errorf("period %q: month %d is not 01..12", s, mo)
		}
		from := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		return Period{Name: s, From: from, To: from.AddDate(0, 1, 0)}, nil
	}
	if m := quarterRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		q, _ := strconv.Atoi(m[2])
		from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
		return Period{Name: fmt.Sprintf("%d-Q%d", y, q), From: from, To: from.AddDate(0, 3, 0)}, nil
	}
	return Period{}, fmt.Errorf("period %q: want a year (2026), a month (2026-07) or a quarter (2026-Q3)", s)
}

// RangePeriod is the period [from, to); both are needed and from < to.
func RangePeriod(from, to time.Time) (Period, error) {
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) {
		return Period{}, fmt.Errorf("period: start %s is not before end %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return within(Period{Name: rangeName(from, to), From: from, To: to}, nil)
}

// within refuses a period that, with the one before it (which its KPIs
// are compared with), does not lie in the years 0001 to 9999: times outside
// them have no RFC 3339 form, so its review could not be written (a JSON
// review of 0001 would be cut short after its headers).
func within(p Period, err error) (Period, error) {
	if err != nil {
		return p, err
	}
	if p.Previous().From.Year() < 1 || p.To.Year() > 9999 {
		return Period{}, fmt.Errorf("period %q: it and the period before it, which it is compared with, must lie within the years 0001 to 9999", p.Name)
	}
	return p, nil
}

// ParseTime reads an RFC 3339 time or a date (2026-07-01, midnight UTC).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a date (2026-07-01)", s)
	}
	return t, nil
}

func rangeName(from, to time.Time) string { return bound(from) + "/" + bound(to) }

func bound(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// Buckets splits the period into equal consecutive parts for a trend line:
// weeks (about) for periods of four weeks or more, days for shorter ones,
// at least two and at most 60. It returns the end of each part and their
// common length; a trend point is the KPI over [end-length, end).
func (p Period) Buckets() ([]time.Time, time.Duration) {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	l := p.Length()
	step := day
	if l >= 4*week {
		step = week
	}
	n := int((l + step/2) / step)
	n = min(max(n, 2), 60)
	size := l / time.Duration(n)
	ends := make([]time.Time, n)
	for i := range ends {
		ends[i] = p.From.Add(time.Duration(i+1) * size)
	}
	ends[n-1] = p.To // no rounding drift at the end
	return ends, size
}
