package report

import (
	"io"
	"maps"
	"slices"
	"time"

	"github.com/notifier-dev/notifier/internal/amazon"
	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// The -o json forms of the commands' results: one JSON object each, with
// snake_case names, carrying the facts of the text form. Times are RFC
// 3339 in the config's zone, as the text shows them.

// JSON writes v as one indented JSON value.
func JSON(w io.Writer, v any) error { return writeJSON(w, v) }

// TickOutcome is one line of a tick's text.
type TickOutcome struct {
	Credential string `json:"credential"`
	Stage      string `json:"stage"`
	Repeat     int    `json:"repeat"`
	Channel    string `json:"channel"`
	Status     string `json:"status"`
	Detail     string `json:"detail,omitempty"`
}

// TickResult is what a tick (or a probe's retry pass) did.
type TickResult struct {
	At            string              `json:"at"`
	Outcomes      []TickOutcome       `json:"outcomes"`
	Sent          int                 `json:"sent"`
	Skipped       int                 `json:"skipped"`
	Retrying      int                 `json:"retrying"`
	Failed        int                 `json:"failed"`
	Notifications *NotificationCounts `json:"notifications,omitempty"`
}

// NotificationCounts is what a drain of the SP-API queue did.
type NotificationCounts struct {
	Received  int `json:"received"`
	Applied   int `json:"applied"`
	Duplicate int `json:"duplicate"`
	Unknown   int `json:"unknown_client"`
	Stale     int `json:"stale"`
	Left      int `json:"left_in_queue"`
	Malformed int `json:"malformed_deleted"`
}

// NewNotificationCounts is a drain's counts as a value.
func NewNotificationCounts(c amazon.Counts) *NotificationCounts {
	return &NotificationCounts{Received: c.Received, Applied: c.Applied, Duplicate: c.Duplicate, Unknown: c.Unknown,
		Stale: c.Stale, Left: c.Left, Malformed: c.Malformed}
}

// NewTickResult is Tick's facts as a value.
func NewTickResult(rep *engine.Report, now time.Time, loc *time.Location) TickResult {
	r := TickResult{At: now.In(loc).Format(time.RFC3339), Outcomes: []TickOutcome{},
		Sent: rep.Count(domain.StatusSent), Skipped: rep.Count(domain.StatusSkipped),
		Retrying: rep.Count(domain.StatusRetry), Failed: rep.Count(domain.StatusFailed)}
	for _, o := range rep.Outcomes {
		t := TickOutcome{Credential: o.Credential, Stage: o.Stage, Repeat: o.Seq, Channel: o.Channel, Status: o.Status}
		if o.Status != domain.StatusSent {
			t.Detail = oneLine(o.Detail)
		}
		r.Outcomes = append(r.Outcomes, t)
	}
	return r
}

// CheckProblem is one problem or warning of `notifier check`.
type CheckProblem struct {
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	Key        string `json:"key,omitempty"`
	Credential string `json:"credential,omitempty"`
	Severity   string `json:"severity"` // error or warning
	Message    string `json:"message"`
}

// CheckResult is `notifier check`'s verdict. A config with problems has
// only Config, OK (false) and Problems.
type CheckResult struct {
	Config      string              `json:"config"`
	OK          bool                `json:"ok"`
	Database    string              `json:"database,omitempty"`
	Schedule    string              `json:"schedule,omitempty"`
	Timezone    string              `json:"timezone,omitempty"`
	Credentials int                 `json:"credentials"`
	Channels    map[string]string   `json:"channels,omitempty"`
	Policies    map[string][]string `json:"policies,omitempty"`
	Admins      []string            `json:"admins,omitempty"`
	Problems    []CheckProblem      `json:"problems"`
	Warnings    []CheckProblem      `json:"warnings"`
	// More counts the problems found but not listed.
	More int `json:"more_problems,omitempty"`
	// Unrouted counts the credentials whose owner has no route on a
	// channel with route: owner; UnroutedShown lists the first of them.
	Unrouted      int             `json:"unrouted,omitempty"`
	UnroutedShown []CheckUnrouted `json:"unrouted_shown,omitempty"`
}

// CheckUnrouted is one credential whose owner has no route on a channel
// that routes by owner.
type CheckUnrouted struct {
	Credential string `json:"credential"`
	Owner      string `json:"owner"`
	Channel    string `json:"channel"`
	Line       string `json:"message"`
}

// NewCheckResult describes a valid config, without any secret.
func NewCheckResult(cfg *config.Config, warnings []CheckProblem) CheckResult {
	r := CheckResult{Config: cfg.Path, OK: true, Database: backend.Name(cfg.Database), Schedule: cfg.CheckSchedule,
		Timezone: cfg.Timezone, Credentials: len(cfg.Credentials), Channels: map[string]string{},
		Policies: map[string][]string{}, Admins: cfg.NotifyAdmins, Problems: []CheckProblem{}, Warnings: warnings}
	for n, ch := range cfg.Channels {
		r.Channels[n] = ch.Type
	}
	for _, n := range slices.Sorted(maps.Keys(cfg.Policies)) {
		stages := []string{}
		for _, s := range cfg.Policies[n].Stages {
			stages = append(stages, s.Name)
		}
		r.Policies[n] = stages
	}
	if r.Warnings == nil {
		r.Warnings = []CheckProblem{}
	}
	r.UnroutedShown, r.Unrouted = unrouted(cfg, MaxUnroutedShown)
	return r
}

// NewCheckProblems is check's verdict on a config with problems: each
// with its file:line, at most shown of them listed.
func NewCheckProblems(path string, ps config.Problems, shown int) CheckResult {
	r := CheckResult{Config: path, Problems: []CheckProblem{}, Warnings: []CheckProblem{}}
	for i, p := range ps {
		if i == shown || p.More > 0 {
			r.More = ps.Count() - i
			break
		}
		r.Problems = append(r.Problems, CheckProblem{File: p.File, Line: p.Line, Key: p.Key, Severity: "error", Message: p.Msg})
	}
	return r
}

// ChainProblem is the first row of the chain that does not match.
type ChainProblem struct {
	Row    int64  `json:"row"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// ChainResult is what `notifier verify` found.
type ChainResult struct {
	Database       string        `json:"database"`
	OK             bool          `json:"ok"`
	Rows           int64         `json:"rows"`
	FirstEvent     int64         `json:"first_event"`
	LastEvent      int64         `json:"last_event"`
	Head           string        `json:"head"`
	Keyed          bool          `json:"keyed"`
	KeyedFrom      int64         `json:"keyed_from,omitempty"`
	NotCovered     int64         `json:"events_before_chain"`
	ChainAdded     string        `json:"chain_added_at,omitempty"`
	ExpectedHeadAt int64         `json:"expected_head_at,omitempty"`
	Problem        *ChainProblem `json:"problem"`
}

// NewChainResult is Chain's facts as a value.
func NewChainResult(db string, rep chain.Report, opts chain.Options) ChainResult {
	r := ChainResult{Database: db, OK: rep.Problem == nil, Rows: rep.Rows, FirstEvent: rep.Start, LastEvent: rep.HeadID,
		Keyed: len(opts.Key) > 0, NotCovered: rep.Before, ExpectedHeadAt: rep.ExpectedAt}
	if r.Keyed {
		r.KeyedFrom = rep.KeyedFrom
	}
	if rep.Before > 0 {
		r.ChainAdded = rep.StartedAt
	}
	if rep.Rows > 0 {
		r.Head = chain.Hex(rep.Head)
	}
	if p := rep.Problem; p != nil {
		r.Problem = &ChainProblem{Row: p.Row, Kind: p.Kind, Detail: p.Detail}
	}
	return r
}
