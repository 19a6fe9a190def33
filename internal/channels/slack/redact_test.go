package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/slack"
	"github.com/notifier-dev/notifier/internal/testutil/leak"
)

// TestWebAPIEchoedTokenIsRedacted: a Web API server whose error quotes the
// Authorization header and the form it received (slack-go sends the token
// in the form) gets no form of the token into the error; invalid_auth
// stays permanent.
func TestWebAPIEchoedTokenIsRedacted(t *testing.T) {
	const token = "xoxb-9999-8888-SEKRITechoTOKEN"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if r.Header.Get("Authorization") != "Bearer "+token && r.PostForm.Get("token") != token {
			t.Error("the token reached the server neither as bearer nor in the form")
		}
		echo := "Authorization: " + r.Header.Get("Authorization") + "; form: " + r.PostForm.Encode()
		answer, _ := json.Marshal(map[string]any{
			"ok": false, "error": "invalid_auth: token " + r.PostForm.Get("token") + " " + r.Header.Get("Authorization"),
			"response_metadata": map[string]any{"messages": []string{echo}},
		})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	red := channels.NewRedactor()
	ch, err := slack.New("ops", slack.Config{Token: token, Channel: "#ops", APIURL: srv.URL + "/api/"}, channels.Options{Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), reminder())
	if err == nil {
		t.Fatal("Send succeeded")
	}
	t.Logf("error: %.300s", err)
	if found := leak.Find(err.Error(), append(leak.Forms(token), "SEKRIT")); len(found) > 0 {
		t.Errorf("the error shows %q: %s", found, err)
	}
	if !strings.Contains(err.Error(), "invalid_auth: token "+channels.Redacted) {
		t.Errorf("the error does not show the redacted echo: %s", err)
	}
	if !channels.IsPermanent(err) {
		t.Errorf("invalid_auth is not permanent after redaction: %v", err)
	}
	if got := red.String(token); got != channels.Redacted {
		t.Errorf("the options' Redactor does not know the token: %q", got)
	}
}

// TestIncomingWebhookEchoedPathIsRedacted: an incoming webhook that answers
// 404 quoting the request path (whose last segment is the key) gets no
// form of the key into the error, nor into the StatusError's Body.
func TestIncomingWebhookEchoedPathIsRedacted(t *testing.T) {
	const key = "SEKRITx9AbCdEfGhIjKlMnOp"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "no_service: no webhook at "+r.URL.Path+" ("+r.RequestURI+")")
	}))
	defer srv.Close()
	ch, err := slack.New("ops", slack.Config{WebhookURL: channels.Secret(srv.URL + "/services/T0001/B0002/" + key)}, channels.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Send(context.Background(), reminder())
	if err == nil {
		t.Fatal("Send succeeded")
	}
	t.Logf("error: %s", err)
	if found := leak.Find(err.Error(), append(leak.Forms(key), "SEKRIT")); len(found) > 0 {
		t.Errorf("the error shows %q: %s", found, err)
	}
	// "services" goes too: a secret URL's every path segment of 8 bytes
	// or more may be a key.
	if !strings.Contains(err.Error(), "no_service: no webhook at /"+channels.Redacted+"/T0001/B0002/"+channels.Redacted) {
		t.Errorf("the error does not show the redacted echo: %s", err)
	}
	var se *channels.StatusError
	if !errors.As(err, &se) || strings.Contains(se.Body, "SEKRIT") || se.Code != 404 {
		t.Errorf("StatusError = %+v", se)
	}
	if !channels.IsPermanent(err) {
		t.Errorf("404 is not permanent after redaction: %v", err)
	}
}
