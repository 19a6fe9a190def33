package config

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// deliverBlock is a delivery window (quiet hours outside it), on a channel
// or a stage: deliver: {days: Mon-Fri, hours: "09:00-18:00", timezone: Europe/Berlin}.
type deliverBlock struct {
	Days     *yaml.Node `yaml:"days"`
	Hours    *yaml.Node `yaml:"hours"`
	Timezone *yaml.Node `yaml:"timezone"`
}

// deliver reads a deliver: block; nil when it has a problem (reported at
// its line). The zone defaults to the config's timezone.
func (l *loader) deliver(n *yaml.Node, key string) *schedule.DeliveryWindow {
	var b deliverBlock
	if !l.decode(n, key, &b) {
		return nil
	}
	if b.Days == nil && b.Hours == nil {
		l.errf(n, key, "an empty window: give days: (e.g. Mon-Fri) and/or hours: (e.g. \"09:00-18:00\")")
		return nil
	}
	w := schedule.DeliveryWindow{Loc: l.loc}
	ok := true
	days := ""
	if b.Days != nil {
		if b.Days.Kind == yaml.SequenceNode {
			days = strings.Join(l.strList(b.Days, key+".days"), ",")
		} else {
			days, ok = l.str(b.Days, key+".days")
		}
		if ok && strings.TrimSpace(days) == "" {
			l.errf(b.Days, key+".days", "an empty window: name at least one day")
			ok = false
		}
	}
	if ok {
		d, err := schedule.ParseDays(days)
		if err != nil {
			l.errf(b.Days, key+".days", "%v", err)
			ok = false
		}
		w.Days = d
	}
	if b.Hours != nil {
		var ranges []string
		if b.Hours.Kind == yaml.SequenceNode {
			ranges = l.strList(b.Hours, key+".hours")
			if len(ranges) == 0 {
				l.errf(b.Hours, key+".hours", "an empty window: give at least one range (e.g. \"09:00-18:00\")")
				ok = false
			}
		} else if s, good := l.str(b.Hours, key+".hours"); good {
			ranges = []string{s}
		} else {
			ok = false
		}
		for _, s := range ranges {
			r, err := schedule.ParseHours(s)
			if err != nil {
				l.errf(b.Hours, key+".hours", "%v", err)
				ok = false
				continue
			}
			w.Hours = append(w.Hours, r)
		}
	}
	if b.Timezone != nil {
		if s, good := l.str(b.Timezone, key+".timezone"); good {
			if w.Loc = l.zone(b.Timezone, key+".timezone", s); w.Loc == nil {
				ok = false
			}
		} else {
			ok = false
		}
	}
	if !ok {
		return nil
	}
	if w.Loc == nil {
		w.Loc = time.UTC
	}
	return &w
}

// zone loads the IANA zone name, written at n; nil, with a problem, when
// it is none (the machine's "Local" is refused: the config must mean the
// same on every machine).
func (l *loader) zone(n *yaml.Node, key, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || strings.EqualFold(name, "local") {
		l.errf(n, key, "%q is not an IANA time zone name (e.g. UTC, Europe/Berlin)", name)
		return nil
	}
	return loc
}
