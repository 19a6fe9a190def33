package slack

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
)

// MaxBlocks is how many blocks Slack takes in one message.
const MaxBlocks = 50

// DigestBlocks renders a digest within Slack's limits: a header with the
// summary, then per section a title and its rows, one a line, packed into
// section blocks of at most 3000 characters. When the rows need more than
// MaxBlocks blocks, the last block says how many were left out ("… and N
// more"): one digest is one message, never a burst of them.
func DigestBlocks(d *channels.Digest) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(truncate("Credential digest: "+d.Summary(), maxHeader))),
		slack.NewContextBlock("", mrkdwn(escape(d.At.Format(channels.DateLayout)))),
	}
	left := d.Total() // rows not yet in a block
	var buf strings.Builder
	bufRows := 0
	flush := func() bool {
		if buf.Len() == 0 {
			return true
		}
		if len(blocks) >= MaxBlocks-1 { // one kept for "and N more"
			return false
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(buf.String()), nil, nil))
		left -= bufRows
		buf.Reset()
		bufRows = 0
		return true
	}
	add := func(line string, row bool) bool {
		line = truncate(line, maxSection-1)
		if buf.Len()+len(line)+1 > maxSection && !flush() {
			return false
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if row {
			bufRows++
		}
		return true
	}
sections:
	for _, s := range d.Sections {
		if len(s.Rows) == 0 {
			continue
		}
		if !flush() || !add("*"+escape(s.Title)+" ("+strconv.Itoa(len(s.Rows))+")*", false) {
			break
		}
		for _, r := range s.Rows {
			if !add("• "+digestLine(r), true) {
				break sections
			}
		}
	}
	flush()
	if left > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(
			"… and "+strconv.Itoa(left)+" more (a Slack message holds 50 blocks); `notifier status` lists them all")))
	}
	return blocks
}

// digestLine is a row in mrkdwn, every value escaped.
func digestLine(r channels.DigestRow) string {
	return "`" + escape(strings.ReplaceAll(r.Credential, "`", "'")) + "` " + escape(strings.TrimPrefix(r.Line(), r.Credential))
}
