// Package chain is the tamper evidence of the history: every event row
// carries a hash over its canonical content and the previous row's hash, so
// that a row edited, deleted, inserted or moved after the fact breaks the
// chain from that row on. It is pure: the store computes hashes with it when
// it appends events, and streams the rows back through Verify; any backend
// does the same, and an auditor can re-implement it from docs/auditors.md.
//
// The hash of a row is SHA-256(prev || canonical(row)), or
// HMAC-SHA-256(key, prev || canonical(row)) when the config sets
// audit.key, where prev is the previous row's hash (32 zero bytes for the
// first row of the chain). The canonical encoding is the row's columns in
// a fixed order, each value typed and length-prefixed; see
// AppendCanonical. It has two versions, told apart by the row itself:
//
//   - version 1, a row whose recorded_at is NULL (written before migration
//     0009, PostgreSQL 0007, which added the column): the eleven columns
//     id, time, type, credential_id, rotation_id, delivery_id, stage,
//     channel, status, actor, detail;
//   - version 2, a row with a recorded_at (every row written since): the
//     same eleven values, then recorded_at as a twelfth, text in UTC
//     RFC 3339.
//
// A chain written before the migration keeps verifying under version 1;
// Verify refuses a version 1 row after a version 2 one (a recorded_at set
// to NULL to hide it).
package chain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// Size is the length of a hash in bytes.
const Size = sha256.Size

// MinKeyLen is the shortest audit key accepted: as long as the hash.
const MinKeyLen = 32

// Genesis is the previous hash of the first row of a chain.
var Genesis = make([]byte, Size)

// Row is an event row as stored, the column NULLs included: the hash
// covers exactly what the database holds.
type Row struct {
	ID           int64
	Time         string // as stored: UTC RFC 3339
	Type         string
	CredentialID string
	RotationID   int64
	DeliveryID   int64
	Stage        string
	Channel      string
	Status       string
	Actor        string
	Detail       string
	// RecordedAt is when notifier recorded the row (its wall clock), UTC
	// RFC 3339 as stored; "" for NULL: a row written before the column
	// existed, encoded in version 1.
	RecordedAt string
	// The nullable columns that are NULL.
	NullCredential, NullRotation, NullDelivery bool
	Hash                                       []byte // nil: NULL
}

// FromEvent is the row the store writes for e with the given id, recorded
// at recorded: an empty credential and zero rotation or delivery ids are
// stored as NULL, the times as UTC RFC 3339 at whole seconds.
func FromEvent(id int64, e domain.Event, recorded time.Time) Row {
	return Row{
		ID: id, Time: e.Time.UTC().Format(time.RFC3339), Type: e.Type, RecordedAt: recorded.UTC().Format(time.RFC3339),
		CredentialID: e.CredentialID, RotationID: e.RotationID, DeliveryID: e.DeliveryID,
		Stage: e.Stage, Channel: e.Channel, Status: e.Status, Actor: e.Actor, Detail: e.Detail,
		NullCredential: e.CredentialID == "", NullRotation: e.RotationID == 0, NullDelivery: e.DeliveryID == 0,
	}
}

// Value tags of the canonical encoding.
const (
	tagNull    = 0x00
	tagInteger = 0x01 // then 8 bytes, big-endian two's complement
	tagText    = 0x02 // then the byte length in 4 bytes big-endian, then the bytes
)

// Version is the canonical encoding r is hashed in: 2 when it has a
// recorded_at, 1 when that is NULL.
func (r *Row) Version() int {
	if r.RecordedAt == "" {
		return 1
	}
	return 2
}

// AppendCanonical appends the canonical encoding of r to dst: the columns
// id, time, type, credential_id, rotation_id, delivery_id, stage, channel,
// status, actor, detail in this order, then, in version 2 (a row with a
// recorded_at), recorded_at; each as one value:
//
//	NULL     0x00
//	integer  0x01, then the value in 8 bytes, big-endian two's complement
//	text     0x02, then its length in bytes in 4 bytes big-endian, then its bytes
//
// Every value says its type and length, so no two rows encode alike.
func (r *Row) AppendCanonical(dst []byte) []byte {
	dst = appendInt(dst, r.ID)
	dst = appendText(dst, r.Time)
	dst = appendText(dst, r.Type)
	if r.NullCredential {
		dst = append(dst, tagNull)
	} else {
		dst = appendText(dst, r.CredentialID)
	}
	for _, v := range [...]struct {
		null bool
		id   int64
	}{{r.NullRotation, r.RotationID}, {r.NullDelivery, r.DeliveryID}} {
		if v.null {
			dst = append(dst, tagNull)
		} else {
			dst = appendInt(dst, v.id)
		}
	}
	for _, s := range [...]string{r.Stage, r.Channel, r.Status, r.Actor, r.Detail} {
		dst = appendText(dst, s)
	}
	if r.Version() == 2 {
		dst = appendText(dst, r.RecordedAt)
	}
	return dst
}

func appendInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(append(dst, tagInteger), uint64(v))
}

func appendText(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(append(dst, tagText), uint32(len(s)))
	return append(dst, s...)
}

// Hasher computes row hashes, keyed or not. It reuses its buffers: one
// Hasher serves one goroutine.
type Hasher struct {
	h   hash.Hash
	buf []byte
}

// NewHasher hashes with HMAC-SHA-256 under key, or with SHA-256 when key
// is empty.
func NewHasher(key []byte) *Hasher {
	if len(key) == 0 {
		return &Hasher{h: sha256.New()}
	}
	return &Hasher{h: hmac.New(sha256.New, key)}
}

// Sum returns the hash of r chained to prev, appended to dst.
func (h *Hasher) Sum(dst, prev []byte, r *Row) []byte {
	h.buf = r.AppendCanonical(append(h.buf[:0], prev...))
	h.h.Reset()
	h.h.Write(h.buf)
	return h.h.Sum(dst)
}

// KeyID names a key without revealing it: HMAC-SHA-256(key, "notifier
// audit key id"). The store keeps it to tell a chain written under another
// key (or none) from a tampered one.
func KeyID(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("notifier audit key id"))
	return m.Sum(nil)
}

// Hex renders a hash as the 64 hex digits the commands print.
func Hex(h []byte) string { return hex.EncodeToString(h) }

// ParseHead reads a head hash given as 64 hex digits.
func ParseHead(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != Size {
		return nil, fmt.Errorf("%q is not a head hash: give the 64 hex digits `notifier verify` printed", s)
	}
	return b, nil
}
