package config

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// stageBlock is one stage of a policy's ladder.
type stageBlock struct {
	Name               *yaml.Node `yaml:"name"`
	Before             *yaml.Node `yaml:"before"`
	After              *yaml.Node `yaml:"after"`
	Repeat             *yaml.Node `yaml:"repeat"`
	Channels           *yaml.Node `yaml:"channels"`
	UnlessAcknowledged *yaml.Node `yaml:"unless_acknowledged"`
	Subject            *yaml.Node `yaml:"subject"`
	Template           *yaml.Node `yaml:"template"`
	// Escalate is the stage's escalation chain (escalate.go).
	Escalate *yaml.Node `yaml:"escalate"`
	Deliver  *yaml.Node `yaml:"deliver"` // a delivery window, over the channels'
	Urgent   *yaml.Node `yaml:"urgent"`  // breaks through delivery windows
}

// policyBlock is a policy in its long form, a mapping.
type policyBlock struct {
	Stages  *yaml.Node `yaml:"stages"`
	Runbook *yaml.Node `yaml:"runbook"`
	Impact  *yaml.Node `yaml:"impact"`
	// Announce names the channels told of each rotation recorded.
	Announce *yaml.Node `yaml:"announce"`
}

// isLongPolicy reports whether a policy's mapping is the long form: it
// has one of policyBlock's keys (else it is a stage written without its
// list, and is told so).
func isLongPolicy(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "stages", "runbook", "impact", "announce":
			return true
		}
	}
	return false
}

// policies reads the policies: block, a mapping of names to ladders.
func (l *loader) policies(n *yaml.Node, chans map[string]*Channel) map[string]*Policy {
	out := map[string]*Policy{}
	if n == nil {
		return out
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "policies", "must be a mapping of policy names to ladders")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := "policies." + k.Value
		if _, dup := out[k.Value]; dup {
			l.errf(k, key, "policy defined twice")
			continue
		}
		p := &Policy{Name: k.Value}
		if v.Kind == yaml.MappingNode && isLongPolicy(v) {
			// The long form: stages: with the policy's own keys beside it.
			var b policyBlock
			if !l.decode(v, key, &b) {
				out[k.Value] = p
				continue
			}
			if b.Runbook != nil {
				l.runbook(b.Runbook, key+".runbook", &p.Runbook)
			}
			if b.Impact != nil {
				p.Runbook.Impact = l.impact(b.Impact, key+".impact")
			}
			if b.Announce != nil {
				p.Announce = l.channelNames(b.Announce, key+".announce", chans)
			}
			if b.Stages == nil {
				l.errf(v, key+".stages", "missing: the ladder, a list of stages")
				out[k.Value] = p
				continue
			}
			v, key = b.Stages, key+".stages"
		}
		if v.Kind != yaml.SequenceNode {
			l.errf(v, key, "must be a list of stages")
			out[k.Value] = p // defined, though broken: no second problem where a credential names it
			continue
		}
		if len(v.Content) == 0 {
			l.errf(v, key, "the ladder is empty: give at least one stage")
			out[k.Value] = p
			continue
		}
		names := map[string]bool{}
		for j, sn := range v.Content {
			skey := fmt.Sprintf("%s[%d]", key, j)
			st, ok := l.stage(sn, skey, chans)
			if !ok {
				continue
			}
			if names[st.Name] {
				l.errf(sn, skey+".name", "stage name %q used twice in this policy", st.Name)
				continue
			}
			names[st.Name] = true
			p.Stages = append(p.Stages, st)
		}
		sched := make([]schedule.Stage, len(p.Stages))
		for j := range p.Stages {
			sched[j] = p.Stages[j].Stage
		}
		if err := schedule.SortStages(sched); err != nil {
			l.errf(v, key, "%v", err)
		}
		byName := map[string]Stage{}
		for _, s := range p.Stages {
			byName[s.Name] = s
		}
		for j, s := range sched {
			p.Stages[j] = byName[s.Name]
		}
		out[k.Value] = p
	}
	return out
}

