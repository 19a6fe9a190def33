package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/notifier-dev/notifier/internal/testutil/browser"
)

// The console in a real browser: sign in, filter the fleet, page forward,
// read it on a phone's width, sign out. Screenshots are kept as artifacts
// (their paths are logged).
func TestConsoleInChromium(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	ctx := browser.New(t, time.Minute)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }
	ids := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#fleet .id')].map(e => e.textContent).join(',')`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(f.api.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("error")),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot("console-login-refused.png")
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("user"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("fleet")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(); !strings.HasPrefix(got, "svc-000,svc-001,") || strings.Count(got, ",") != 49 {
		t.Fatalf("the first page: %s", got)
	}
	shot("console-fleet.png")
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("state"), "overdue"),
		chromedp.SendKeys(chromedp.ID("owner"), "team-a"),
		followClick("apply", "fleet"),
	)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "state=overdue") || !strings.Contains(loc, "owner=team-a") {
		t.Errorf("the URL does not hold the filter: %s", loc)
	}
	if got := ids(); got != strings.Join(svc(span(2, 120, 6)...), ",") {
		t.Fatalf("filtered: %s", got)
	}
	shot("console-fleet-filtered.png")
	// Page forward through the whole fleet; the hostile name is shown
	// escaped and cut.
	err = chromedp.Do(ctx,
		chromedp.Navigate(f.api.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("next")),
		followClick("next", "next"),
		followClick("next", "first"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(); !strings.HasPrefix(got, "svc-100,") || !strings.HasSuffix(got, ",zz-hostile") {
		t.Fatalf("the third page: %s", got)
	}
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#fleet script, #fleet img, #fleet b').length`))
	if err != nil || scripts != 0 {
		t.Errorf("the hostile name made %d elements (%v)", scripts, err)
	}
	shot("console-fleet-page3.png")
	err = chromedp.Do(ctx, chromedp.EmulateViewport(390, 844))
	if err != nil {
		t.Fatal(err)
	}
	shot("console-fleet-phone.png")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.Navigate(f.api.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("signin")),
	)
	if err != nil {
		t.Fatal(err)
	}
	shot("console-signed-out.png")
}

// followClick clicks the element with id button and waits for the element
// with id wait on the page the click leads to: the page it leaves is
// marked first, so that the same element on the old page (the fleet
// table, the next link) is not taken for the new one.
func followClick(button, wait string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.left = "1"; undefined`),
		chromedp.Click(chromedp.ID(button)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-left]) #`+wait)),
	)
}
