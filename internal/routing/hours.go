package routing

import (
	"fmt"
	"slices"
	"sync"
	"time"
	// Hours of operation name IANA time zones; embedding the database
	// keeps them working on hosts and containers without one.
	_ "time/tzdata"
)

// Override types.
const (
	OverrideOpen   = "OPEN"
	OverrideClosed = "CLOSED"
)

// dateLayout is how override dates are written (EffectiveFrom, EffectiveTill).
const dateLayout = "2006-01-02"

// lookahead is how far NextChange looks for the next opening or closing.
const lookahead = 8 * 24 * time.Hour

// weekdays maps Connect's day names to Go's.
var weekdays = map[string]time.Weekday{
	"SUNDAY": time.Sunday, "MONDAY": time.Monday, "TUESDAY": time.Tuesday, "WEDNESDAY": time.Wednesday,
	"THURSDAY": time.Thursday, "FRIDAY": time.Friday, "SATURDAY": time.Saturday,
}

// zones caches loaded time zones: every routing pass evaluates the hours
// of every queue, and loading a zone parses its whole rule set.
var zones sync.Map // name -> *time.Location

// loadZone returns the named IANA time zone. "" and "Local" are refused:
// a schedule must not depend on the server's own zone.
func loadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA time zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	zones.Store(name, loc)
	return loc, nil
}

// span is one open interval, [start, end).
type span struct{ start, end time.Time }

// dayRule is what governs one calendar day: the weekly schedule, or an
// override, which owns the whole day.
type dayRule struct {
	// key tells rules apart: an interval runs past midnight only into a
	// day governed by the same rule.
	key   string
	slots []slot
}

// slot is an interval in wall-clock minutes from the day's midnight; an
// end at or before the start is on the next day.
type slot struct{ start, end int }

// schedule is an HoursOfOperation prepared for evaluation.
type schedule struct {
	loc       *time.Location
	weekly    [7][]slot
	overrides []override
}

type override struct {
	key      string
	closed   bool
	from, to time.Time // calendar dates as UTC midnights, inclusive
	weekly   [7][]slot
}

func minutes(t TimeOfDay) int { return t.Hours*60 + t.Minutes }

// newSlot checks an interval's times of day.
func newSlot(start, end TimeOfDay) (slot, error) {
	for _, t := range [2]TimeOfDay{start, end} {
		if t.Hours < 0 || t.Hours > 23 || t.Minutes < 0 || t.Minutes > 59 {
			return slot{}, fmt.Errorf("time of day %02d:%02d out of range", t.Hours, t.Minutes)
		}
	}
	return slot{minutes(start), minutes(end)}, nil
}

// prepare checks and compiles the schedule.
func (h HoursOfOperation) prepare() (*schedule, error) {
	loc, err := loadZone(h.TimeZone)
	if err != nil {
		return nil, err
	}
	sc := &schedule{loc: loc}
	for _, c := range h.Config {
		d, ok := weekdays[c.Day]
		if !ok {
			return nil, fmt.Errorf("hours of operation %s: unknown day %q", h.ID, c.Day)
		}
		sl, err := newSlot(c.StartTime, c.EndTime)
		if err != nil {
			return nil, fmt.Errorf("hours of operation %s: %w", h.ID, err)
		}
		sc.weekly[d] = append(sc.weekly[d], sl)
	}
	for _, o := range h.Overrides {
		from, err1 := time.Parse(dateLayout, o.EffectiveFrom)
		to, err2 := time.Parse(dateLayout, o.EffectiveTill)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("hours of operation %s: override %s has invalid dates %q..%q", h.ID, o.ID, o.EffectiveFrom, o.EffectiveTill)
		}
		if o.Type != OverrideOpen && o.Type != OverrideClosed {
			return nil, fmt.Errorf("hours of operation %s: override %s has type %q", h.ID, o.ID, o.Type)
		}
		ov := override{key: "override:" + o.ID, closed: o.Type == OverrideClosed, from: from, to: to}
		for _, c := range o.Config {
			sl, err := newSlot(c.StartTime, c.EndTime)
			if err != nil {
				return nil, fmt.Errorf("hours of operation %s: override %s: %w", h.ID, o.ID, err)
			}
			if c.Day == "" { // an interval without a day applies to every day of the range
				for d := range ov.weekly {
					ov.weekly[d] = append(ov.weekly[d], sl)
				}
				continue
			}
			d, ok := weekdays[c.Day]
			if !ok {
				return nil, fmt.Errorf("hours of operation %s: override %s: unknown day %q", h.ID, o.ID, c.Day)
			}
			ov.weekly[d] = append(ov.weekly[d], sl)
		}
		sc.overrides = append(sc.overrides, ov)
	}
	return sc, nil
}

