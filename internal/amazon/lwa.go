package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// ProbeTimeout bounds one exchange with the LWA token endpoint.
const ProbeTimeout = 30 * time.Second

// Prober exchanges a credential's refresh token at the LWA token endpoint
// to learn whether Amazon still accepts its client secret. Every detail it
// returns is redacted; the secrets are registered with the redactor
// (with their form-encoded forms) before they are sent.
type Prober struct {
	HTTP    *http.Client
	red     *channels.Redactor
	Timeout time.Duration
}

// NewProber returns a prober whose details red redacts.
func NewProber(red *channels.Redactor) *Prober {
	// The client secret and refresh token are in the body: a redirect to
	// another origin must not carry them there.
	return &Prober{HTTP: &http.Client{CheckRedirect: channels.CheckRedirect}, red: red, Timeout: ProbeTimeout}
}

// Probe exchanges a's refresh token once and says what Amazon answered:
// domain.ProbeOK for an access token, domain.ProbeRejected for the 401
// invalid_client that an expired or wrong secret gets, domain.ProbeFailed
// for anything else (a network error, a timeout, 429, 5xx, another error
// code): those say nothing about the secret.
func (p *Prober) Probe(ctx context.Context, a config.LWA) (outcome, detail string) {
	p.red.Add(a.ClientSecret, a.RefreshToken, url.QueryEscape(a.ClientSecret), url.QueryEscape(a.RefreshToken))
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {a.RefreshToken},
		"client_id":     {a.ClientID},
		"client_secret": {a.ClientSecret},
	}
	resp, err := p.post(ctx, a.TokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	if err != nil {
		return domain.ProbeFailed, p.red.String("lwa: " + err.Error())
	}
	body := resp.body
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.Unmarshal(body, &answer)
	if answer.AccessToken != "" {
		p.red.Add(answer.AccessToken) // never shown, whatever happens next
	}
	switch {
	case resp.status == http.StatusOK && answer.AccessToken != "":
		return domain.ProbeOK, "LWA token endpoint accepted the client secret"
	case answer.Error == "invalid_client":
		return domain.ProbeRejected, p.red.String(fmt.Sprintf("LWA token endpoint: %d invalid_client: %s", resp.status, oneLine(answer.Description)))
	case answer.Error != "":
		return domain.ProbeFailed, p.red.String(fmt.Sprintf("LWA token endpoint: %d %s: %s", resp.status, oneLine(answer.Error), oneLine(answer.Description)))
	default:
		return domain.ProbeFailed, p.red.String(fmt.Sprintf("LWA token endpoint: %d %s", resp.status, oneLine(strings.TrimSpace(string(body)))))
	}
}

// oneLine shortens what a server said to a line of the history.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
