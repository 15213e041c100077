package routing_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/routing"
)

var allDays = []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}

// days returns one interval on each of the given days.
func days(names []string, sh, sm, eh, em int) []routing.HoursConfig {
	var out []routing.HoursConfig
	for _, d := range names {
		out = append(out, routing.HoursConfig{Day: d, StartTime: routing.TimeOfDay{Hours: sh, Minutes: sm}, EndTime: routing.TimeOfDay{Hours: eh, Minutes: em}})
	}
	return out
}

func hours(tz string, cfg []routing.HoursConfig, overrides ...routing.HoursOverride) routing.HoursOfOperation {
	return routing.HoursOfOperation{ID: "h", Name: "h", TimeZone: tz, Config: cfg, Overrides: overrides}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	weekdays9to5 = days(allDays[:5], 9, 0, 17, 0)
	allWeek      = days(allDays, 0, 0, 0, 0)
	// christmas closes 2026-12-25 (a Friday).
	christmas = routing.HoursOverride{ID: "x", Name: "Christmas", Type: routing.OverrideClosed, EffectiveFrom: "2026-12-25", EffectiveTill: "2026-12-25"}
	// eve opens only 10:00-12:00 on 2026-12-24 (a Thursday).
	eve = routing.HoursOverride{ID: "e", Name: "Eve", Type: routing.OverrideOpen, EffectiveFrom: "2026-12-24", EffectiveTill: "2026-12-24",
		Config: []routing.HoursOverrideConfig{{Day: "THURSDAY", StartTime: routing.TimeOfDay{Hours: 10}, EndTime: routing.TimeOfDay{Hours: 12}}}}
	// lateNights opens 22:00-02:00 on 2026-12-24 and 2026-12-25.
	lateNights = routing.HoursOverride{ID: "n", Name: "Late", Type: routing.OverrideOpen, EffectiveFrom: "2026-12-24", EffectiveTill: "2026-12-25",
		Config: []routing.HoursOverrideConfig{{StartTime: routing.TimeOfDay{Hours: 22}, EndTime: routing.TimeOfDay{Hours: 2}}}}
	saturdayClosed = routing.HoursOverride{ID: "s", Name: "Sat", Type: routing.OverrideClosed, EffectiveFrom: "2026-01-10", EffectiveTill: "2026-01-10"}
)

