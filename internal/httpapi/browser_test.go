package httpapi_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/notifier-dev/notifier/internal/testutil/browser"
)

// The ack page in a real browser: open the link from the webhook, type a
// name, submit, and read the confirmation back; the page loads nothing
// from elsewhere (its CSP would refuse it) and a screenshot is kept as an
// artifact.
func TestAckPageInChromium(t *testing.T) {
	f := newFixture(t)
	link := f.tick()
	ctx := browser.New(t, time.Minute)
	err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("by")),
	)
	if err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("title")))
	if err != nil {
		t.Fatal(err)
	}
	if title != "Acknowledge this reminder" {
		t.Errorf("the page's title is %q", title)
	}
	if n := len(f.acks()); n != 0 {
		t.Fatalf("opening the page recorded %d acknowledgments", n)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("by"), "Alice Admin"),
		chromedp.SendKeys(chromedp.ID("note"), "rotating after lunch"),
		chromedp.Click(chromedp.ID("ack")),
		chromedp.WaitVisible(chromedp.ID("message")),
	)
	if err != nil {
		t.Fatal(err)
	}
	title, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("title")))
	if err != nil {
		t.Fatal(err)
	}
	acked, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("acknowledged")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Acknowledged" || !strings.HasPrefix(acked, "by Alice Admin at ") {
		t.Errorf("after submitting: title %q, acknowledged %q", title, acked)
	}
	evs := f.acks()
	if len(evs) != 1 || evs[0].Actor != "Alice Admin" || evs[0].Status != "http" {
		t.Errorf("history: %+v, want one acknowledgment by Alice Admin via http", evs)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatalf("the screenshot is not a PNG")
	}
	t.Logf("screenshot: %s", browser.Artifact(t, "ack-page.png", shot))
}
