package amazon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/testutil/awsjson"
)

func TestWriteNewSecret(t *testing.T) {
	dir := t.TempDir()
	notice := func(id, client string, at time.Time) domain.Notice {
		return domain.Notice{ID: id, Type: domain.NoticeNewSecret, ClientID: client, EventTime: at}
	}
	t1 := date("2026-06-01T08:00:00Z")
	steps := []struct {
		name        string
		n           domain.Notice
		secret      channels.Secret
		written     bool
		err         string
		want        string // the file's content after the step
		wantModTime time.Time
	}{
		{"the first secret", notice("n1", testClient, t1), "secret-one", true, "", "secret-one", t1},
		{"the same notification again", notice("n1", testClient, t1), "secret-one", true, "", "secret-one", t1},
		{"a newer one replaces it", notice("n2", testClient, t1.Add(time.Hour)), "secret-two", true, "", "secret-two", t1.Add(time.Hour)},
		{"an older one delivered late does not", notice("n0", testClient, t1.Add(-time.Hour)), "secret-zero", false, "", "secret-two", t1.Add(time.Hour)},
		{"a client id that is a path", notice("n3", "../../etc/passwd", t1.Add(2*time.Hour)), "evil", false, "the client id is not of the form", "secret-two", t1.Add(time.Hour)},
		{"no secret", notice("n4", testClient, t1.Add(2*time.Hour)), "", false, "carries no newClientSecret", "secret-two", t1.Add(time.Hour)},
	}
	path := filepath.Join(dir, testClient)
	for _, st := range steps {
		written, err := WriteNewSecret(dir, st.n, st.secret)
		if written != st.written || (err == nil) != (st.err == "") || err != nil && !strings.Contains(err.Error(), st.err) {
			t.Errorf("%s: written %v, err %v; want %v, %q", st.name, written, err, st.written, st.err)
		}
		if err != nil && st.secret != "" && strings.Contains(err.Error(), string(st.secret)) {
			t.Errorf("%s: the error shows the secret: %v", st.name, err)
		}
		got, rerr := os.ReadFile(path)
		fi, serr := os.Stat(path)
		if rerr != nil || serr != nil || string(got) != st.want || fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(st.wantModTime) {
			t.Errorf("%s: file %q mode %v mtime %v (%v %v); want %q, 0600, %v", st.name, got, fi.Mode(), fi.ModTime(), rerr, serr, st.want, st.wantModTime)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the folder holds %d entries, want the one secret file (no temporary file left)", len(entries))
	}
	// Something else in the file's place: an error, nothing written.
	other := filepath.Join(t.TempDir(), testClient)
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if written, err := WriteNewSecret(filepath.Dir(other), notice("n5", testClient, t1), "secret-three"); written || err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Errorf("a folder in the file's place: written %v, err %v; want an error", written, err)
	}
	// A folder that is gone: an error.
	if written, err := WriteNewSecret(filepath.Join(dir, "gone"), notice("n6", testClient, t1), "secret-four"); written || err == nil {
		t.Errorf("a missing folder: written %v, err %v; want an error", written, err)
	}
}

// TestParameterSink: the new secret put to Parameter Store (the in-test
// AWS JSON server behind the real SDK client: no emulator of it is
// reachable here) as SecureString, overwriting, under the client id's
// name; an older notification does not overwrite a newer value; an
// endpoint that echoes the request shows no secret in the error.
func TestParameterSink(t *testing.T) {
	awsjson.SetEnv(t)
	srv := awsjson.Start(t)
	red := channels.NewRedactor()
	const secret = channels.Secret("amzn1.oa2-cs.v1.SINK+SEKRIT/new=")
	red.Add(string(secret))
	p := NewParameterSink("/sp-api/{client_id}/client-secret", "alias/sp-api", "us-east-2", srv.URL, red)
	client := "amzn1.application-oa2-client.sink"
	name := "/sp-api/" + client + "/client-secret"
	at := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	notice := func(id string, eventTime time.Time) domain.Notice {
		return domain.Notice{ID: id, Type: domain.NoticeNewSecret, ClientID: client, EventTime: eventTime}
	}
	srv.SetPutTime(at)
	if written, err := p.Put(t.Context(), notice("n-1", at), secret); err != nil || !written {
		t.Fatalf("first put: %v, %v", written, err)
	}
	if v, n, key := srv.Parameter(name); v != string(secret) || n != 1 || key != "alias/sp-api" {
		t.Errorf("parameter = version %d, key %q, the secret: %v", n, key, v == string(secret))
	}
	// A late, older notification: the newer value stands.
	if written, err := p.Put(t.Context(), notice("n-0", at.Add(-time.Hour)), "older-secret"); err != nil || written {
		t.Errorf("older put: %v, %v", written, err)
	}
	// A newer one overwrites.
	srv.SetPutTime(at.Add(48 * time.Hour))
	if written, err := p.Put(t.Context(), notice("n-2", at.Add(24*time.Hour)), "newer-secret"); err != nil || !written {
		t.Errorf("newer put: %v, %v", written, err)
	}
	if v, n, _ := srv.Parameter(name); v != "newer-secret" || n != 2 {
		t.Errorf("after the newer put: version %d", n)
	}
	srv.SetMode(awsjson.Echo)
	_, err := p.Put(t.Context(), notice("n-3", at.Add(72*time.Hour)), secret)
	if err == nil || !strings.Contains(err.Error(), "X-Amz-Security-Token=<redacted>") {
		t.Fatalf("err = %v; want the echo, redacted", err)
	}
	for _, s := range []string{string(secret), awsjson.SessionToken, awsjson.SecretKey} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error shows %q", s)
		}
	}
}
