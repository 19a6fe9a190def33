package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Prober exchanges an SP-API credential's refresh token at the LWA token
// endpoint and says whether Amazon accepts its client secret
// (domain.ProbeOK, ProbeRejected or ProbeFailed), with a redacted detail.
// internal/amazon's Prober is one.
type Prober interface {
	Probe(ctx context.Context, a config.LWA) (outcome, detail string)
	// RequestRotation asks Amazon to rotate a's client secret: outcome
	// domain.RequestAccepted, RequestRefused (Amazon's text) or
	// RequestFailed, and whether the rotation API itself was called.
	RequestRotation(ctx context.Context, a config.LWA) (outcome, detail string, called bool)
}

// WithProber sets how credentials' secrets are probed (default: none).
func WithProber(p Prober) Option { return func(e *Engine) { e.prober = p } }

// ErrNoProbe: the credential has no lwa.client_secret and refresh_token in
// the main config file, or the engine has no prober.
var ErrNoProbe = errors.New("nothing to probe with")

// ProbeResult is what one probe found and did.
type ProbeResult struct {
	CredentialID string
	Outcome      string // domain.ProbeOK, ProbeRejected or ProbeFailed
	Detail       string // redacted
	Alerts       int    // rejection alerts added
}

// Probe exchanges the credential's refresh token once, at now, and
// records the outcome: a rejection raises an alert (stage rejected) at
// once on the channels of the most urgent stage of its policy; success is
// the time last verified; a failure (network, 429, 5xx) is no rejection.
func (e *Engine) Probe(ctx context.Context, id string, now time.Time) (ProbeResult, error) {
	v := e.view()
	now = normalize(now)
	a, ok := v.cfg.LWAOf(id)
	if !ok || a.RefreshToken == "" || e.prober == nil {
		return ProbeResult{}, fmt.Errorf("probe %s: %w: it needs lwa.client_id, client_secret and refresh_token (from ${NAME}) in the main config file", id, ErrNoProbe)
	}
	e.redactor.Add(a.ClientSecret, a.RefreshToken)
	outcome, detail := e.prober.Probe(ctx, a)
	detail = e.redactor.String(detail)
	alerts, err := e.store.RecordProbe(ctx, domain.Probe{CredentialID: id, At: now, Outcome: outcome, Detail: detail,
		Channels: v.mostUrgentChannels}, now)
	res := ProbeResult{CredentialID: id, Outcome: outcome, Detail: detail, Alerts: alerts}
	if err != nil {
		return res, fmt.Errorf("probe %s: %w", id, err)
	}
	switch outcome {
	case domain.ProbeRejected:
		e.logger.Error("Amazon rejects this secret now", "credential", id, "detail", detail, "alerts", alerts)
	case domain.ProbeFailed:
		e.logger.Warn("probe got no answer about the secret; not a rejection", "credential", id, "detail", detail)
	default:
		e.logger.Info("probe: Amazon accepts the secret", "credential", id)
	}
	// Amazon unreachable is the admins' problem (a rejection is the
	// credential's, alerted through its ladder); any answer clears it.
	e.Problem(ctx, domain.Problem{Key: ProblemProbe + id, Detail: errDetailOr(outcome == domain.ProbeFailed,
		"the probe of "+id+" cannot reach Amazon: "+detail, "the probe of "+id+" reaches Amazon again")}, outcome == domain.ProbeFailed)
	return res, nil
}

// ProbeDue probes every credential with lwa.probe whose interval has
// passed since its last probe (or that was never probed), one after the
// other: the daemon calls it every minute. A probe's failure is logged
// and does not stop the others.
func (e *Engine) ProbeDue(ctx context.Context, now time.Time) []ProbeResult {
	v := e.view()
	ids := v.cfg.Probed()
	if len(ids) == 0 || e.prober == nil {
		return nil
	}
	last, err := e.store.LastProbes(ctx)
	if err != nil {
		e.logger.Error("probes not read", "err", err)
		return nil
	}
	var out []ProbeResult
	for _, id := range ids {
		a, _ := v.cfg.LWAOf(id)
		if pt, ok := last[id]; ok && now.Before(pt.Last.Add(a.Probe)) {
			continue
		}
		res, err := e.Probe(ctx, id, now)
		if err != nil {
			e.logger.Error("probe not recorded", "credential", id, "err", err)
			continue
		}
		out = append(out, res)
	}
	return out
}

// mostUrgentChannels are the channels of the most urgent stage of a
// policy: where alerts that cannot wait go.
func (v view) mostUrgentChannels(policy string) []string {
	l, ok := v.ladders[policy]
	if !ok || len(l.policy.Stages) == 0 {
		return nil
	}
	return l.policy.Stages[len(l.policy.Stages)-1].Channels
}

// rejectedMessage is the alert of a rejected probe.
func rejectedMessage(m *channels.Message) {
	m.Subject = fmt.Sprintf("%s: Amazon rejects this secret now", m.Name)
	m.Text = fmt.Sprintf("Amazon rejects the client secret of %s (%s) now: the LWA token endpoint answered invalid_client when notifier exchanged its refresh token. "+
		"Every call with this secret fails until a valid secret is deployed; rotate it in the Developer Console (or `notifier rotate %s` once deployed).",
		m.Name, m.Credential, m.Credential)
}
