package main

// End-to-end test of /metrics after a write, through the binary: the
// daemon reads the database for /metrics after its start-up tick, and a
// scrape right after an acknowledgment shows it, however young the
// answer read before it.

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestEndToEndScrapeRightAfterAnAckShowsIt runs the daemon on
// ackDBConfig (one credential due, an ack link in its reminder).
func TestEndToEndScrapeRightAfterAnAckShowsIt(t *testing.T) {
	hook := newHook(t)
	arrived := make(chan struct{}, 10)
	hook.onPost = func() { arrived <- struct{}{} }
	addr := freeAddr(t)
	base := "http://" + addr
	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	rotated := time.Now().UTC().AddDate(0, 0, -175).Format(time.RFC3339)
	if err := os.WriteFile(config, fmt.Appendf(nil, ackDBConfig, addr, addr, hook.srv.URL, rotated), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NOTIFIER_ACK_SECRET", e2eAckSecret)
	d := startDaemon(t, dir, config)
	d.await(t, "notifier running", 60*time.Second) // after the start-up tick
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatalf("the reminder did not arrive:\n%s", d.logs())
	}
	got := hook.take()
	if len(got) != 1 || got[0].Credential != "sp-api-prod" {
		t.Fatalf("the start-up tick sent %+v, want one reminder of sp-api-prod", got)
	}

	acked := func(when string) float64 {
		t.Helper()
		code, body := httpGet(t, base+"/metrics")
		if code != 200 {
			t.Fatalf("/metrics %s: %d", when, code)
		}
		p := expfmt.NewTextParser(model.LegacyValidation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("/metrics %s does not parse: %v", when, err)
		}
		for _, m := range fams["notifier_credential_acknowledged"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "credential" && l.GetValue() == "sp-api-prod" {
					return m.GetGauge().GetValue()
				}
			}
		}
		t.Fatalf("/metrics %s has no notifier_credential_acknowledged of sp-api-prod:\n%s", when, body)
		return 0
	}
	if v := acked("before the ack"); v != 0 {
		t.Fatalf("acknowledged before the ack = %v, want 0", v)
	}
	if code, body := httpPostForm(t, got[0].AckURL, url.Values{"by": {"alice"}}); code != 200 || !strings.Contains(body, "Thank you, alice") {
		t.Fatalf("POST %s: %d\n%s", got[0].AckURL, code, body)
	}
	// Within MetricsInterval (15 s) of the read before: the ack is a
	// write the daemon recorded, so the shared answer is read again.
	if v := acked("right after the ack"); v != 1 {
		t.Errorf("acknowledged right after the ack = %v, want 1 (the answer read before the ack was served)", v)
	}
	d.terminate(t, 30*time.Second)
}