// rule returns what governs the calendar day d (a UTC midnight): a CLOSED
// override first, then an OPEN one (the earlier created wins), then the
// weekly schedule.
func (sc *schedule) rule(d time.Time) dayRule {
	var open *override
	for i := range sc.overrides {
		o := &sc.overrides[i]
		if d.Before(o.from) || d.After(o.to) {
			continue
		}
		if o.closed {
			return dayRule{key: o.key}
		}
		if open == nil {
			open = o
		}
	}
	if open != nil {
		return dayRule{key: open.key, slots: open.weekly[d.Weekday()]}
	}
	return dayRule{key: "weekly", slots: sc.weekly[d.Weekday()]}
}

// at returns the instant of a wall-clock time on calendar day d in the
// schedule's zone. In a DST gap Go's normalisation moves it by the gap.
func (sc *schedule) at(d time.Time, mins int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, mins, 0, 0, sc.loc)
}

// spans returns the open intervals of calendar days first..last. An
// interval ending at or before its start runs into the next day, but
// only while that day has the same rule: a day with an override belongs
// to the override alone, from midnight to midnight.
func (sc *schedule) spans(first, last time.Time) []span {
	var out []span
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		r := sc.rule(d)
		next := d.AddDate(0, 0, 1)
		var nextKey string
		nextKnown := false
		for _, s := range r.slots {
			start := sc.at(d, s.start)
			var end time.Time
			if s.end > s.start {
				end = sc.at(d, s.end)
			} else {
				if !nextKnown {
					nextKey, nextKnown = sc.rule(next).key, true
				}
				if nextKey == r.key {
					end = sc.at(next, s.end)
				} else {
					end = sc.at(next, 0)
				}
			}
			if end.After(start) {
				out = append(out, span{start, end})
			}
		}
	}
	return out
}

// localDay returns t's calendar day in the schedule's zone, as a UTC midnight.
func (sc *schedule) localDay(t time.Time) time.Time {
	y, m, d := t.In(sc.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func openIn(spans []span, t time.Time) bool {
	for _, s := range spans {
		if !t.Before(s.start) && t.Before(s.end) {
			return true
		}
	}
	return false
}

// OpenAt reports whether the hours are open at t. Intervals are in the
// schedule's time zone; one whose end is at or before its start runs
// past midnight (00:00–00:00 is the whole day, 23 or 25 hours on a DST
// change). A CLOSED override closes the whole of every day in its range;
// an OPEN override replaces those days' intervals with its own. The
// error reports a schedule that cannot be evaluated (an unknown zone).
func (h HoursOfOperation) OpenAt(t time.Time) (bool, error) {
	sc, err := h.prepare()
	if err != nil {
		return false, err
	}
	day := sc.localDay(t)
	// An interval of the day before may still run.
	return openIn(sc.spans(day.AddDate(0, 0, -1), day), t), nil
}

// NextChange returns the first instant after t, at most eight days on,
// at which the hours open or close, for scheduling a re-check; ok is
// false when nothing changes in that time (always open, always closed)
// or the schedule cannot be evaluated.
func (h HoursOfOperation) NextChange(t time.Time) (next time.Time, ok bool) {
	sc, err := h.prepare()
	if err != nil {
		return time.Time{}, false
	}
	day := sc.localDay(t)
	// Eight days of 23 hours end no later than the tenth calendar day.
	spans := sc.spans(day.AddDate(0, 0, -1), day.AddDate(0, 0, 9))
	limit := t.Add(lookahead)
	var edges []time.Time
	for _, s := range spans {
		for _, e := range [2]time.Time{s.start, s.end} {
			if e.After(t) && !e.After(limit) {
				edges = append(edges, e)
			}
		}
	}
	slices.SortFunc(edges, func(a, b time.Time) int { return a.Compare(b) })
	was := openIn(spans, t)
	for _, e := range edges {
		if openIn(spans, e) != was {
			return e, true
		}
	}
	return time.Time{}, false
}
