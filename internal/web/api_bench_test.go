package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/fleet"
	"github.com/notifier-dev/notifier/internal/web"
)

// BenchmarkAPICredentials100k: GET /api/v1/credentials?limit=50 at
// 100,000 credentials (fleet: owners team-0 … team-49, rotated 1–120
// days ago), server time per page with a viewer's token: the first page,
// a later page (after cred-090000), a filter (one owner, state ok) and a
// later page of it; and one credential (cred-050000) with its cycle,
// plan and timeline.
func BenchmarkAPICredentials100k(b *testing.B) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	path, err := fleet.Write(b.TempDir(), 100_000, now)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.LoadMain(path, config.At(now), nil, registry.Default())
	if err != nil {
		b.Fatal(err)
	}
	console := &config.Console{SessionKey: channels.Secret(sessionKey), SessionTTL: time.Hour, DefaultRole: config.RoleViewer,
		APITokens: []config.APIToken{{Name: "bench", SHA256: sha256.Sum256([]byte(readerToken)), Role: config.RoleViewer}}}
	cfg.HTTP = &config.HTTP{Console: console}
	st, err := sqlite.Open(context.Background(), cfg.Database)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clock := func() time.Time { return now }
	eng, err := engine.New(st, cfg, engine.WithStdout(io.Discard), engine.WithWallClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.Sync(context.Background(), now); err != nil {
		b.Fatal(err)
	}
	h := web.New(web.Options{Engine: eng, Console: console, Now: clock}).Handler()
	for _, c := range []struct{ name, query string }{
		{"first", ""},
		{"later", "&after=cred-090000"},
		{"filter", "&owner=team-7&state=ok"},
		{"later-filter", "&owner=team-7&state=ok&after=cred-090007"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", "http://127.0.0.1/api/v1/credentials?limit=50"+c.query, nil)
				req.Header.Set("Authorization", "Bearer "+readerToken)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				var p web.APIPage
				if err := json.Unmarshal(rec.Body.Bytes(), &p); rec.Code != http.StatusOK || err != nil || len(p.Credentials) != 50 || p.Next == nil {
					b.Fatalf("%s: %d, %d credentials: %s", c.query, rec.Code, len(p.Credentials), rec.Body.Bytes()[:min(200, rec.Body.Len())])
				}
			}
		})
	}
	b.Run("one", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest("GET", "http://127.0.0.1/api/v1/credentials/cred-050000", nil)
			req.Header.Set("Authorization", "Bearer "+readerToken)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var d web.APICredentialDetail
			if err := json.Unmarshal(rec.Body.Bytes(), &d); rec.Code != http.StatusOK || err != nil || d.Credential.ID != "cred-050000" || len(d.Timeline) == 0 {
				b.Fatalf("one credential: %d %s", rec.Code, rec.Body.Bytes()[:min(200, rec.Body.Len())])
			}
		}
	})
}
