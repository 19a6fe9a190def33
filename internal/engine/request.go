package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// RotationInterval is the rotation API's rate limit per application: 0.0167
// requests a second, burst 1.
const RotationInterval = 60 * time.Second

// ErrRateLimited: the rotation API was called for this application less
// than RotationInterval ago (by this process or an earlier one).
var ErrRateLimited = errors.New("Amazon allows one rotation request a minute per application")

// RequestResult is what a request to Amazon to rotate a secret did.
type RequestResult struct {
	CredentialID string
	Outcome      string // domain.RequestAccepted, RequestRefused or RequestFailed
	Detail       string // Amazon's text, redacted
	At           time.Time
}

// RequestRotation asks Amazon to rotate the credential's client secret
// (a grantless token, then the Application Management API), at the wall
// clock's time whatever --at says: the rate limit is Amazon's, in real
// time, and is respected across restarts from the recorded calls. The
// request and Amazon's answer are recorded; the rotation itself is
// recorded when the new-secret notification arrives.
func (e *Engine) RequestRotation(ctx context.Context, id, by string) (RequestResult, error) {
	v := e.view()
	a, ok := v.cfg.LWAOf(id)
	if !ok || e.prober == nil {
		return RequestResult{}, fmt.Errorf("rotate %s --via-amazon: %w: it needs lwa.client_id and client_secret (from ${NAME}) in the main config file", id, ErrNoProbe)
	}
	now := normalize(e.wallClock())
	last, err := e.store.LastRotationCall(ctx, a.ClientID)
	if err != nil {
		return RequestResult{}, err
	}
	if next := last.Add(RotationInterval); !last.IsZero() && now.Before(next) {
		return RequestResult{}, fmt.Errorf("rotate %s --via-amazon: %w: the last call was at %s; try again after %s",
			id, ErrRateLimited, last.Format(time.RFC3339), next.Format(time.RFC3339))
	}
	e.redactor.Add(a.ClientSecret)
	outcome, detail, called := e.prober.RequestRotation(ctx, a)
	detail = e.redactor.String(detail)
	res := RequestResult{CredentialID: id, Outcome: outcome, Detail: detail, At: now}
	if err := e.store.RecordRotationRequest(ctx, domain.RotationRequest{CredentialID: id, At: now, Outcome: outcome, Detail: detail,
		Actor: by, Called: called}, now); err != nil {
		return res, fmt.Errorf("rotate %s --via-amazon: %w", id, err)
	}
	e.logger.Info("rotation requested from Amazon", "credential", id, "outcome", outcome, "detail", detail)
	return res, nil
}

// AutoRetryInterval is how long the daemon waits before asking Amazon
// again when its request to rotate was refused or failed: a refusal
// ("not enrolled") is for a person to fix, not to repeat every minute.
const AutoRetryInterval = 24 * time.Hour

// AutoRotateDue asks Amazon to rotate the secret of every credential with
// lwa.auto_rotate_before whose deadline is that close (or past), unless a
// request of this cycle is pending (accepted, the notification not yet
// arrived) or the last call for its application was less than
// AutoRetryInterval ago. The daemon calls it every minute.
func (e *Engine) AutoRotateDue(ctx context.Context, now time.Time) []RequestResult {
	v := e.view()
	ids := v.cfg.AutoRotated()
	if len(ids) == 0 || e.prober == nil {
		return nil
	}
	pending, err := e.store.PendingRotationRequests(ctx)
	if err != nil {
		e.logger.Error("rotation requests not read", "err", err)
		return nil
	}
	var out []RequestResult
	for _, id := range ids {
		a, _ := v.cfg.LWAOf(id)
		if _, ok := pending[id]; ok {
			continue
		}
		c, err := e.store.Cycle(ctx, id)
		if err != nil || !c.Active || now.Before(c.Deadline(v.cfg.Location).Add(-a.AutoRotateBefore)) {
			continue
		}
		last, err := e.store.LastRotationCall(ctx, a.ClientID)
		if err != nil || !last.IsZero() && now.Before(last.Add(AutoRetryInterval)) {
			continue
		}
		res, err := e.RequestRotation(ctx, id, "notifier (auto_rotate_before)")
		if err != nil {
			e.logger.Error("automatic rotation request not made", "credential", id, "err", err)
			continue
		}
		if res.Outcome != domain.RequestAccepted {
			e.logger.Error("Amazon did not rotate the secret; asking again in a day", "credential", id, "outcome", res.Outcome, "detail", res.Detail)
		}
		out = append(out, res)
	}
	return out
}
