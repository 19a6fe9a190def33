package chain

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// vector is the row docs/auditors.md publishes; its encoding and hashes
// were computed with its Python, not with this package.
var vector = Row{ID: 1, Time: "2026-06-01T09:00:00Z", Type: "ack", CredentialID: "sp-api-prod", RotationID: 7, NullDelivery: true,
	Status: "cli", Actor: "alice", Detail: "acknowledged via cli"}

// vector2 is vector recorded at 2026-06-06T10:00:00Z: version 2 of the
// encoding, which docs/auditors.md publishes too (computed with its Python).
var vector2 = func() Row { r := vector; r.RecordedAt = "2026-06-06T10:00:00Z"; return r }()

const (
	vector2Canonical = "0100000000000000010200000014323032362d30362d30315430393a30303a30305a020000000361636b020000000b73702d6170692d70726f64" +
		"01000000000000000700020000000002000000000200000003636c690200000005616c696365020000001461636b6e6f776c65646765642076696120636c69" +
		"0200000014323032362d30362d30365431303a30303a30305a"
	vector2SHA  = "a4e1e04504139374ab6e88e547b2976cf29751c05dc82e683d2d8b950e4d6f52"
	vector2HMAC = "c220b2e890dce863452e4f4f3e9cf51409015ee8c461f9907f2c8caf4f7777c5" // key: 32 times "k"
)

const (
	vectorCanonical = "0100000000000000010200000014323032362d30362d30315430393a30303a30305a020000000361636b020000000b73702d6170692d70726f64" +
		"01000000000000000700020000000002000000000200000003636c690200000005616c696365020000001461636b6e6f776c65646765642076696120636c69"
	vectorSHA  = "b27aaa4aababaef6782b63a827b4fb2632ba3af34fd6aecee14ad5877775f45a"
	vectorHMAC = "5016038d26f50e50ace5aafee64325e548e9e9d9bc581177a0e5df44542ee6c0" // key: 32 times "k"
)

func TestCanonicalVector(t *testing.T) {
	for _, v := range []struct {
		row                 Row
		version             int
		canonical, sha, mac string
	}{{vector, 1, vectorCanonical, vectorSHA, vectorHMAC}, {vector2, 2, vector2Canonical, vector2SHA, vector2HMAC}} {
		if got := v.row.Version(); got != v.version {
			t.Errorf("version of %+v = %d, want %d", v.row, got, v.version)
		}
		if got := hex.EncodeToString(v.row.AppendCanonical(nil)); got != v.canonical {
			t.Errorf("canonical encoding, version %d\n got %s\nwant %s", v.version, got, v.canonical)
		}
		for _, tc := range []struct {
			key  []byte
			want string
		}{{nil, v.sha}, {[]byte(strings.Repeat("k", 32)), v.mac}} {
			if got := Hex(NewHasher(tc.key).Sum(nil, Genesis, &v.row)); got != tc.want {
				t.Errorf("version %d hash with key %q = %s, want %s", v.version, tc.key, got, tc.want)
			}
		}
	}
}

// TestVerifyVersions: a chain whose rows 1 to 5 were written before
// recorded_at existed (version 1) and rows 6 to 10 after (version 2)
// verifies; recorded_at is covered from row 6 on, and a version 2 row
// turned back into a version 1 one is named.
func TestVerifyVersions(t *testing.T) {
	mixed := func() []Row {
		rs := chainOf(10, nil)
		for i := 5; i < 10; i++ {
			rs[i].RecordedAt = "2026-06-06T10:00:0" + string(rune('0'+i-5)) + "Z"
		}
		return rechain(rs)
	}
	res, err := Verify(iterate(mixed()), Options{Start: 1})
	if err != nil || res.Problem != nil || res.Rows != 10 || res.RecordedFrom != 6 {
		t.Fatalf("mixed chain: %d rows, recorded from %d, problem %+v, err %v; want 10 rows, recorded from row 6, no problem",
			res.Rows, res.RecordedFrom, res.Problem, err)
	}
	cases := []struct {
		name   string
		tamper func([]Row) []Row
		row    int64
		kind   string
	}{
		{"recorded_at of a version 2 row edited", func(rs []Row) []Row { rs[6].RecordedAt = "2026-06-01T09:00:00Z"; return rs }, 7, KindEdited},
		{"recorded_at given to a version 1 row", func(rs []Row) []Row { rs[2].RecordedAt = "2026-06-01T09:00:00Z"; return rs }, 3, KindEdited},
		{"recorded_at removed, rehashed in version 1", func(rs []Row) []Row { rs[7].RecordedAt = ""; return rechain(rs) }, 8, KindEdited},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(iterate(tc.tamper(mixed())), Options{Start: 1})
			if err != nil || res.Problem == nil || res.Problem.Row != tc.row || res.Problem.Kind != tc.kind {
				t.Errorf("problem %+v (err %v), want row %d %s", res.Problem, err, tc.row, tc.kind)
			}
		})
	}
}

