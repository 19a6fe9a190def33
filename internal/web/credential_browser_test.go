package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/testutil/browser"
)

// A responder in a real browser opens a credential from the fleet page,
// snoozes it, acknowledges it and records a rotation, each seen in the
// timeline; a viewer sees no forms and a forged form is refused. The
// screenshots are kept as artifacts.
func TestCredentialPageInChromium(t *testing.T) {
	f := newFixture(t, "10.9.9.9/32")
	ctx := browser.New(t, time.Minute)
	shot := func(name string) { t.Helper(); screenshot(t, ctx, name) }
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The timeline's "what" column, newest first.
	timeline := func() string {
		return text(`[...document.querySelectorAll('#timeline td.type')].map(e => e.textContent).join(',')`)
	}
	// after checks the confirmation and the timeline after an action.
	after := func(what, done, events string) {
		t.Helper()
		if got := text(`document.getElementById('done').textContent`); got != done {
			t.Errorf("after %s: %q, want %q", what, got, done)
		}
		if got := timeline(); got != events {
			t.Errorf("timeline after %s: %s, want %s", what, got, events)
		}
	}
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot("credential-failed.png")
			t.Fatal(err)
		}
	}
	submit := followClick
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(f.api.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "alice"),
		chromedp.SendKeys(chromedp.ID("password"), alicePassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("fleet")),
		chromedp.Click(chromedp.CSS(`#fleet a[href="/credentials/svc-001"]`)),
		chromedp.WaitVisible(chromedp.ID("cycle")),
	)
	if got := text(`document.getElementById('cred-id').textContent + ' ' + document.getElementById('state').textContent`); got != "svc-001 due" {
		t.Fatalf("opened from the fleet: %q", got)
	}
	if got := timeline(); got != "credential,rotation" {
		t.Fatalf("timeline before: %s", got)
	}
	shot("credential-page.png")

	// Snooze for a week, with a note.
	do(
		chromedp.SendKeys(chromedp.ID("ack-note"), "waiting for the vendor"),
		chromedp.SetValue(chromedp.ID("snooze"), "1w"),
		submit("ack-submit", "done"),
	)
	after("the snooze", "Snoozed.", "ack,credential,rotation")
	if got := text(`document.getElementById('ack').textContent`); !strings.HasPrefix(got, "snoozed by alice at Sun 2026-12-20 10:00 CET until Sun 2026-12-27 10:00 CET") || !strings.Contains(got, "waiting for the vendor") {
		t.Errorf("the cycle after the snooze: %q", got)
	}
	shot("credential-snoozed.png")

	// Acknowledge for the cycle (a snooze may be followed by one).
	do(
		chromedp.SendKeys(chromedp.ID("ack-note"), "rotating today"),
		submit("ack-submit", "done"),
	)
	after("the ack", "Acknowledged.", "ack,ack,credential,rotation")
	// A rotation dated ahead of the clock is refused on the page (the
	// field's max, which stops the browser sending it, removed first).
	do(
		chromedp.Evaluate[chromedp.Void](`document.getElementById('rotate-at').removeAttribute('max'); undefined`),
		chromedp.SetValue(chromedp.ID("rotate-at"), "2026-12-24T10:00"),
		submit("rotate-submit", "error"),
	)
	if got := text(`document.getElementById('error').textContent`); !strings.HasPrefix(got, "Refused: ") || !strings.Contains(got, "in the future") {
		t.Errorf("a rotation in the future: %q", got)
	}
	shot("credential-refused.png")
	// "I rotated it", now, with a note.
	do(
		chromedp.SetValue(chromedp.ID("rotate-at"), ""),
		chromedp.SendKeys(chromedp.ID("rotate-note"), "new secret in the vault"),
		submit("rotate-submit", "done"),
	)
	if got := text(`document.getElementById('state').textContent + ' ' + document.getElementById('rotation').textContent`); got != "ok Sun 2026-12-20 10:00 CET (http, by alice)" {
		t.Errorf("after the rotation: %q", got)
	}
	after("the rotation", "Rotation recorded; a new cycle started.", "rotation,ack,ack,credential,rotation")
	shot("credential-rotated.png")
	do(chromedp.EmulateViewport(390, 844))
	shot("credential-phone.png")

	// A viewer: no forms; a form forged in the page is refused.
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.SendKeys(chromedp.ID("user"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), bobPassword),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("fleet")),
		chromedp.Navigate(f.api.URL+"/credentials/svc-004"),
		chromedp.WaitVisible(chromedp.ID("cycle")),
	)
	if n := text(`String(document.querySelectorAll('#ack-form, #rotate-form').length)`); n != "0" {
		t.Errorf("a viewer is shown %s action forms", n)
	}
	_ = text(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = '/credentials/svc-004/ack';
		const c = document.createElement('input'); c.name = 'csrf'; c.value = document.querySelector('input[name=csrf]').value; f.appendChild(c);
		document.body.appendChild(f); f.submit(); return ''; })()`)
	do(chromedp.WaitVisible(chromedp.CSS(`pre`))) // the refusal, as plain text
	if got := text(`document.body.textContent`); !strings.Contains(got, "console: viewers cannot act; ask for the responder role") {
		t.Errorf("a viewer's forged form: %q", got)
	}
	shot("credential-viewer-refused.png")
	if n := len(f.events("svc-004", domain.EventAck)); n != 0 {
		t.Errorf("the viewer's form recorded %d acknowledgments", n)
	}

	// The auditor's view (a viewer may read it): the period's report,
	// the chain's head, and "verify now" walking the history.
	do(
		chromedp.Navigate(f.api.URL+"/audit?from=2026-01-01&until=2027-01-01"),
		chromedp.WaitVisible(chromedp.ID("chain")),
		followClick("verify", "verify-result"),
	)
	if got := text(`document.getElementById('verify-result').textContent`); !strings.HasPrefix(got, "OK: ") || !strings.Contains(got, " events verified") {
		t.Errorf("verify now: %q", got)
	}
	if got := text(`document.getElementById('head-id').textContent`); !strings.HasSuffix(got, "(the head's event number)") {
		t.Errorf("the chain's head: %q", got)
	}
	if got := text(`document.getElementById('report-csv').getAttribute('href')`); got != "/audit/report.csv?from=2026-01-01&until=2027-01-01" {
		t.Errorf("the CSV link: %q", got)
	}
	shot("console-audit.png")
}

// screenshot keeps a full-page screenshot of the browser's page as the
// test's artifact named name, and logs its path.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("%s: not an image", name)
	}
	t.Logf("screenshot: %s", browser.Artifact(t, name, png))
}
