package config

import (
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// Digest is a channel's digest: key: one summary message on a cron
// schedule, in the config's zone, of every credential overdue or due
// within DueWithin days.
type Digest struct {
	Schedule string        // the cron spec, as written
	Cron     cron.Schedule // Schedule parsed; Next in the config's zone
	// DueWithin is how many calendar days ahead the digest looks.
	DueWithin int
	// Instead: the channel gets only the digest, no per-reminder messages.
	Instead bool
}

// DefaultDigestDueWithin is due_within when it is not given.
const DefaultDigestDueWithin = 14

type digestBlock struct {
	Schedule  *yaml.Node `yaml:"schedule"`
	DueWithin *yaml.Node `yaml:"due_within"`
	Instead   *yaml.Node `yaml:"instead"`
}

// digest reads a channel's digest: mapping.
func (l *loader) digest(n *yaml.Node, key string) *Digest {
	var b digestBlock
	if !l.decode(n, key, &b) {
		return nil
	}
	d := &Digest{DueWithin: DefaultDigestDueWithin}
	if b.Schedule == nil {
		l.errf(n, key+".schedule", "missing: a cron spec, as \"0 9 * * MON-FRI\"")
	} else if s, ok := l.str(b.Schedule, key+".schedule"); ok {
		c, err := cron.ParseStandard(s)
		if err != nil {
			l.errf(b.Schedule, key+".schedule", "%q is not a cron spec: %v", s, err)
		}
		d.Schedule, d.Cron = s, c
	}
	if b.DueWithin != nil {
		if sp, s, ok := l.span(b.DueWithin, key+".due_within"); ok {
			if sp.Clock != 0 || sp.Days < 1 {
				l.errf(b.DueWithin, key+".due_within", "%q is not a whole number of days, as 14d", s)
			}
			d.DueWithin = sp.Days
		}
	}
	if b.Instead != nil {
		d.Instead = l.bool(b.Instead, key+".instead")
	}
	return d
}

// Until is the end of the digest's look-ahead from at, in loc: DueWithin
// calendar days.
func (d *Digest) Until(at time.Time, loc *time.Location) time.Time {
	return schedule.Span{Days: d.DueWithin}.Add(at, 1, loc)
}
