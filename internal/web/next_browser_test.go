package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/notifier-dev/notifier/internal/testutil/browser"
)

// The channel filter and the Next column in a real browser: sign in,
// choose the channel pager (only an escalation sends there), and read a
// row's next step, which is plan's first row for it.
func TestConsoleChannelFilterAndNextInChromium(t *testing.T) {
	f := newNextFixture(t)
	ctx := browser.New(t, time.Minute)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(f.api.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), bobPassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("fleet")),
		chromedp.SetValue(chromedp.ID("channel"), "pager"),
		followClick("apply", "fleet"),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "channel=pager") {
		t.Errorf("the URL does not hold the filter: %s (%v)", loc, err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#fleet tbody tr')].map(r => r.querySelector('.id').textContent + '=' + r.querySelector('.next').textContent).join('\n')`))
	if err != nil {
		t.Fatal(err)
	}
	plan := f.planFirst("routed-a")
	if plan == nil {
		t.Fatal("plan shows nothing for routed-a")
	}
	want := fmt.Sprintf("routed-a=%s reminder to owners on %s; owners to owner team-a's webhook", plan.Stage, plan.At.Format("Mon 2006-01-02 15:04 MST"))
	if got := strings.Split(rows, "\n"); len(got) != 4 || got[0] != want || got[1] != "routed-acked=nothing until rotated (acknowledged)" {
		t.Errorf("channel=pager rows:\n%s\nwant 4: %q first, then routed-acked's nothing", rows, want)
	}
	screenshot(t, ctx, "console-fleet-channel-next.png")
}