// TestCanonicalTellsEveryChangeApart: no two different rows encode alike,
// a NULL and an empty value or a zero included, nor do values that only
// move across a column boundary.
func TestCanonicalTellsEveryChangeApart(t *testing.T) {
	base := vector
	edits := map[string]func(*Row){
		"id":                    func(r *Row) { r.ID = 2 },
		"time":                  func(r *Row) { r.Time = "2026-06-01T09:00:01Z" },
		"credential NULL":       func(r *Row) { r.NullCredential = true },
		"credential empty":      func(r *Row) { r.CredentialID = "" },
		"rotation NULL":         func(r *Row) { r.NullRotation = true },
		"rotation 0":            func(r *Row) { r.RotationID = 0 },
		"delivery 0, not NULL":  func(r *Row) { r.NullDelivery = false },
		"stage":                 func(r *Row) { r.Stage = "30d" },
		"channel":               func(r *Row) { r.Channel = "ops" },
		"status moved to actor": func(r *Row) { r.Status, r.Actor = "", "clialice" },
		"actor moved to detail": func(r *Row) { r.Actor, r.Detail = "alic", "eacknowledged via cli" },
		"type":                  func(r *Row) { r.Type = "rotation" },
		"recorded_at":           func(r *Row) { r.RecordedAt = "2026-06-01T09:00:00Z" },
	}
	seen := map[string]string{string(base.AppendCanonical(nil)): "unchanged"}
	for name, edit := range edits {
		r := base
		edit(&r)
		enc := string(r.AppendCanonical(nil))
		if other, ok := seen[enc]; ok {
			t.Errorf("%s encodes like %s", name, other)
		}
		seen[enc] = name
	}
}

func TestFromEventStoresEmptyAsNull(t *testing.T) {
	e := domain.Event{Time: time.Date(2026, 6, 1, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600)), Type: "config", Status: "ignored"}
	r := FromEvent(5, e, time.Date(2026, 6, 6, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600)))
	if r.ID != 5 || r.Time != "2026-06-01T07:00:00Z" || r.RecordedAt != "2026-06-06T10:00:00Z" || r.Version() != 2 ||
		!r.NullCredential || !r.NullRotation || !r.NullDelivery {
		t.Errorf("FromEvent = %+v, want id 5, UTC times, version 2, NULL credential, rotation and delivery", r)
	}
}

// chainOf builds n hash-chained rows from id 1 with key.
func chainOf(n int, key []byte) []Row {
	h := NewHasher(key)
	prev := Genesis
	rows := make([]Row, n)
	for i := range rows {
		r := vector
		r.ID, r.Detail = int64(i+1), strings.Repeat("x", i)
		r.Hash = h.Sum(nil, prev, &r)
		prev, rows[i] = r.Hash, r
	}
	return rows
}

// rechain recomputes the hashes of rows with SHA-256.
func rechain(rows []Row) []Row {
	h, prev := NewHasher(nil), Genesis
	for i := range rows {
		rows[i].Hash = h.Sum(nil, prev, &rows[i])
		prev = rows[i].Hash
	}
	return rows
}

func iterate(rows []Row) func() (Row, bool, error) {
	i := 0
	return func() (Row, bool, error) {
		if i == len(rows) {
			return Row{}, false, nil
		}
		i++
		return rows[i-1], true, nil
	}
}

