package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
)

// An ack token names one delivery of one cycle, with an expiry, signed
// with the config's ack_secret over the id of the database that issued it:
//
//	base64url( version | uvarint delivery | uvarint cycle | uvarint expiry | HMAC-SHA256[:16] )
//
// expiry is Unix seconds, 0 for "until the cycle ends". The MAC covers a
// domain-separation label, the database's id (store.Reader.DatabaseID)
// and everything before it; 128 bits of it are kept, so that the link
// stays short enough for an SMS. The id is not in the token: a database
// recreated with the same ack_secret has another id, and refuses the old
// database's links, whose delivery ids now name other deliveries. Tokens
// of version 1 (before the id) are refused.
const (
	tokenVersion = 2
	macLen       = 16
	macLabel     = "notifier ack link v2\x00"
	maxTokenLen  = 128 // longer input is refused before decoding
)

// Link is what a valid token says.
type Link struct {
	DeliveryID int64
	RotationID int64
	Expires    time.Time // zero: until the cycle ends
}

// ErrBadToken is a token that is malformed, forged, altered, expired or
// issued by another database.
// The page does not say which: a guesser learns nothing.
var ErrBadToken = errors.New("httpapi: invalid or expired ack link")

// Sign returns the token for l, issued by the database whose id is
// database.
func Sign(secret []byte, database string, l Link) string {
	b := []byte{tokenVersion}
	b = binary.AppendUvarint(b, uint64(l.DeliveryID))
	b = binary.AppendUvarint(b, uint64(l.RotationID))
	var exp uint64
	if !l.Expires.IsZero() {
		exp = uint64(l.Expires.Unix())
	}
	b = binary.AppendUvarint(b, exp)
	b = append(b, mac(secret, database, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Verify checks a token's signature, for the database whose id is
// database, and its expiry at now.
func Verify(secret []byte, database, token string, now time.Time) (Link, error) {
	if len(secret) == 0 || database == "" || len(token) > maxTokenLen {
		return Link{}, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1+3+macLen {
		return Link{}, ErrBadToken
	}
	body, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(sum, mac(secret, database, body)) || body[0] != tokenVersion {
		return Link{}, ErrBadToken
	}
	rest := body[1:]
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > 1<<62 {
			return Link{}, ErrBadToken
		}
		vals[i], rest = v, rest[n:]
	}
	if len(rest) != 0 {
		return Link{}, ErrBadToken
	}
	l := Link{DeliveryID: int64(vals[0]), RotationID: int64(vals[1])}
	if vals[2] != 0 {
		l.Expires = time.Unix(int64(vals[2]), 0).UTC()
		if !now.Before(l.Expires) {
			return Link{}, ErrBadToken
		}
	}
	return l, nil
}

func mac(secret []byte, database string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(macLabel))
	h.Write([]byte(database))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)[:macLen]
}

// AckLinks is the engine's AckLinker for the database whose id is
// database: the link of a delivery, signed with the config's ack_secret,
// expiring ack_link_ttl after now (the send); empty when the config has
// no http.public_url.
func AckLinks(database string) engine.AckLinker {
	return func(cfg *config.Config, d domain.Delivery, now time.Time) string {
		h := cfg.HTTP
		if h == nil || h.PublicURL == "" || h.AckSecret == "" {
			return ""
		}
		l := Link{DeliveryID: d.ID, RotationID: d.RotationID}
		if h.AckLinkTTL > 0 {
			l.Expires = now.Add(h.AckLinkTTL)
		}
		return h.PublicURL + "/ack/" + Sign([]byte(h.AckSecret), database, l)
	}
}
