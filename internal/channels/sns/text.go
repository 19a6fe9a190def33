package sns

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"

	"github.com/notifier-dev/notifier/internal/channels"
)

// SNS limits.
const (
	// MaxSubject is the longest Subject SNS accepts. The API reference says
	// "less than 100 characters", but SNS accepts exactly 100 (and AWS's own
	// services send 100-character subjects); 101 is refused.
	MaxSubject = 100
	// MaxSMS is one GSM-7 SMS segment; a longer text is split into several
	// (billed) messages, a non-GSM character makes it UCS-2 (70 a segment).
	MaxSMS = 160
	// maxID is the longest MessageGroupId / MessageDeduplicationId.
	maxID = 128
)

// asciiFor replaces common typographic characters a template may produce.
var asciiFor = map[rune]string{
	'‘': "'", '’': "'", '‚': "'", '′': "'",
	'“': `"`, '”': `"`, '„': `"`, '″': `"`,
	'–': "-", '—': "-", '‐': "-", '‑': "-", '−': "-",
	'…': "...", '•': "*", '·': "*", '×': "x", '€': "EUR", '£': "GBP",
}

// SanitizeSubject makes s a valid SNS Subject: printable ASCII only (line
// breaks and other white space become one space, typographic quotes and
// dashes their ASCII forms, anything else "?"), no leading or trailing
// space, at most MaxSubject characters (cut with "..."). It may return "":
// the Subject is then left out.
func SanitizeSubject(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case asciiFor[r] != "":
			b.WriteString(asciiFor[r])
		default:
			b.WriteByte('?')
		}
	}
	return truncate(b.String(), MaxSubject)
}

// truncate cuts an ASCII string to at most n bytes, ending it with "..."
// when something was cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.TrimRight(s[:n-3], " ") + "..."
}

// SMSText is the text of an SMS (and of a mobile push notification): the
// credential id, the status and the deadline's date come first, then how to
// acknowledge (the ack link when it fits), in the GSM-7 basic character set and at most MaxSMS
// characters, so that it is one segment. For example
//
//	notifier: sp-api-prod 7 days remaining, deadline 2026-11-28. Ack: notifier ack sp-api-prod
func SMSText(m channels.Message) string {
	var b strings.Builder
	b.WriteString("notifier")
	if m.Test {
		b.WriteString(" test")
	}
	b.WriteString(": ")
	b.WriteString(m.Credential)
	b.WriteString(" ")
	b.WriteString(m.Status())
	if !m.Deadline.IsZero() {
		b.WriteString(", deadline ")
		layout := "2006-01-02"
		if m.Final {
			// Less than a day left: the hour matters.
			layout = "2006-01-02 15:04 MST"
		}
		b.WriteString(m.Deadline.Format(layout))
	}
	b.WriteString(".")
	switch {
	case m.Acknowledged && !m.SnoozedUntil.IsZero():
		b.WriteString(" " + m.AckStateShort() + ".")
	case m.Acknowledged && m.AcknowledgedBy != "":
		b.WriteString(" Acked by " + m.AcknowledgedBy + ".")
	case m.Acknowledged:
		b.WriteString(" Acknowledged.")
	default:
		// The ack link where it fits whole in the one segment (a cut link
		// is worse than none), else the command.
		if m.AckURL != "" {
			if withLink := gsmSafe(b.String() + " Ack: " + m.AckURL); len(withLink) <= MaxSMS {
				return withLink
			}
		}
		b.WriteString(" Ack: notifier ack " + m.Credential)
	}
	return truncate(gsmSafe(b.String()), MaxSMS)
}

// gsmSafe keeps the characters that are both ASCII and in the GSM 03.38
// basic set (one septet each); white space becomes a space, typographic
// forms their ASCII equivalents, anything else "?".
func gsmSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			b.WriteByte(' ')
		case r >= 0x20 && r < 0x7f && !strings.ContainsRune("`[]\\^{}|~", r):
			b.WriteRune(r)
		case asciiFor[r] != "" && asciiFor[r] != "EUR" && asciiFor[r] != "GBP":
			b.WriteString(asciiFor[r])
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// groupID is the MessageGroupId of a FIFO topic message: the credential id,
// so that one credential's reminders stay in order. Characters SNS does not
// allow become "_".
func groupID(credential string) string {
	var b strings.Builder
	for _, r := range credential {
		if r > 0x20 && r < 0x7f {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" {
		return "notifier"
	}
	if len(id) > maxID {
		id = id[:maxID]
	}
	return id
}

// dedupID is the MessageDeduplicationId of a FIFO topic message: the
// SHA-256 of the delivery key in hex (64 characters), so that SNS drops the
// same delivery published twice within its five-minute window. A test
// message, or one without a key, also hashes its time, so that two
// `notifier test` runs are both delivered.
func dedupID(m channels.Message) string {
	key := m.DeliveryKey
	if key == "" || m.Test {
		key += "|" + m.Now.UTC().Format(time.RFC3339Nano)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
