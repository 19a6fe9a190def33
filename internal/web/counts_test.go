package web_test

import (
	"net/http"
	"regexp"
	"runtime"
	"sync"
	"testing"

	"github.com/notifier-dev/notifier/internal/web"
)

var countRE = regexp.MustCompile(`<strong id="count-([^"]+)">(\d+)</strong>`)

// TestFirstPagesCountTheFleetOnce: many fleet pages asked at once of a
// daemon that has not counted yet count the fleet once, together; they
// do not each read the whole fleet (at a million credentials, 50 clients
// at once ran 50 full counts, each on a connection with its page cache,
// and no page was answered for a minute).
func TestFirstPagesCountTheFleetOnce(t *testing.T) {
	const pages = 24
	f := newFixture(t, "10.9.9.9/32")
	c := f.client()
	f.login(c, "alice", alicePassword)
	release := make(chan struct{})
	defer web.HoldCounts(release)()
	bodies := make([]string, pages)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, f.api.URL+"/", nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var b []byte
			buf := make([]byte, 32<<10)
			for {
				n, err := resp.Body.Read(buf)
				b = append(b, buf[:n]...)
				if err != nil {
					break
				}
			}
			if resp.StatusCode != http.StatusOK {
				t.Errorf("page %d: %d", i, resp.StatusCode)
			}
			bodies[i] = string(b)
		})
	}
	// The first page's count is held; every other page either counts
	// too or waits for that count.
	for web.Counted(f.srv) < pages && web.Counted(f.srv)+web.CountWaiting(f.srv) < pages {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if n := web.Counted(f.srv); n != 1 {
		t.Errorf("%d fleet pages at once counted the fleet %d times, want once", pages, n)
	}
	// 121 credentials: svc-000 … svc-119 (i%3: 0 ok, 1 due, 2 overdue)
	// and zz-hostile (ok); every page shows the one count.
	want := map[string]string{"ok": "41", "due": "40", "overdue": "40"}
	for i, b := range bodies {
		got := map[string]string{}
		for _, m := range countRE.FindAllStringSubmatch(b, -1) {
			got[m[1]] = m[2]
		}
		for state, n := range want {
			if got[state] != n {
				t.Errorf("page %d: %s count %q, want %s (counts %v)", i, state, got[state], n, got)
			}
		}
	}
}
