package config

import (
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/schedule"
)

// escalateBlock is a stage's escalate: (and each then: of its chain):
// "if nobody answered after this long, send to these channels".
type escalateBlock struct {
	After    *yaml.Node `yaml:"after"`
	Channels *yaml.Node `yaml:"channels"`
	Then     *yaml.Node `yaml:"then"`
}

// escalate reads a stage's escalation chain, each then: one step more.
func (l *loader) escalate(n *yaml.Node, key string, chans map[string]*Channel) ([]schedule.Escalation, bool) {
	var chain []schedule.Escalation
	ok := true
	for n != nil {
		if n.Kind != yaml.MappingNode {
			l.errf(n, key, "must be a mapping: {after: 4h, channels: [...]}, optionally with then: the next step")
			return chain, false
		}
		var b escalateBlock
		if !l.decode(n, key, &b) {
			return chain, false
		}
		var step schedule.Escalation
		if b.After == nil {
			l.errf(n, key+".after", "missing: how long after the reminder's first delivery nobody answered (e.g. 4h)")
			ok = false
		} else if sp, _, good := l.span(b.After, key+".after"); !good {
			ok = false
		} else if sp.IsZero() {
			l.errf(b.After, key+".after", "must be longer than 0s")
			ok = false
		} else {
			step.After = sp
		}
		if b.Channels == nil {
			l.errf(n, key+".channels", "missing: name at least one channel")
			ok = false
		} else {
			before := l.found()
			step.Channels = l.channelNames(b.Channels, key+".channels", chans)
			if len(step.Channels) == 0 && b.Channels.Kind == yaml.SequenceNode {
				l.errf(b.Channels, key+".channels", "is empty: name at least one channel")
			}
			ok = ok && l.found() == before
		}
		chain = append(chain, step)
		n, key = b.Then, key+".then"
	}
	return chain, ok
}
