package schedule

import (
	"math/rand"
	"testing"
	"time"
)

func mustWindow(t *testing.T, days string, loc *time.Location, hours ...string) DeliveryWindow {
	t.Helper()
	d, err := ParseDays(days)
	if err != nil {
		t.Fatal(err)
	}
	w := DeliveryWindow{Days: d, Loc: loc}
	for _, h := range hours {
		r, err := ParseHours(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Hours = append(w.Hours, r)
	}
	return w
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDeliveryWindowNext(t *testing.T) {
	berlin, ny := mustZone(t, "Europe/Berlin"), mustZone(t, "America/New_York")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		w    DeliveryWindow
		at   string
		want string // UTC
		open bool
	}{
		{"inside", mustWindow(t, "Mon-Fri", berlin, "09:00-18:00"), "2027-03-24T10:00:00Z", "2027-03-24T10:00:00Z", true},
		{"friday evening waits over the weekend and the DST change", mustWindow(t, "Mon-Fri", berlin, "09:00-18:00"), "2027-03-26T18:00:00Z", "2027-03-29T07:00:00Z", false},
		{"end is excluded", mustWindow(t, "Mon-Fri", berlin, "09:00-18:00"), "2027-03-24T17:00:00Z", "2027-03-25T08:00:00Z", false},
		{"weekend only", mustWindow(t, "Sat,Sun", berlin), "2027-03-24T10:00:00Z", "2027-03-26T23:00:00Z", false},
		{"two ranges: the lunch break", mustWindow(t, "Mon-Fri", berlin, "09:00-12:00", "13:00-18:00"), "2027-03-24T11:30:00Z", "2027-03-24T12:00:00Z", false},
		{"across midnight: still open Saturday 05:00 from Friday", mustWindow(t, "Fri", berlin, "22:00-06:00"), "2027-03-27T04:00:00Z", "2027-03-27T04:00:00Z", true},
		{"across midnight: Saturday's own night is closed", mustWindow(t, "Fri", berlin, "22:00-06:00"), "2027-03-27T22:00:00Z", "2027-04-02T20:00:00Z", false},
		{"across midnight: opens at 22:00", mustWindow(t, "Mon-Fri", berlin, "22:00-06:00"), "2027-03-24T12:00:00Z", "2027-03-24T21:00:00Z", false},
		// Berlin springs forward on 2027-03-28 at 02:00 CET (01:00 UTC) to 03:00 CEST: 02:30 does not exist.
		{"spring forward: 02:30 opens when the clock jumps to 03:00", mustWindow(t, "Sun", berlin, "02:30-04:00"), "2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z", false},
		{"spring forward: a window inside the gap opens next week", mustWindow(t, "Sun", berlin, "02:10-02:20"), "2027-03-28T00:00:00Z", "2027-04-04T00:10:00Z", false},
		// Berlin falls back on 2027-10-31 at 03:00 CEST (01:00 UTC) to 02:00 CET: 02:30 happens twice.
		{"fall back: the first 02:30", mustWindow(t, "Sun", berlin, "02:30-02:40"), "2027-10-30T22:00:00Z", "2027-10-31T00:30:00Z", false},
		{"fall back: the second 02:30", mustWindow(t, "Sun", berlin, "02:30-02:40"), "2027-10-31T00:45:00Z", "2027-10-31T01:30:00Z", false},
		// New York springs forward on 2027-03-14 at 02:00 EST (07:00 UTC) and falls back on 2027-11-07 at 02:00 EDT (06:00 UTC).
		{"New York: 09:00 EDT after the change", mustWindow(t, "Mon-Fri", ny, "09:00-17:00"), "2027-03-12T23:00:00Z", "2027-03-15T13:00:00Z", false},
		{"New York: spring gap", mustWindow(t, "Sun", ny, "02:30-03:30"), "2027-03-14T05:00:00Z", "2027-03-14T07:00:00Z", false},
		{"New York: fall back, second 01:30", mustWindow(t, "Sun", ny, "01:30-01:45"), "2027-11-07T05:50:00Z", "2027-11-07T06:30:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := utc(tt.at)
			if got := tt.w.Open(at); got != tt.open {
				t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.open)
			}
			if got := tt.w.Next(at); !got.Equal(utc(tt.want)) {
				t.Errorf("Next(%s) = %s, want %s", tt.at, got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
}

// TestDeliveryWindowNextProperty: Next(t) is open, and no minute between t
// and Next(t) is, in DST zones, for windows of every shape.
func TestDeliveryWindowNextProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	zones := []*time.Location{mustZone(t, "Europe/Berlin"), mustZone(t, "America/New_York"), mustZone(t, "Australia/Lord_Howe"), time.UTC}
	base := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 400; i++ {
		var w DeliveryWindow
		w.Loc = zones[rng.Intn(len(zones))]
		for d := range w.Days {
			w.Days[d] = rng.Intn(3) == 0
		}
		w.Days[rng.Intn(7)] = true
		for n := rng.Intn(3); n > 0; n-- {
			from, to := rng.Intn(24*4)*15, rng.Intn(24*4+1)*15
			if from == to {
				continue
			}
			w.Hours = append(w.Hours, MinuteRange{from, to})
		}
		at := base.Add(time.Duration(rng.Int63n(int64(365 * 24 * time.Hour)))).Truncate(time.Minute)
		next := w.Next(at)
		if next.IsZero() || !w.Open(next) || next.Before(at) {
			t.Fatalf("window %+v: Next(%s) = %s, not an open moment at or after it", w, at, next)
		}
		for m := at; m.Before(next); m = m.Add(time.Minute) {
			if w.Open(m) {
				t.Fatalf("window %+v in %s: %s is open, before Next(%s) = %s", w.Hours, w.Loc, m, at, next)
			}
		}
	}
}

func TestParseWindowProblems(t *testing.T) {
	for _, tt := range []struct{ days, hours, want string }{
		{"Mon-Fry", "", `"Fry" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`},
		{"", "09:00-25:00", `"25:00" is not a time of day (HH:MM, 00:00 to 24:00)`},
		{"", "09:00-09:00", `"09:00-09:00" is an empty window`},
		{"", "9-18", `"9" is not a time of day (HH:MM, 00:00 to 24:00)`},
		{"", "0900", `"0900" is not a range of times (e.g. 09:00-18:00)`},
	} {
		var err error
		if _, err = ParseDays(tt.days); err == nil {
			_, err = ParseHours(tt.hours)
		}
		if err == nil || err.Error() != tt.want {
			t.Errorf("days %q hours %q: error %v, want %s", tt.days, tt.hours, err, tt.want)
		}
	}
}

func TestUrgentByDefault(t *testing.T) {
	deadline := time.Date(2027, 3, 27, 10, 0, 0, 0, time.UTC)
	no, yes := false, true
	for _, tt := range []struct {
		stage    Stage
		explicit *bool
		want     bool
	}{
		{Stage{Offset: Span{Days: 7}}, nil, false},
		{Stage{Offset: Span{Clock: 24 * time.Hour}}, nil, true},
		{Stage{Offset: Span{Clock: 2 * time.Hour}}, nil, true},
		{Stage{After: true}, nil, true},
		{Stage{After: true}, &no, false},
		{Stage{Offset: Span{Days: 7}}, &yes, true},
	} {
		if got := Urgent(tt.stage, tt.explicit, deadline, time.UTC); got != tt.want {
			t.Errorf("Urgent(%+v, %v) = %v, want %v", tt.stage, tt.explicit, got, tt.want)
		}
	}
}
