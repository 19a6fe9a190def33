package engine

import (
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// TestDeliveryWindowChoice: a stage's deliver: wins over its channel's;
// urgent stages (the final notice and overdue by default, or as a stage
// says) break through; a channel without a window is never deferred.
func TestDeliveryWindowChoice(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	days, _ := schedule.ParseDays("Mon-Fri")
	hours, _ := schedule.ParseHours("09:00-18:00")
	office := &schedule.DeliveryWindow{Days: days, Hours: []schedule.MinuteRange{hours}, Loc: berlin}
	weekend, _ := schedule.ParseDays("Sat,Sun")
	stageWindow := &schedule.DeliveryWindow{Days: weekend, Loc: berlin}
	no := false
	stages := []config.Stage{
		{Stage: schedule.Stage{Name: "7d", Offset: schedule.Span{Days: 7}, Channels: []string{"office", "pager"}}},
		{Stage: schedule.Stage{Name: "3d", Offset: schedule.Span{Days: 3}, Channels: []string{"office"}}, Deliver: stageWindow},
		{Stage: schedule.Stage{Name: "24h", Offset: schedule.Span{Clock: 24 * time.Hour}, Channels: []string{"office"}}},
		{Stage: schedule.Stage{Name: "overdue", After: true, Channels: []string{"office"}}, Urgent: &no},
	}
	v := view{cfg: &config.Config{
		Location: berlin,
		Policies: map[string]*config.Policy{"p": {Name: "p", Stages: stages}},
		Channels: map[string]*config.Channel{"office": {Name: "office", Deliver: office}, "pager": {Name: "pager"}},
	}}
	deadline := time.Date(2027, 4, 2, 19, 0, 0, 0, berlin)
	friday := time.Date(2027, 3, 26, 19, 0, 0, 0, berlin) // after hours
	for _, tt := range []struct {
		stage, channel string
		want           time.Time
	}{
		{"7d", "office", time.Date(2027, 3, 29, 9, 0, 0, 0, berlin)},
		{"7d", "pager", friday},
		{"3d", "office", time.Date(2027, 3, 27, 0, 0, 0, 0, berlin)},      // the stage's window, Saturday
		{"24h", "office", friday},                                         // the final notice: urgent
		{"overdue", "office", time.Date(2027, 3, 29, 9, 0, 0, 0, berlin)}, // urgent: false
		// An escalation step is a send of the stage it escalates: its
		// window and its urgency.
		{"7d/escalate-1", "office", time.Date(2027, 3, 29, 9, 0, 0, 0, berlin)},
		{"7d/escalate-1", "pager", friday},
		{"3d/escalate-2", "pager", time.Date(2027, 3, 27, 0, 0, 0, 0, berlin)},
		{"24h/escalate-1", "office", friday},
		{"overdue/escalate-1", "office", time.Date(2027, 3, 29, 9, 0, 0, 0, berlin)},
	} {
		st := schedule.Stage{Name: tt.stage} // an escalation step, as the dispatcher knows it
		if cs := v.cfg.Policies["p"].Stage(tt.stage); cs != nil {
			st = cs.Stage
		}
		if got := v.notBefore("p", st, tt.channel, deadline, friday, berlin); !got.Equal(tt.want) {
			t.Errorf("%s to %s at Friday 19:00: not before %s, want %s", tt.stage, tt.channel, got.In(berlin), tt.want)
		}
	}
}
