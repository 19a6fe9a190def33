package slack

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/notifier-dev/notifier/internal/channels"
)

// ActionID and BlockID identify the Acknowledge button in the interaction
// payload Slack POSTs when someone clicks it; the button's value is the
// delivery id in decimal. The snooze buttons beside it are the other
// action ids of buttons.
const (
	ActionID = "notifier_ack"
	BlockID  = "notifier_actions"
)

// buttons are the actions block's buttons, in order: action id, label and
// the action it means (channels.Action…).
var buttons = []struct{ id, label, action string }{
	{ActionID, "Acknowledge", channels.ActionAcknowledge},
	{"notifier_snooze_1d", "Snooze 1 day", channels.ActionSnoozeDay},
	{"notifier_snooze_1w", "Snooze 1 week", channels.ActionSnoozeWeek},
	{"notifier_snooze_next_stage", "Until next stage", channels.ActionSnoozeNextStage},
}

// Slack's limits on text objects, in characters.
const (
	maxHeader  = 150
	maxSection = 3000
	maxField   = 2000
)

// Emoji is the emoji code shown in the header for an urgency.
func Emoji(u channels.Urgency) string {
	switch u {
	case channels.UrgencyOverdue:
		return ":red_circle:"
	case channels.UrgencyCritical:
		return ":rotating_light:"
	case channels.UrgencyWarning:
		return ":warning:"
	default:
		return ":calendar:"
	}
}

// Color is the attachment colour for an urgency.
func Color(u channels.Urgency) string {
	switch u {
	case channels.UrgencyOverdue:
		return "#8B0000" // dark red
	case channels.UrgencyCritical:
		return "#E01E5A" // Slack red
	case channels.UrgencyWarning:
		return "#ECB22E" // Slack yellow
	default:
		return "#36C5F0" // Slack blue
	}
}

func urgencyLabel(u channels.Urgency) string {
	switch u {
	case channels.UrgencyOverdue:
		return "Overdue"
	case channels.UrgencyCritical:
		return "Critical: final notice"
	case channels.UrgencyWarning:
		return "Warning"
	default:
		return "Notice"
	}
}

// Header is the header block's text: the emoji, the credential's name and
// its status; "OVERDUE" leads once the deadline has passed.
func Header(m channels.Message) string {
	var b strings.Builder
	b.WriteString(Emoji(m.Urgency()))
	b.WriteString(" ")
	if m.Test {
		b.WriteString("[test] ")
	}
	if m.Overdue {
		b.WriteString("OVERDUE: ")
		b.WriteString(m.Name)
		b.WriteString(" (" + m.Status() + ")")
	} else {
		b.WriteString(m.Name)
		b.WriteString(": " + m.Status())
	}
	return truncate(b.String(), maxHeader)
}

