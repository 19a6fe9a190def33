package httpapi_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/httpapi"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// boundConfig is a fleet's config: standard's first stage is 30 days
// before the deadline, slow's 7 days; the rotation period is 180 days.
const boundConfig = `database: notifier.db
timezone: UTC
http:
  listen: 127.0.0.1:0
%s
policies:
  standard:
    - {before: 30d, channels: [out]}
    - {after: 0s, channels: [out]}
  slow:
    - {before: 7d, channels: [out]}
channels:
  out: {type: stdout}
credentials:
%s`

// fleetCred is a credential whose deadline is in days days (negative:
// overdue).
type fleetCred struct {
	id, owner, policy string
	days              int
}

// metricsFleet syncs the credentials with the http.metrics block given
// (indented under http:, "" for the defaults) and serves /metrics; it
// returns a scrape and the engine, at now.
func metricsFleet(t *testing.T, metricsBlock string, creds []fleetCred) (func() map[string]*dto.MetricFamily, *engine.Engine, time.Time) {
	t.Helper()
	now := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	var lines strings.Builder
	for _, c := range creds {
		fmt.Fprintf(&lines, "  - {id: %s, name: %s, owner: %s, policy: %s, rotated_at: %s}\n",
			c.id, c.id, c.owner, c.policy, now.AddDate(0, 0, c.days-180).Format(time.RFC3339))
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, fmt.Appendf(nil, boundConfig, metricsBlock, lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadMain(path, func(*time.Location) time.Time { return now }, func(string) (string, bool) { return "", false }, registry.Default())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := engine.New(st, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	m := httpapi.NewMetrics()
	m.SetClock(func() time.Time { return now })
	api := httptest.NewServer(m.Handler(st, eng.Config, slog.New(slog.NewTextHandler(tlog{t}, nil))))
	t.Cleanup(api.Close)
	scrape := func() map[string]*dto.MetricFamily {
		t.Helper()
		resp, err := http.Get(api.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/metrics: %d", resp.StatusCode)
		}
		return parseMetrics(t, resp.Body)
	}
	return scrape, eng, now
}

// labelsOf is the values of label in the family's series, sorted.
func labelsOf(fams map[string]*dto.MetricFamily, name, label string) []string {
	var out []string
	for _, m := range fams[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestMetricsPerCredentialWindow: only credentials overdue or due within
// the window have series of their own.
func TestMetricsPerCredentialWindow(t *testing.T) {
	creds := []fleetCred{{"overdue", "a", "standard", -3}, {"in-29", "a", "standard", 29}, {"in-31", "a", "standard", 31}, {"in-90", "a", "slow", 90}}
	tests := []struct {
		name, block string
		want        []string
	}{
		{"default: overdue or due within 30 days", "", []string{"in-29", "overdue"}},
		{"a wider window", "  metrics: {per_credential_within: 60d}", []string{"in-29", "in-31", "overdue"}},
		{"0 disables them", "  metrics: {per_credential_max: 0}", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scrape, _, _ := metricsFleet(t, tc.block, creds)
			fams := scrape()
			for _, name := range []string{"notifier_credential_deadline_timestamp_seconds", "notifier_credential_acknowledged"} {
				if got := labelsOf(fams, name, "credential"); !slices.Equal(got, tc.want) {
					t.Errorf("%s: credentials %v, want %v", name, got, tc.want)
				}
			}
			if got := value(fams, "notifier_credential_series_left_out"); got != 0 {
				t.Errorf("left out = %v, want 0", got)
			}
		})
	}
}

// TestMetricsSeriesBounded: a fleet bigger than the caps gives exactly the
// capped number of series, the soonest deadlines, and says how many were
// left out.
func TestMetricsSeriesBounded(t *testing.T) {
	const n, credMax, ownersMax = 60, 25, 10
	var creds []fleetCred
	for i := range n {
		creds = append(creds, fleetCred{fmt.Sprintf("cred-%02d", i), fmt.Sprintf("owner-%02d", i), "standard", 20 - i%20})
	}
	scrape, eng, now := metricsFleet(t, fmt.Sprintf("  metrics: {per_credential_max: %d, owners_max: %d}", credMax, ownersMax), creds)
	fams := scrape()
	status, err := eng.Status(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(status, func(a, b engine.CredentialStatus) int {
		return cmpOr(a.Deadline.Compare(b.Deadline), strings.Compare(a.ID, b.ID))
	})
	var soonest []string
	for _, s := range status[:credMax] {
		soonest = append(soonest, s.ID)
	}
	slices.Sort(soonest)
	for _, name := range []string{"notifier_credential_deadline_timestamp_seconds", "notifier_credential_acknowledged"} {
		if got := labelsOf(fams, name, "credential"); !slices.Equal(got, soonest) {
			t.Errorf("%s: %d series %v, want the %d soonest %v", name, len(got), got, credMax, soonest)
		}
	}
	if got := value(fams, "notifier_credential_series_left_out"); got != n-credMax {
		t.Errorf("per-credential series left out = %v, want %d", got, n-credMax)
	}
	owners := labelsOf(fams, "notifier_owner_next_deadline_timestamp_seconds", "owner")
	if len(owners) != ownersMax || owners[0] != "owner-00" || owners[ownersMax-1] != "owner-09" {
		t.Errorf("owners with a next deadline: %v, want owner-00 to owner-09", owners)
	}
	if got := len(fams["notifier_credentials_by_owner"].GetMetric()); got != ownersMax*4 {
		t.Errorf("by-owner series: %d, want %d (4 states each)", got, ownersMax*4)
	}
	if got := value(fams, "notifier_owners_left_out"); got != n-ownersMax {
		t.Errorf("owners left out = %v, want %d", got, n-ownersMax)
	}
	if got := value(fams, "notifier_credentials", "state", "due"); got != n {
		t.Errorf("the aggregate counts every credential: due = %v, want %d", got, n)
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// TestMetricsAggregatesMatchStatus: the aggregates equal the counts of
// `notifier status`'s rows, computed in Go one credential at a time.
func TestMetricsAggregatesMatchStatus(t *testing.T) {
	var creds []fleetCred
	owners, policies := []string{"ana", "ben", "cy"}, []string{"standard", "slow"}
	for i := range 42 {
		creds = append(creds, fleetCred{fmt.Sprintf("c%02d", i), owners[i%3], policies[i%2], i*4 - 20}) // -20 to 144 days
	}
	scrape, eng, now := metricsFleet(t, "", creds)
	fams := scrape()
	status, err := eng.Status(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ label, value, state string }
	want := map[key]float64{}
	next := map[string]time.Time{}
	for _, s := range status {
		want[key{"", "", s.State}]++
		want[key{"owner", s.Owner, s.State}]++
		if n, ok := next[s.Owner]; !ok || s.Deadline.Before(n) {
			next[s.Owner] = s.Deadline
		}
	}
	policyOf := map[string]string{}
	for _, c := range creds {
		policyOf[c.id] = c.policy
	}
	for _, s := range status {
		want[key{"policy", policyOf[s.ID], s.State}]++
	}
	for _, st := range []string{engine.StateOK, engine.StateDue, engine.StateOverdue, engine.StateInactive} {
		if got := value(fams, "notifier_credentials", "state", st); got != want[key{"", "", st}] {
			t.Errorf("notifier_credentials{state=%q} = %v, want %v", st, got, want[key{"", "", st}])
		}
		for _, o := range owners {
			if got := value(fams, "notifier_credentials_by_owner", "owner", o, "state", st); got != want[key{"owner", o, st}] {
				t.Errorf("by owner %s, state %s = %v, want %v", o, st, got, want[key{"owner", o, st}])
			}
		}
		for _, p := range policies {
			if got := value(fams, "notifier_credentials_by_policy", "policy", p, "state", st); got != want[key{"policy", p, st}] {
				t.Errorf("by policy %s, state %s = %v, want %v", p, st, got, want[key{"policy", p, st}])
			}
		}
	}
	if want[key{"", "", engine.StateDue}] == 0 || want[key{"", "", engine.StateOverdue}] == 0 || want[key{"", "", engine.StateOK}] == 0 {
		t.Fatalf("the fleet should have ok, due and overdue credentials: %v", want)
	}
	for _, o := range owners {
		if got := value(fams, "notifier_owner_next_deadline_timestamp_seconds", "owner", o); got != float64(next[o].Unix()) {
			t.Errorf("owner %s's next deadline = %v, want %d", o, got, next[o].Unix())
		}
	}
}

// TestAlertRulesUseServedMetrics: every notifier_ metric the example alert
// rules (deploy/alerts.yml) use is served by /metrics.
func TestAlertRulesUseServedMetrics(t *testing.T) {
	data, err := os.ReadFile("../../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatalf("deploy/alerts.yml: %v", err)
	}
	scrape, _, _ := metricsFleet(t, "", []fleetCred{{"soon", "ana", "standard", 5}})
	fams := scrape()
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names := metricName.FindAllString(r.Expr, -1)
			if r.Alert == "" || len(names) == 0 {
				t.Errorf("rule %q (%q) names no notifier_ metric", r.Alert, r.Expr)
			}
			for _, name := range names {
				n++
				if len(fams[name].GetMetric()) == 0 {
					t.Errorf("alert %s uses %s, which /metrics does not serve", r.Alert, name)
				}
			}
		}
	}
	if n < 7 {
		t.Errorf("the rules use %d metrics; want at least 7 (deploy/alerts.yml read?)", n)
	}
}

// metricName is a notifier metric in a PromQL expression.
var metricName = regexp.MustCompile(`\bnotifier_[a-z_]+\b`)