func (l *loader) stage(n *yaml.Node, key string, chans map[string]*Channel) (Stage, bool) {
	var b stageBlock
	if !l.decode(n, key, &b) {
		return Stage{}, false
	}
	var st Stage
	ok := true
	before, after := b.Before, b.After
	var written string
	switch {
	case before != nil && after != nil:
		l.errf(after, key, "give before: or after:, not both")
		ok = false
	case before == nil && after == nil:
		l.errf(n, key, "missing before: (e.g. 30d) or after: (e.g. 0s, overdue)")
		ok = false
	case before != nil:
		sp, s, good := l.span(before, key+".before")
		st.Offset, written, ok = sp, s, good
	default:
		sp, s, good := l.span(after, key+".after")
		st.Offset, st.After, written, ok = sp, true, s, good
	}
	switch {
	case b.Name != nil:
		st.Name, _ = l.str(b.Name, key+".name")
		if st.Name == "" {
			l.errf(b.Name, key+".name", "must not be empty")
			ok = false
		} else if st.Name == domain.StageRejected || st.Name == domain.StageOldSecret {
			// The stages of the alerts Amazon's answers raise share the
			// cycle's deliveries with the ladder's.
			l.errf(b.Name, key+".name", "%q is the stage of notifier's own SP-API alerts; choose another name", st.Name)
			ok = false
		} else if _, _, esc := schedule.ParseEscalation(st.Name); esc {
			l.errf(b.Name, key+".name", "%q is how escalations (escalate:) are named; choose another name", st.Name)
			ok = false
		} else if st.Name == domain.StageAnnounce {
			l.errf(b.Name, key+".name", "%q is the stage of rotation announcements (announce:); choose another name", st.Name)
			ok = false
		}
	case st.After && st.Offset.IsZero():
		st.Name = "overdue"
	case st.After:
		st.Name = "overdue+" + written
	default:
		st.Name = written
	}
	if v := b.Repeat; v != nil {
		if sp, _, good := l.span(v, key+".repeat"); good {
			if sp.IsZero() {
				l.errf(v, key+".repeat", "must be longer than 0s (leave it out to send once)")
				ok = false
			} else if sp.Approx() < time.Minute {
				l.errf(v, key+".repeat", "must be at least 1m")
				ok = false
			}
			st.Repeat = sp
		} else {
			ok = false
		}
	}
	if v := b.UnlessAcknowledged; v != nil {
		st.UnlessAcknowledged = l.bool(v, key+".unless_acknowledged")
	}
	if v := b.Channels; v == nil {
		l.errf(n, key+".channels", "missing: name at least one channel")
		ok = false
	} else {
		st.Channels = l.strList(v, key+".channels")
		if len(st.Channels) == 0 && v.Kind == yaml.SequenceNode {
			l.errf(v, key+".channels", "is empty: name at least one channel")
			ok = false
		}
		seen := map[string]bool{}
		for i, c := range st.Channels {
			ckey := fmt.Sprintf("%s.channels[%d]", key, i)
			if _, defined := chans[c]; !defined {
				l.errf(v.Content[i], ckey, "channel %q is not defined under channels:", c)
				ok = false
			}
			if seen[c] {
				l.errf(v.Content[i], ckey, "channel %q listed twice", c)
				ok = false
			}
			seen[c] = true
		}
	}
	if v := b.Escalate; v != nil {
		chain, good := l.escalate(v, key+".escalate", chans)
		st.Escalate, ok = chain, ok && good
	}
	if v := b.Subject; v != nil {
		st.Subject = l.template(v, key+".subject")
	}
	if v := b.Template; v != nil {
		st.Text = l.template(v, key+".template")
	}
	if v := b.Deliver; v != nil {
		if st.Deliver = l.deliver(v, key+".deliver"); st.Deliver == nil {
			ok = false
		}
	}
	if v := b.Urgent; v != nil {
		u := l.bool(v, key+".urgent")
		st.Urgent = &u
	}
	return st, ok
}