// Blocks renders m as Block Kit blocks, the same for chat.postMessage and
// incoming webhooks:
//
//   - a header: emoji, name and status ("OVERDUE" when overdue);
//   - for a test message, a line saying so;
//   - the rendered template text (m.Text);
//   - how to rotate (m.Runbook, m.RunbookURL) and what breaks (m.Impact);
//   - fields: Deadline, Owner, Credential, Stage;
//   - "Acknowledged by … at …" when acknowledged, "Snoozed by … until …"
//     while a snooze lasts (m.AckState); otherwise, with "Snooze by …
//     ended …" after one, (and unless it
//     is a test) an actions block BlockID with the Acknowledge button
//     ActionID and the snooze buttons (1 day, 1 week, until the next
//     stage), each of whose value is the delivery id, and, when m.AckURL is set, a
//     context block linking to it.
func Blocks(m channels.Message) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(Header(m))),
	}
	if m.Test {
		blocks = append(blocks, slack.NewContextBlock("",
			mrkdwn(":test_tube: This is a test message from notifier; no action is needed.")))
	}
	if strings.TrimSpace(m.Text) != "" {
		// plain_text: the template is shared with email and SNS, so it is
		// not Slack markup (an id like sp_api_key must not turn italic).
		blocks = append(blocks, slack.NewSectionBlock(plain(truncate(m.Text, maxSection)), nil, nil))
	}
	stage := m.Stage
	if m.Seq > 0 {
		stage += " (repeat " + strconv.Itoa(m.Seq) + ")"
	}
	owner := m.Owner
	if owner == "" {
		owner = "—"
	}
	blocks = append(blocks, runbookBlocks(m)...)
	blocks = append(blocks, slack.NewSectionBlock(nil, []*slack.TextBlockObject{
		field("Deadline", escape(m.Deadline.Format(channels.DateLayout))),
		field("Owner", escape(owner)),
		field("Credential", "`"+escape(strings.ReplaceAll(m.Credential, "`", "'"))+"`"),
		field("Stage", escape(stage)),
	}, nil))

	switch {
	case m.Acknowledged:
		emoji := ":white_check_mark: "
		if !m.SnoozedUntil.IsZero() {
			emoji = ":zzz: "
		}
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(truncate(emoji+escape(m.AckState()), maxField))))
	case !m.Test && !m.Announcement:
		if !m.SnoozedUntil.IsZero() { // the snooze ended: the ladder resumed
			blocks = append(blocks, slack.NewContextBlock("", mrkdwn(truncate(":alarm_clock: "+escape(m.AckState()), maxField))))
		}
		elems := make([]slack.BlockElement, len(buttons))
		for i, b := range buttons {
			button := slack.NewButtonBlockElement(b.id, strconv.FormatInt(m.DeliveryID, 10), plain(b.label))
			if i == 0 {
				button.Style = slack.StylePrimary
			}
			elems[i] = button
		}
		blocks = append(blocks, slack.NewActionBlock(BlockID, elems...))
		if m.AckURL != "" {
			blocks = append(blocks, slack.NewContextBlock("",
				mrkdwn(truncate("Or acknowledge in the browser: <"+escape(m.AckURL)+"|"+escape(m.AckURL)+">", maxField))))
		}
	}
	return blocks
}

// runbookBlocks say how to rotate and what breaks if nobody does: the
// runbook's text as plain_text (no markup, mention or link of its own
// survives), its URL as one link, the impact escaped. The text and the
// impact are left out where the rendered template (m.Text) says them
// already, as the default one does.
func runbookBlocks(m channels.Message) []slack.Block {
	var blocks []slack.Block
	if strings.TrimSpace(m.Runbook) != "" && !strings.Contains(m.Text, m.Runbook) {
		blocks = append(blocks, slack.NewSectionBlock(plain(truncate("How to rotate:\n"+m.Runbook, maxSection)), nil, nil))
	}
	var ctx []string
	if m.RunbookURL != "" {
		label := "*How to rotate:* "
		if strings.TrimSpace(m.Runbook) != "" {
			label = "*Runbook:* "
		}
		// The config refuses a URL with <, > or |; escape in depth.
		u := escape(strings.ReplaceAll(m.RunbookURL, "|", "%7C"))
		ctx = append(ctx, label+"<"+u+"|"+u+">")
	}
	if m.Impact != "" && !strings.Contains(m.Text, m.Impact) {
		ctx = append(ctx, "*If nobody rotates:* "+escape(m.Impact))
	}
	if len(ctx) > 0 {
		elems := make([]slack.MixedElement, len(ctx))
		for i, c := range ctx {
			elems[i] = mrkdwn(truncate(c, maxField))
		}
		blocks = append(blocks, slack.NewContextBlock("", elems...))
	}
	return blocks
}

// Attachment carries the urgency colour as a strip under the blocks.
func Attachment(m channels.Message) slack.Attachment {
	return slack.Attachment{
		Color:    Color(m.Urgency()),
		Fallback: m.Subject,
		Text:     urgencyLabel(m.Urgency()) + " · " + escape(m.Status()),
		Footer:   "notifier",
	}
}

// fallback is the message's top-level text: what notifications and clients
// without Block Kit show. mention leads it for overdue and final messages, so
// that the mention notifies.
func fallback(m channels.Message, mention string) string {
	text := m.Subject
	if text == "" {
		text = Header(m)
	}
	text = escape(text)
	if mention != "" && !m.Test && (m.Overdue || m.Final) {
		text = mention + " " + text
	}
	return text
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func field(label, value string) *slack.TextBlockObject {
	return mrkdwn(truncate("*"+label+"*\n"+value, maxField))
}

// escape makes s literal in Slack's mrkdwn: &, < and > are control
// characters there.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// truncate cuts s to at most n characters (runes), marking the cut with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
