package slack_test

import (
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
)

// TestBlocksAnnouncementOffersNoAcknowledge: a rotation's announcement
// asks nothing, so it has no Acknowledge button (an action block); a
// reminder has one.
func TestBlocksAnnouncementOffersNoAcknowledge(t *testing.T) {
	for _, c := range []struct {
		announcement bool
		wantActions  int
	}{{false, 1}, {true, 0}} {
		m := channels.Message{Credential: "billing-key", Name: "Billing key", Stage: "announce", Text: "billing-key rotated.", Announcement: c.announcement}
		actions := 0
		for _, b := range wireBlocks(t, m) {
			if b.Type == "actions" {
				actions++
			}
		}
		if actions != c.wantActions {
			t.Errorf("announcement %v: %d action blocks, want %d", c.announcement, actions, c.wantActions)
		}
	}
}
