package amazon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// RotationPath is the Application Management API's operation that makes
// Amazon issue a new client secret; the secret itself arrives only in the
// APPLICATION_OAUTH_CLIENT_NEW_SECRET notification.
const RotationPath = "/applications/2023-11-30/clientSecret"

// RotationScope is the grantless token's scope for the rotation API.
const RotationScope = "sellingpartnerapi::client_credential:rotation"

// RequestRotation gets a grantless LWA token with a's client secret and
// calls the rotation API once. It returns domain.RequestAccepted (204), or
// domain.RequestRefused with Amazon's error text verbatim (the code,
// message and details of each error: 400 InvalidInput "Application is not
// enrolled…", 429 QuotaExceeded, 403), or domain.RequestFailed when the
// API was not reached (the token endpoint refused, the network); and
// whether the rotation API itself was called (it counts against the rate
// limit). Every detail is redacted.
func (p *Prober) RequestRotation(ctx context.Context, a config.LWA) (outcome, detail string, called bool) {
	p.red.Add(a.ClientSecret, url.QueryEscape(a.ClientSecret))
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"scope":         {RotationScope},
		"client_id":     {a.ClientID},
		"client_secret": {a.ClientSecret},
	}
	token, err := p.post(ctx, a.TokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	if err != nil {
		return domain.RequestFailed, p.red.String("lwa: " + err.Error()), false
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.Unmarshal(token.body, &tok)
	if tok.AccessToken != "" {
		p.red.Add(tok.AccessToken)
	}
	if token.status != http.StatusOK || tok.AccessToken == "" {
		return domain.RequestFailed, p.red.String(fmt.Sprintf("LWA token endpoint (grantless, %s): %d %s: %s", RotationScope, token.status, oneLine(tok.Error), oneLine(tok.Description))), false
	}
	api, err := p.post(ctx, strings.TrimSuffix(a.APIURL, "/")+RotationPath, "", nil, map[string]string{"x-amz-access-token": tok.AccessToken})
	if err != nil {
		return domain.RequestFailed, p.red.String("sp-api: " + err.Error()), true
	}
	if api.status == http.StatusNoContent || api.status == http.StatusOK {
		return domain.RequestAccepted, "Amazon accepted the rotation request (" + http.StatusText(api.status) + "); the new secret arrives in the new-secret notification", true
	}
	var errs struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details string `json:"details"`
		} `json:"errors"`
	}
	json.Unmarshal(api.body, &errs)
	var parts []string
	for _, e := range errs.Errors {
		s := e.Code + ": " + e.Message
		if e.Details != "" {
			s += " (" + e.Details + ")"
		}
		parts = append(parts, oneLine(s))
	}
	if len(parts) == 0 {
		parts = append(parts, oneLine(string(api.body)))
	}
	return domain.RequestRefused, p.red.String(fmt.Sprintf("SP-API %s: %d %s", RotationPath, api.status, strings.Join(parts, "; "))), true
}

type answer struct {
	status int
	body   []byte
}

func (p *Prober) post(ctx context.Context, u, contentType string, body io.Reader, headers map[string]string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return answer{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return answer{resp.StatusCode, b}, nil
}
