package engine

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// TestProbeDue: the daemon's pass probes a secret when its lwa.probe
// interval has passed since the last probe (any outcome), not before, and
// not a credential without probe:. The LWA endpoint is httptest (Amazon's
// cannot be reached from tests).
func TestProbeDue(t *testing.T) {
	var calls atomic.Int32
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	r := newProbeRig(t, t0, nil, &calls, `
  - id: unprobed
    rotated_at: 2026-06-01
    lwa: {client_id: amzn1.application-oa2-client.a2, client_secret: "${LWA_SECRET}", refresh_token: "${LWA_REFRESH}", token_url: "{{lwa}}"}
`)
	e, store := r.e, r.store
	if err := e.Sync(t.Context(), t0); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at    time.Time
		calls int32
	}{
		{t0, 1},                      // never probed
		{t0.Add(23 * time.Hour), 1},  // within the interval
		{t0.Add(24 * time.Hour), 2},  // the interval has passed
		{t0.Add(25 * time.Hour), 2},  // probed an hour ago
		{t0.Add(100 * time.Hour), 3}, // after downtime: once, not once per missed day
	}
	for _, st := range steps {
		res := e.ProbeDue(t.Context(), st.at)
		if got := calls.Load(); got != st.calls {
			t.Errorf("at %s: %d probes in all, want %d (%+v)", st.at, got, st.calls, res)
		}
		for _, r := range res {
			if r.CredentialID != "probed" || r.Outcome != domain.ProbeOK {
				t.Errorf("at %s: %+v", st.at, r)
			}
		}
	}
	last, err := store.LastProbes(t.Context())
	if err != nil || !last["probed"].Verified.Equal(t0.Add(100*time.Hour)) {
		t.Errorf("last probes = %+v, %v", last, err)
	}
}

// TestProbeThatCannotReachAmazonIsAProblem: a probe without an answer
// (a 503) opens the admins' problem once; a second such probe does not
// tell it again; the next answer clears it. The LWA endpoint is httptest.
func TestProbeThatCannotReachAmazonIsAProblem(t *testing.T) {
	var down atomic.Bool
	t0 := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	r := newProbeRig(t, t0, &down, nil, "")
	if err := r.e.Sync(t.Context(), t0); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	for i := range 2 {
		if res, err := r.e.Probe(t.Context(), "probed", t0.Add(time.Duration(i)*time.Hour)); err != nil || res.Outcome != domain.ProbeFailed {
			t.Fatalf("probe %d: %+v, %v", i, res, err)
		}
	}
	down.Store(false)
	if _, err := r.e.Probe(t.Context(), "probed", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	evs, err := r.store.History(t.Context(), domain.HistoryFilter{Type: domain.EventNotice})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Stage+" "+ev.Status)
	}
	if want := []string{ProblemProbe + "probed started", ProblemProbe + "probed cleared"}; !slices.Equal(got, want) {
		t.Errorf("notices %q, want %q", got, want)
	}
}

// newProbeRig is an engine whose credential "probed" has lwa.probe: 24h
// against an httptest LWA endpoint (Amazon's cannot be reached from
// tests) that answers with an access token, or 503 while down (if given)
// says so; calls (if given) counts its requests. extra is more
// credentials, {{lwa}} standing for the endpoint's URL.
func newProbeRig(t *testing.T, t0 time.Time, down *atomic.Bool, calls *atomic.Int32, extra string) *amazonRig {
	t.Helper()
	lwa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls != nil {
			calls.Add(1)
		}
		if down != nil && down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"access_token":"Atza|x"}`)
	}))
	t.Cleanup(lwa.Close)
	t.Setenv("LWA_SECRET", "probe-rig-SEKRIT")
	t.Setenv("LWA_REFRESH", "Atzr|probe-rig-REFRESH")
	body := `policies:
  standard:
    - {before: 30d, channels: [console]}
channels:
  console: {type: stdout}
credentials:
  - id: probed
    rotated_at: 2026-06-01
    lwa: {client_id: amzn1.application-oa2-client.a1, client_secret: "${LWA_SECRET}", refresh_token: "${LWA_REFRESH}", token_url: "{{lwa}}", probe: 24h}
` + strings.TrimPrefix(extra, "\n")
	return newAmazonRig(t, strings.ReplaceAll(body, "{{lwa}}", lwa.URL), t0, nil)
}
