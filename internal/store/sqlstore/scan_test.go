package sqlstore

import (
	"testing"
	"time"
)

// TestTimeDest pins how a time column reads back on either backend:
// SQLite hands over RFC 3339 text (string or bytes), PostgreSQL a
// time.Time in the session's zone; both must come out as the same UTC
// time, and NULL is the zero time only where the column may be NULL.
func TestTimeDest(t *testing.T) {
	want := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name    string
		src     any
		null    bool
		want    time.Time
		wantErr bool
	}{
		{"sqlite text", "2026-11-26T09:30:00Z", false, want, false},
		{"sqlite bytes", []byte("2026-11-26T09:30:00Z"), false, want, false},
		{"sqlite text with an offset", "2026-11-26T10:30:00+01:00", false, want, false},
		{"timestamptz in another zone", want.In(paris), false, want, false},
		{"NULL in a nullable column", nil, true, time.Time{}, false},
		{"empty text in a nullable column", "", true, time.Time{}, false},
		{"NULL in a NOT NULL column", nil, false, time.Time{}, true},
		{"text that is no time", "yesterday", false, time.Time{}, true},
		{"empty text in a NOT NULL column", "", false, time.Time{}, true},
		{"a number", int64(1), true, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC) // overwritten unless an error
			dest := TimeOf(&got)
			if tt.null {
				dest = NullTimeOf(&got)
			}
			err := dest.Scan(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scan(%#v) error = %v, want error %v", tt.src, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("Scan(%#v) = %v (%v), want %v in UTC", tt.src, got, got.Location(), tt.want)
			}
		})
	}
}

// TestTimeText pins the text an events row's time is hashed as: SQLite's
// stored text to the letter (a tampered format must not verify), a
// timestamptz as UTC RFC 3339.
func TestTimeText(t *testing.T) {
	tests := []struct {
		src  any
		want string
	}{
		{"2026-11-26T09:30:00Z", "2026-11-26T09:30:00Z"},
		{"2026-11-26 09:30:00", "2026-11-26 09:30:00"},
		{[]byte("2026-11-26T09:30:00Z"), "2026-11-26T09:30:00Z"},
		{time.Date(2026, 11, 26, 10, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-11-26T09:30:00Z"},
	}
	for _, tt := range tests {
		var got string
		if err := (timeText{&got}).Scan(tt.src); err != nil {
			t.Fatalf("Scan(%#v): %v", tt.src, err)
		}
		if got != tt.want {
			t.Errorf("Scan(%#v) = %q, want %q", tt.src, got, tt.want)
		}
	}
	var got string
	if err := (timeText{&got}).Scan(nil); err == nil {
		t.Errorf("Scan(nil) = %q, want an error", got)
	}
}
