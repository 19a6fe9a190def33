package slack_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/slack"
)

func digestOf(n int) *channels.Digest {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	d := &channels.Digest{At: at, DueWithin: 14, Sections: []channels.DigestSection{
		{Key: "overdue", Title: "Overdue", Rows: []channels.DigestRow{{Credential: "x", Name: "<b>&", Deadline: at, Overdue: true, DaysOverdue: 1}}},
		{Key: "due", Title: "Due within 14 days"},
	}}
	for i := range n {
		d.Sections[1].Rows = append(d.Sections[1].Rows, channels.DigestRow{
			Credential: fmt.Sprintf("cred-%04d", i), Name: "Credential", Owner: "team", Deadline: at.AddDate(0, 0, 3), DaysRemaining: 3,
		})
	}
	return d
}

// TestDigestBlocksWithinSlackLimits: a digest of any size is one message
// of at most 50 blocks, each text at most 3000 characters; the rows that
// do not fit are counted in "… and N more".
func TestDigestBlocksWithinSlackLimits(t *testing.T) {
	for _, n := range []int{0, 10, 1000, 100000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := digestOf(n)
			blocks := slack.DigestBlocks(d)
			if len(blocks) > slack.MaxBlocks {
				t.Fatalf("%d blocks, Slack takes %d", len(blocks), slack.MaxBlocks)
			}
			shown, more := 0, 0
			for _, b := range blocks {
				switch b := b.(type) {
				case *goslack.SectionBlock:
					if len(b.Text.Text) > 3000 {
						t.Errorf("a section of %d characters", len(b.Text.Text))
					}
					shown += strings.Count(b.Text.Text, "• ")
					if strings.Contains(b.Text.Text, "<b>") {
						t.Errorf("a name is not escaped: %q", b.Text.Text)
					}
				case *goslack.ContextBlock:
					txt := b.ContextElements.Elements[0].(*goslack.TextBlockObject).Text
					fmt.Sscanf(txt, "… and %d more", &more)
				}
			}
			if shown+more != n+1 {
				t.Errorf("%d rows shown and %d more, want %d in all", shown, more, n+1)
			}
			if n <= 10 && more != 0 {
				t.Errorf("a small digest says %d more", more)
			}
		})
	}
}