func TestVerifyKinds(t *testing.T) {
	swap := func(rs []Row, i, j int) { rs[i].ID, rs[j].ID = rs[j].ID, rs[i].ID; rs[i], rs[j] = rs[j], rs[i] }
	cases := []struct {
		name   string
		tamper func([]Row) []Row
		opts   Options
		row    int64
		kind   string
	}{
		{"intact", func(rs []Row) []Row { return rs }, Options{Start: 1}, 0, ""},
		{"edited", func(rs []Row) []Row { rs[4].Actor = "mallory"; return rs }, Options{}, 5, KindEdited},
		{"deleted", func(rs []Row) []Row { return append(rs[:4:4], rs[5:]...) }, Options{}, 6, KindDeleted},
		{"the first deleted", func(rs []Row) []Row { return rs[1:] }, Options{Start: 1}, 2, KindDeleted},
		{"swapped", func(rs []Row) []Row { swap(rs, 3, 4); return rs }, Options{}, 4, KindReordered},
		{"swapped far apart", func(rs []Row) []Row { swap(rs, 3, 6); return rs }, Options{}, 4, KindReordered},
		{"inserted into a gap", func(rs []Row) []Row {
			// Ids with a gap at 6, as another backend's sequence leaves them.
			for i := range rs[5:] {
				rs[5+i].ID++
			}
			rs = rechain(rs)
			forged := vector
			forged.ID, forged.Actor, forged.Hash = 6, "mallory", rs[4].Hash
			return append(rs[:5:5], append([]Row{forged}, rs[5:]...)...)
		}, Options{}, 6, KindInserted},
		{"cut, with the head expected", func(rs []Row) []Row { return rs[:7] }, Options{ExpectHead: chainOf(10, nil)[9].Hash}, 0, KindCut},
		{"unkeyed under a key", func(rs []Row) []Row { return rs }, Options{Key: []byte(strings.Repeat("k", 32))}, 0, KindUnkeyed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Verify(iterate(tc.tamper(chainOf(10, nil))), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.kind == "" && res.Problem != nil:
				t.Errorf("problem %+v, want none", res.Problem)
			case tc.kind == "" && (res.Rows != 10 || res.HeadID != 10 || !bytes.Equal(res.Head, chainOf(10, nil)[9].Hash)):
				t.Errorf("%d rows to %d, head %x; want 10 rows to row 10 and its hash", res.Rows, res.HeadID, res.Head)
			case tc.kind != "" && (res.Problem == nil || res.Problem.Row != tc.row || res.Problem.Kind != tc.kind):
				t.Errorf("problem %+v, want row %d %s", res.Problem, tc.row, tc.kind)
			}
		})
	}
}

func TestParseHead(t *testing.T) {
	if h, err := ParseHead(vectorSHA); err != nil || Hex(h) != vectorSHA {
		t.Errorf("ParseHead(%s) = %x, %v", vectorSHA, h, err)
	}
	for _, bad := range []string{"", "abc", vectorSHA + "00", strings.Repeat("g", 64)} {
		if _, err := ParseHead(bad); err == nil {
			t.Errorf("ParseHead(%q) accepted", bad)
		}
	}
}

// BenchmarkSum is the hashing's share of appending one event: encoding and
// SHA-256 (or HMAC) of a typical reminder row.
func BenchmarkSum(b *testing.B) {
	r := Row{ID: 1234567, Time: "2026-11-21T09:00:00Z", Type: "reminder", CredentialID: "cred-0012345", RotationID: 1234567, DeliveryID: 7654321,
		Stage: "7d", Channel: "ops-slack", Status: "sent", Detail: "[notifier] SP-API production (LWA client secret): 7 days remaining"}
	for _, key := range [][]byte{nil, []byte(strings.Repeat("k", 32))} {
		b.Run(map[bool]string{false: "sha256", true: "hmac"}[key != nil], func(b *testing.B) {
			h, dst := NewHasher(key), make([]byte, 0, Size)
			for b.Loop() {
				dst = h.Sum(dst[:0], Genesis, &r)
			}
		})
	}
}