func TestOpenAt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    routing.HoursOfOperation
		at   string
		want bool
	}{
		{"24x7", hours("UTC", allWeek), "2026-01-03T12:00:00Z", true},
		{"24x7 at midnight", hours("UTC", allWeek), "2026-01-05T00:00:00Z", true},
		{"no intervals", hours("UTC", nil), "2026-01-05T12:00:00Z", false},
		{"weekday open in New York", hours("America/New_York", weekdays9to5), "2026-01-05T14:00:00Z", true}, // Mon 09:00 EST
		{"weekday before opening", hours("America/New_York", weekdays9to5), "2026-01-05T13:59:59Z", false},
		{"weekday at closing", hours("America/New_York", weekdays9to5), "2026-01-05T22:00:00Z", false}, // 17:00 EST
		{"open in the zone, not in UTC", hours("America/New_York", weekdays9to5), "2026-01-05T21:30:00Z", true},
		{"saturday", hours("America/New_York", weekdays9to5), "2026-01-10T15:00:00Z", false},
		{"summer time", hours("America/New_York", weekdays9to5), "2026-07-06T13:00:00Z", true}, // Mon 09:00 EDT
		{"summer time before opening", hours("America/New_York", weekdays9to5), "2026-07-06T12:59:00Z", false},

		// FRIDAY 22:00-02:00 in Berlin (CET, UTC+1) runs into Saturday.
		{"past midnight before start", hours("Europe/Berlin", days([]string{"FRIDAY"}, 22, 0, 2, 0)), "2026-01-09T20:59:00Z", false},
		{"past midnight at start", hours("Europe/Berlin", days([]string{"FRIDAY"}, 22, 0, 2, 0)), "2026-01-09T21:00:00Z", true},
		{"past midnight after midnight", hours("Europe/Berlin", days([]string{"FRIDAY"}, 22, 0, 2, 0)), "2026-01-10T00:30:00Z", true}, // Sat 01:30
		{"past midnight at end", hours("Europe/Berlin", days([]string{"FRIDAY"}, 22, 0, 2, 0)), "2026-01-10T01:00:00Z", false},
		{"equal start and end is 24 hours", hours("UTC", days([]string{"MONDAY"}, 9, 0, 9, 0)), "2026-01-06T08:59:00Z", true},
		{"equal start and end ends", hours("UTC", days([]string{"MONDAY"}, 9, 0, 9, 0)), "2026-01-06T09:00:00Z", false},

		// 2026-03-08: New York springs forward at 02:00; Sunday is 23 hours long.
		{"spring Sunday start", hours("America/New_York", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-03-08T05:00:00Z", true},
		{"spring Sunday last minute", hours("America/New_York", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-03-09T03:59:00Z", true},
		{"spring Sunday over", hours("America/New_York", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-03-09T04:00:00Z", false},
		{"spring 01:00-04:00 lasts two hours", hours("America/New_York", days([]string{"SUNDAY"}, 1, 0, 4, 0)), "2026-03-08T07:59:00Z", true},
		{"spring 01:00-04:00 ends at 04:00 EDT", hours("America/New_York", days([]string{"SUNDAY"}, 1, 0, 4, 0)), "2026-03-08T08:00:00Z", false},
		// 2026-10-25: Berlin falls back at 03:00; Sunday is 25 hours long.
		{"autumn Sunday start", hours("Europe/Berlin", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-10-24T22:00:00Z", true},
		{"autumn Sunday 25th hour", hours("Europe/Berlin", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-10-25T22:30:00Z", true},
		{"autumn Sunday over", hours("Europe/Berlin", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-10-25T23:00:00Z", false},

		{"closed override", hours("UTC", allWeek, christmas), "2026-12-25T12:00:00Z", false},
		{"closed override from midnight", hours("UTC", allWeek, christmas), "2026-12-25T00:00:00Z", false},
		{"before closed override", hours("UTC", allWeek, christmas), "2026-12-24T23:59:59Z", true},
		{"after closed override", hours("UTC", allWeek, christmas), "2026-12-26T00:00:00Z", true},
		{"closed override in the zone", hours("Asia/Tokyo", allWeek, christmas), "2026-12-24T15:00:00Z", false}, // Dec 25 00:00 JST
		{"closed override ends in the zone", hours("Asia/Tokyo", allWeek, christmas), "2026-12-25T15:00:00Z", true},
		{"closed override cuts the night before", hours("UTC", days([]string{"FRIDAY"}, 22, 0, 2, 0), saturdayClosed), "2026-01-10T01:00:00Z", false},
		{"night before closed override runs until midnight", hours("UTC", days([]string{"FRIDAY"}, 22, 0, 2, 0), saturdayClosed), "2026-01-09T23:00:00Z", true},
		{"open override replaces the day", hours("UTC", weekdays9to5, eve), "2026-12-24T09:30:00Z", false},
		{"open override interval", hours("UTC", weekdays9to5, eve), "2026-12-24T11:00:00Z", true},
		{"open override interval ends", hours("UTC", weekdays9to5, eve), "2026-12-24T12:00:00Z", false},
		{"day before open override", hours("UTC", weekdays9to5, eve), "2026-12-23T09:30:00Z", true},
		{"open override across midnight of its range", hours("UTC", nil, lateNights), "2026-12-25T01:00:00Z", true},
		{"open override past its range runs into a weekly day", hours("UTC", nil, lateNights), "2026-12-26T01:00:00Z", false},
		{"closed beats open", hours("UTC", allWeek, lateNights, christmas), "2026-12-25T23:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.h.OpenAt(at(tt.at))
			if err != nil {
				t.Fatalf("OpenAt(%s): %v", tt.at, err)
			}
			if got != tt.want {
				t.Fatalf("OpenAt(%s): got %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestOpenAtInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    routing.HoursOfOperation
	}{
		{"unknown zone", hours("Mars/Olympus", allWeek)},
		{"empty zone", hours("", allWeek)},
		{"server's zone", hours("Local", allWeek)},
		{"unknown day", hours("UTC", days([]string{"FUNDAY"}, 0, 0, 0, 0))},
		{"hour out of range", hours("UTC", days([]string{"MONDAY"}, -20, 0, 2, 0))},
		{"unknown override type", hours("UTC", allWeek, routing.HoursOverride{ID: "b", Type: "MAYBE", EffectiveFrom: "2026-01-01", EffectiveTill: "2026-01-02"})},
		{"bad override date", hours("UTC", allWeek, routing.HoursOverride{ID: "b", Type: routing.OverrideClosed, EffectiveFrom: "2026-13-01", EffectiveTill: "2026-13-02"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := tt.h.OpenAt(at("2026-01-05T12:00:00Z")); err == nil {
				t.Fatal("OpenAt: got no error, want one")
			}
			if next, ok := tt.h.NextChange(at("2026-01-05T12:00:00Z")); ok {
				t.Fatalf("NextChange: got %v, want none", next)
			}
		})
	}
}

func TestNextChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		h      routing.HoursOfOperation
		at     string
		want   string // "" for none
		wantOp bool   // open after the change
	}{
		{"closes today", hours("UTC", weekdays9to5), "2026-01-05T10:00:00Z", "2026-01-05T17:00:00Z", false},
		{"opens on Monday", hours("UTC", weekdays9to5), "2026-01-09T18:00:00Z", "2026-01-12T09:00:00Z", true},
		{"opens at an exact start", hours("UTC", weekdays9to5), "2026-01-05T08:59:59Z", "2026-01-05T09:00:00Z", true},
		{"in the zone", hours("America/New_York", weekdays9to5), "2026-01-05T10:00:00Z", "2026-01-05T14:00:00Z", true},
		{"always open", hours("UTC", allWeek), "2026-01-05T10:00:00Z", "", false},
		{"never open", hours("UTC", nil), "2026-01-05T10:00:00Z", "", false},
		{"adjacent days do not flip at midnight", hours("UTC", append(days([]string{"MONDAY"}, 0, 0, 0, 0), days([]string{"TUESDAY"}, 0, 0, 12, 0)...)),
			"2026-01-05T10:00:00Z", "2026-01-06T12:00:00Z", false},
		{"spring Sunday ends after 23 hours", hours("America/New_York", days([]string{"SUNDAY"}, 0, 0, 0, 0)), "2026-03-08T12:00:00Z", "2026-03-09T04:00:00Z", false},
		{"closed override", hours("UTC", allWeek, christmas), "2026-12-24T10:00:00Z", "2026-12-25T00:00:00Z", false},
		{"after closed override", hours("UTC", allWeek, christmas), "2026-12-25T10:00:00Z", "2026-12-26T00:00:00Z", true},
		{"weekly once, seven days on", hours("UTC", days([]string{"MONDAY"}, 9, 0, 10, 0)), "2026-01-05T10:00:00Z", "2026-01-12T09:00:00Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next, ok := tt.h.NextChange(at(tt.at))
			if tt.want == "" {
				if ok {
					t.Fatalf("NextChange(%s): got %v, want none", tt.at, next)
				}
				return
			}
			if !ok || !next.Equal(at(tt.want)) {
				t.Fatalf("NextChange(%s): got %v %v, want %s", tt.at, next, ok, tt.want)
			}
			if open, _ := tt.h.OpenAt(next); open != tt.wantOp {
				t.Fatalf("OpenAt(NextChange) = %v, want %v", open, tt.wantOp)
			}
		})
	}
}

// FuzzOpenAt checks that evaluating any schedule never panics, and that
// NextChange names an instant where OpenAt really flips.
func FuzzOpenAt(f *testing.F) {
	f.Add("UTC", "MONDAY", 9, 0, 17, 0, "2026-12-25", "2026-12-25", "CLOSED", "", int64(1767614400))
	f.Add("America/New_York", "SUNDAY", 0, 0, 0, 0, "2026-03-08", "2026-03-09", "OPEN", "SUNDAY", int64(1772971200))
	f.Add("Europe/Berlin", "FRIDAY", 22, 0, 2, 0, "2026-10-25", "2026-10-24", "OPEN", "", int64(-1))
	f.Add("Mars/Base", "FUNDAY", -5, 99, 1000, -1, "x", "", "", "X", int64(1<<62))
	f.Fuzz(func(t *testing.T, tz, day string, sh, sm, eh, em int, from, till, typ, oday string, unix int64) {
		h := routing.HoursOfOperation{ID: "h", TimeZone: tz,
			Config: []routing.HoursConfig{{Day: day, StartTime: routing.TimeOfDay{Hours: sh, Minutes: sm}, EndTime: routing.TimeOfDay{Hours: eh, Minutes: em}}},
			Overrides: []routing.HoursOverride{{ID: "o", Type: typ, EffectiveFrom: from, EffectiveTill: till,
				Config: []routing.HoursOverrideConfig{{Day: oday, StartTime: routing.TimeOfDay{Hours: eh, Minutes: em}, EndTime: routing.TimeOfDay{Hours: sh, Minutes: sm}}}}},
		}
		now := time.Unix(unix%(1<<40), 0) // about 35,000 years either side
		open, err := h.OpenAt(now)
		if err != nil {
			return
		}
		if next, ok := h.NextChange(now); ok {
			if !next.After(now) {
				t.Fatalf("NextChange(%v) = %v, not after", now, next)
			}
			if after, _ := h.OpenAt(next); after == open {
				t.Fatalf("NextChange(%v) = %v, but open stays %v", now, next, open)
			}
		}
	})
}

// BenchmarkOpenAt measures one evaluation, as a routing pass does per
// queue: weekday hours in a DST zone with an override.
func BenchmarkOpenAt(b *testing.B) {
	h := hours("America/New_York", weekdays9to5, christmas)
	t := at("2026-01-05T15:00:00Z")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.OpenAt(t); err != nil {
			b.Fatal(err)
		}
	}
}
