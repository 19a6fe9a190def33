package amazon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/domain"
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
