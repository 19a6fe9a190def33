package browser

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The helper drives a real page: a form is filled in and submitted, and
// the server's answer is read back from the rendered page.
func TestFormRoundTrip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			fmt.Fprintf(w, `<html><body><p id="done">thanks, %s</p></body></html>`, r.FormValue("by"))
			return
		}
		fmt.Fprint(w, `<html><body><form method="post"><input id="by" name="by"><button id="go">Send</button></form></body></html>`)
	}))
	defer srv.Close()
	ctx := New(t, time.Minute)
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.SendKeys(chromedp.ID("by"), "alice"),
		chromedp.Click(chromedp.ID("go")),
	)
	if err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("done")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if got != "thanks, alice" {
		t.Errorf("page says %q, want %q", got, "thanks, alice")
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(shot))
	}
	path := Artifact(t, "form.png", shot)
	if st, err := os.Stat(path); err != nil || st.Size() != int64(len(shot)) {
		t.Errorf("artifact %s: %v", path, err)
	}
}
