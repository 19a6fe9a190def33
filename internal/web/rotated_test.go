package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/web"
)

// rotatedRE is the "rotated <date>" beside a row's state.
var rotatedRE = regexp.MustCompile(`<span class="rotated">rotated ([0-9-]+)</span>`)

// TestRotatedState: "rotated" is the credentials whose current cycle
// began with a rotation notifier saw in the last 7 days (the old LWA
// secret's life): the filter of the API and of the page, the count at the
// top and the row's "rotated <date>" all say the same, and a credential
// just added (its first cycle), a rotation 8 days ago, a retracted one
// and a retired credential are not in it.
func TestRotatedState(t *testing.T) {
	f, dir, write := newConsoleFixture(t)
	old := f.now.AddDate(0, 0, -100)
	creds := func(moved time.Time, retired bool) string {
		var b strings.Builder
		b.WriteString("credentials:\n")
		line := func(id string, at time.Time) {
			fmt.Fprintf(&b, "  - {id: %s, owner: team-a, policy: standard, rotated_at: %s}\n", id, at.Format(time.RFC3339))
		}
		for _, id := range []string{"plain", "rot-3d", "rot-8d", "retracted"} {
			line(id, old)
		}
		line("moved", moved)
		line("new-2d", f.now.AddDate(0, 0, -2)) // added with a rotation 2 days ago: its first cycle
		if !retired {
			line("retired", old)
		}
		return b.String()
	}
	write("credentials.yaml", creds(old, false))
	write("config.yaml", fmt.Sprintf(apiConfig, sha(readerToken), fmt.Sprintf(ciLine, sha(ciToken))))
	cfg := f.loadConfig(dir)
	f.store, f.eng = syncedEngine(t, cfg, f.clock)
	for _, r := range []struct {
		id   string
		days int
	}{{"rot-3d", 3}, {"rot-8d", 8}, {"retracted", 2}, {"retired", 1}} {
		if err := f.eng.Rotate(t.Context(), engine.Rotation{Credential: r.id, At: f.now.AddDate(0, 0, -r.days), By: "alice", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.eng.Retract(t.Context(), domain.Retraction{CredentialID: "retracted", Kind: domain.RetractRotation, TargetAt: f.now.AddDate(0, 0, -2),
		At: f.now, Actor: "alice", Reason: "recorded by mistake"}); err != nil {
		t.Fatal(err)
	}
	// The operator's record: rotated_at moved forward a day ago; and
	// "retired" removed from the config.
	write("credentials.yaml", creds(f.now.AddDate(0, 0, -1), true))
	if err := f.eng.SetConfig(f.loadConfig(dir)); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Sync(t.Context(), f.now); err != nil {
		t.Fatal(err)
	}
	f.serve(cfg)
	c := f.client()
	f.login(c, "bob", bobPassword)

	want := []string{"moved", "rot-3d"}
	wantDate := map[string]string{"moved": "2026-12-19", "rot-3d": "2026-12-17"}
	for _, sort := range []string{"", "&sort=deadline"} {
		want := want
		if sort != "" {
			want = []string{"rot-3d", "moved"} // rot-3d's deadline is 2 days sooner
		}
		api := f.apiAll("state=rotated"+sort, 1)
		page := f.pageAll(c, "state=rotated"+sort)
		var apiIDs, pageIDs []string
		for i, a := range api {
			apiIDs = append(apiIDs, a.ID)
			if !a.RecentlyRotated || a.State != "ok" || a.RotatedAt == nil || a.RotatedAt.Format("2006-01-02") != wantDate[a.ID] {
				t.Errorf("state=rotated%s: the API lists %s as %s, recently rotated %v at %v", sort, a.ID, a.State, a.RecentlyRotated, a.RotatedAt)
			}
			if i < len(page) && page[i].State != a.State {
				t.Errorf("state=rotated%s: %s is %s in the API, %s on the page", sort, a.ID, a.State, page[i].State)
			}
		}
		for _, p := range page {
			pageIDs = append(pageIDs, p.ID)
		}
		if strings.Join(apiIDs, ",") != strings.Join(want, ",") || strings.Join(pageIDs, ",") != strings.Join(want, ",") {
			t.Errorf("state=rotated%s: the API lists %v, the page %v; want %v", sort, apiIDs, pageIDs, want)
		}
	}

	// The whole fleet: "rotated <date>" beside exactly those rows' state,
	// and the API's recently_rotated on exactly those.
	var all web.APIPage
	f.get(readerToken, "/api/v1/credentials?limit=100", &all)
	var flagged []string
	for _, a := range all.Credentials {
		if a.RecentlyRotated {
			flagged = append(flagged, a.ID)
		}
	}
	if strings.Join(flagged, ",") != strings.Join(want, ",") {
		t.Errorf("the API marks %v recently rotated, want %v", flagged, want)
	}
	_, body := f.do(c, "GET", "/", nil, nil)
	got := map[string]string{}
	for _, tr := range strings.SplitAfter(body, "</tr>") {
		id, rot := idRE.FindStringSubmatch(tr), rotatedRE.FindStringSubmatch(tr)
		if id != nil && rot != nil {
			got[id[1]] = rot[1]
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantDate) {
		t.Errorf("the page shows rotated beside %v, want %v", got, wantDate)
	}
	m := regexp.MustCompile(`rotated \(7 days\) <strong id="count-rotated">(\d+)</strong>`).FindStringSubmatch(body)
	if m == nil || m[1] != fmt.Sprint(len(want)) {
		t.Errorf("the count of rotated at the top: %v, want %d", m, len(want))
	}
}
