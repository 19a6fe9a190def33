package amazon

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/channels/awsauth"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store"
)

// Bounds of the calls to SQS. A long poll waits up to LongPoll for a
// message; every call gets CallMargin more before it is abandoned, so a
// queue that hangs delays the next poll, never the daemon's stop.
const (
	LongPoll   = 20 * time.Second
	CallMargin = 10 * time.Second
	batchSize  = 10 // SQS's maximum per ReceiveMessage
	// maxDrainRounds bounds a drain: messages left in the queue (malformed
	// ones) are invisible while received, so a drain ends, but a queue
	// that keeps filling must not keep tick from planning.
	maxDrainRounds = 100
	// maxWarned bounds the message ids remembered for their one WARN line
	// (a flood of malformed messages must not grow memory without end):
	// past it the memory starts afresh.
	maxWarned = 10000
)

// Consumer receives SP-API notifications from the configured queue and
// records them: a message is deleted only once its notification is
// committed (or known: a duplicate, a client id no credential has); one
// that could not be recorded is left in the queue, for another try after
// its visibility timeout and in the end for the queue's dead-letter
// policy. A malformed one is left too (one WARN line per message id and
// process) until SQS has delivered it maxReceives times: then it is
// recorded in the history, logged once at ERROR, and deleted, so that a
// queue without a dead-letter queue does not deliver it forever.
type Consumer struct {
	client   *sqs.Client
	queueURL string
	recorder store.NoticeRecorder
	logger   *slog.Logger
	red      *channels.Redactor
	now      func() time.Time
	// secretDir is amazon.new_secret_dir: where new secrets are kept.
	secretDir string
	// params is amazon.new_secret_parameter's sink; nil: none.
	params *ParameterSink
	// maxReceives is amazon.max_receives.
	maxReceives int
	// senders is amazon.sender_ids: the SQS SenderId values of Amazon's
	// messages.
	senders []string
	// WallClock is the real clock (never --at): a notification dated
	// ahead of it is refused. NewConsumer sets time.Now.
	WallClock func() time.Time
	// OnReceive, if set, is told each receive's outcome in Run (nil: the
	// queue was read): the daemon tells its admins of a queue that cannot
	// be read.
	OnReceive func(err error)
	// malformed counts the receives of each malformed message id this
	// process has seen: its WARN line is logged at the first only, and the
	// count stands in for SQS's ApproximateReceiveCount if a queue does
	// not return it.
	mu        sync.Mutex
	malformed map[string]int
}

// NewConsumer builds the SQS client of cfg: credentials from the SDK's
// default chain (environment, shared files, instance role), registered with
// red as the SDK obtains them; the endpoint cfg.Endpoint if set. Nothing
// is contacted. now is the time notifications are recorded at (the tick's
// --at, or the clock).
func NewConsumer(cfg *config.Amazon, rec store.NoticeRecorder, logger *slog.Logger, red *channels.Redactor, now func() time.Time) (*Consumer, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(cfg.Region))
	if err != nil {
		return nil, fmt.Errorf("amazon: load AWS configuration: %w", err)
	}
	if awsCfg.Credentials != nil {
		awsCfg.Credentials = awsauth.RedactingCredentials(awsCfg.Credentials, red, "amazon sqs")
	}
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		// One quick retry: the poll loop retries with its own pauses, and
		// a drain before a tick must not hold the tick up for long.
		o.RetryMaxAttempts = 2
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Consumer{client: client, queueURL: cfg.SQSQueueURL, recorder: rec, logger: logger, red: red, now: now, secretDir: cfg.NewSecretDir,
		maxReceives: cfg.MaxReceives, senders: cfg.SenderIDs, WallClock: time.Now, malformed: map[string]int{}}
	if len(c.senders) == 0 {
		c.senders = config.DefaultSenderIDs
	}
	if c.maxReceives < 1 {
		c.maxReceives = config.DefaultMaxReceives
	}
	if cfg.NewSecretParameter != "" {
		c.params = NewParameterSink(cfg.NewSecretParameter, cfg.NewSecretKMSKey, cfg.Region, cfg.SSMEndpoint, red)
	}
	return c, nil
}

// Counts is what a drain or poll did with the messages it received.
type Counts struct {
	Received  int
	Applied   int // a deadline set, a rotation recorded
	Duplicate int
	Unknown   int // a client id no credential has
	Stale     int
	Left      int // left in the queue: malformed, or not recorded
	Malformed int // malformed, received max_receives times: recorded and deleted
}

func (c *Counts) add(o Counts) {
	c.Received += o.Received
	c.Applied += o.Applied
	c.Duplicate += o.Duplicate
	c.Unknown += o.Unknown
	c.Stale += o.Stale
	c.Left += o.Left
	c.Malformed += o.Malformed
}

// Drain records what is waiting in the queue now, without waiting for
// more: a receive that returns nothing ends it. tick and receive call it
// before planning, so that a run at --at sees what Amazon said.
func (c *Consumer) Drain(ctx context.Context) (Counts, error) {
	var total Counts
	for range maxDrainRounds {
		got, err := c.receiveOnce(ctx, 0)
		total.add(got)
		if err != nil || got.Received == 0 {
			return total, err
		}
	}
	return total, nil
}

// Run long-polls the queue until ctx ends, recording what arrives. A
// queue that fails is logged and polled again after a pause that doubles
// up to a minute; ctx's end interrupts a poll at once.
func (c *Consumer) Run(ctx context.Context) {
	pause := time.Second
	for ctx.Err() == nil {
		got, err := c.receiveOnce(ctx, LongPoll)
		if c.OnReceive != nil && ctx.Err() == nil {
			c.OnReceive(err)
		}
		if err == nil {
			pause = time.Second
			if got.Received > 0 {
				c.logger.Info("SP-API notifications received", counts(got)...)
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		c.logger.Error("SQS receive failed; polling again after a pause", "queue", c.queueURL, "pause", pause.String(), "err", c.red.String(err.Error()))
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, time.Minute)
	}
}

func counts(c Counts) []any {
	return []any{"received", c.Received, "applied", c.Applied, "duplicate", c.Duplicate, "unknown_client", c.Unknown, "stale", c.Stale, "left_in_queue", c.Left, "malformed_deleted", c.Malformed}
}

// LogAttrs are c's counts as log attributes.
func (c Counts) LogAttrs() []any { return counts(c) }

// receiveOnce receives one batch, waiting up to wait for it, and handles
// every message.
func (c *Consumer) receiveOnce(ctx context.Context, wait time.Duration) (Counts, error) {
	var got Counts
	rctx, cancel := context.WithTimeout(ctx, wait+CallMargin)
	defer cancel()
	out, err := c.client.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(c.queueURL),
		MaxNumberOfMessages:         batchSize,
		WaitTimeSeconds:             int32(wait / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameSenderId},
	})
	if err != nil {
		if ctx.Err() != nil {
			return got, ctx.Err()
		}
		return got, fmt.Errorf("amazon: receive from %s: %w", c.queueURL, c.red.Error(err))
	}
	got.Received = len(out.Messages)
	for _, m := range out.Messages {
		c.handle(ctx, m, &got)
	}
	return got, nil
}

// handle records one message and deletes it once recorded.
func (c *Consumer) handle(ctx context.Context, m types.Message, got *Counts) {
	id := aws.ToString(m.MessageId)
	n, secret, err := Parse([]byte(aws.ToString(m.Body)), c.red)
	m.Body = nil // the body may hold a new secret: dropped here
	if err != nil {
		c.handleMalformed(ctx, m, id, err, got, true)
		return
	}
	if err := c.refusal(m, n); err != nil {
		// Refused, but its secret is kept as a version all the same: a
		// genuine message refused by a wrong sender_ids or a skewed clock
		// must not take Amazon's only copy of the secret with it.
		if !c.keepVersion(n, secret, id, true) {
			got.Left++
			return
		}
		// Without a folder the message is the secret's only copy: it is
		// never deleted, only left for the dead-letter queue.
		keptNowhere := n.Type == domain.NoticeNewSecret && c.secretDir == "" && secret != ""
		c.handleMalformed(ctx, m, id, err, got, !keptNowhere)
		return
	}
	if !c.keepSecret(ctx, n, secret, id) {
		got.Left++
		return
	}
	// Once taken in hand a notification is recorded and deleted even if
	// notifier is stopping: both are short, and a stop would only make
	// SQS deliver it again.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CallMargin)
	defer cancel()
	res, err := c.recorder.RecordNotice(wctx, n, c.now())
	if err != nil {
		got.Left++
		c.logger.Error("SP-API notification not recorded; left in the queue", "message_id", id, "notification", n.ID, "err", c.red.String(err.Error()))
		return
	}
	switch res.Status {
	case domain.NoticeApplied:
		got.Applied++
		c.logger.Info("SP-API notification recorded", "notification", n.ID, "type", n.Type, "credential", res.CredentialID,
			"old_deadline", stamp(res.OldDeadline), "new_deadline", stamp(res.NewDeadline), "rotated", res.Rotated, "follow_ups", res.FollowUps)
	case domain.NoticeDuplicate:
		got.Duplicate++
		c.logger.Info("SP-API notification seen before; nothing changed", "notification", n.ID)
	case domain.NoticeUnknown:
		got.Unknown++
		c.logger.Warn("SP-API notification for a client id no credential has (recorded in the history)", "notification", n.ID, "client_id", n.ClientID)
	case domain.NoticeStale:
		got.Stale++
		c.logger.Info("SP-API expiry notification older than the current cycle; the deadline stands", "notification", n.ID, "credential", res.CredentialID)
	}
	if _, err := c.client.DeleteMessage(wctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(c.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		// Recorded: when SQS delivers it again it is a duplicate.
		c.logger.Warn("SP-API notification recorded but not deleted from the queue; it will come back as a duplicate", "notification", n.ID,
			"err", c.red.String(err.Error()))
	}
}

// refusal says why a well-formed notification is not believed (nil: it
// is): its SQS SenderId is not one of amazon.sender_ids, or its dates are
// not sane (CheckDates, at the wall clock).
func (c *Consumer) refusal(m types.Message, n domain.Notice) error {
	sender, ok := m.Attributes[string(types.MessageSystemAttributeNameSenderId)]
	if !ok {
		return fmt.Errorf("%w: notification %s: the queue did not say who sent it (no SenderId)", ErrRefused, clip(n.ID))
	}
	if !slices.Contains(c.senders, sender) {
		return fmt.Errorf("%w: notification %s: sent by sender %s, not Amazon (amazon.sender_ids: %s)", ErrRefused, clip(n.ID), clip(sender), strings.Join(c.senders, ", "))
	}
	return CheckDates(n, c.WallClock())
}

// keepVersion keeps a new secret as a version in amazon.new_secret_dir
// (KeepSecretVersion); false: it could not, and the message must stay in
// the queue. Other notifications, and no folder: true.
func (c *Consumer) keepVersion(n domain.Notice, secret channels.Secret, messageID string, refused bool) bool {
	if n.Type != domain.NoticeNewSecret || c.secretDir == "" || secret == "" {
		return true
	}
	written, err := KeepSecretVersion(c.secretDir, n, secret, c.WallClock(), refused)
	if err != nil {
		c.logger.Error("new client secret not kept as a version; the notification is left in the queue", "message_id", messageID, "notification", n.ID,
			"err", c.red.String(err.Error()))
		return false
	}
	if written {
		c.logger.Info("new client secret kept as a version", "notification", n.ID, "folder", VersionsDir(c.secretDir, n.ClientID), "refused", refused)
	}
	return true
}

// handleMalformed handles a message that is not a usable notification.
// Below maxReceives receives it is left in the queue (a dead-letter queue
// with a lower maxReceiveCount takes it first), with one WARN line per
// message id and process; at the bound it is recorded in the history,
// logged at ERROR, and deleted (unless deletable is false: a refused
// message holding a new secret kept nowhere else stays in the queue).
// Its body is never shown.
func (c *Consumer) handleMalformed(ctx context.Context, m types.Message, id string, problem error, got *Counts, deletable bool) {
	c.mu.Lock()
	if len(c.malformed) >= maxWarned {
		clear(c.malformed)
	}
	c.malformed[id]++
	seen := c.malformed[id]
	c.mu.Unlock()
	receives, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	if err != nil || receives < 1 {
		receives = seen // the queue did not say: what this process saw
	}
	if receives < c.maxReceives {
		got.Left++
		if seen == 1 {
			c.logger.Warn("malformed SP-API notification left in the queue for its dead-letter policy (body not shown); logged once",
				"message_id", id, "receive_count", receives, "max_receives", c.maxReceives, "err", c.red.String(problem.Error()))
		}
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CallMargin)
	defer cancel()
	n := domain.Notice{ID: "sqs:" + id, Type: domain.NoticeMalformed, EventTime: c.now(),
		Problem: fmt.Sprintf("%s; received %d times", c.red.String(problem.Error()), receives)}
	res, err := c.recorder.RecordNotice(wctx, n, c.now())
	if err != nil {
		got.Left++
		c.logger.Error("malformed SP-API notification not recorded; left in the queue", "message_id", id, "err", c.red.String(err.Error()))
		return
	}
	if !deletable {
		got.Left++
		if res.Status == domain.NoticeMalformed {
			c.logger.Error("refused SP-API notification received max_receives times: recorded in the history and left in the queue, since its new secret is kept nowhere else (set amazon.new_secret_dir)",
				"message_id", id, "receive_count", receives, "err", c.red.String(problem.Error()))
		}
		return
	}
	got.Malformed++
	if res.Status == domain.NoticeMalformed {
		c.logger.Error("malformed SP-API notification received max_receives times: recorded in the history and deleted from the queue (body not shown)",
			"message_id", id, "receive_count", receives, "err", c.red.String(problem.Error()))
	} else {
		c.logger.Info("malformed SP-API notification recorded before; deleted from the queue", "message_id", id)
	}
	if _, err := c.client.DeleteMessage(wctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(c.queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		c.logger.Warn("malformed SP-API notification recorded but not deleted from the queue", "message_id", id, "err", c.red.String(err.Error()))
		return
	}
	c.mu.Lock()
	delete(c.malformed, id)
	c.mu.Unlock()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// keepSecret writes a new-secret notification's secret to the configured
// folder, before anything is recorded: if it cannot, the message stays in
// the queue (and in the end in its dead-letter queue, secret and all), so
// the secret is not lost. Without a folder the secret is not kept, and the
// log says so.
func (c *Consumer) keepSecret(ctx context.Context, n domain.Notice, secret channels.Secret, messageID string) bool {
	if n.Type != domain.NoticeNewSecret {
		return true
	}
	if c.secretDir == "" && c.params == nil {
		c.logger.Warn("the new client secret is not kept by notifier (no amazon.new_secret_dir or new_secret_parameter): take it from Amazon's other channels",
			"notification", n.ID, "client_id", n.ClientID)
		return true
	}
	if c.secretDir != "" {
		if !c.keepVersion(n, secret, messageID, false) {
			return false
		}
		written, err := WriteNewSecret(c.secretDir, n, secret)
		if err != nil {
			c.logger.Error("new client secret not written; the notification is left in the queue", "message_id", messageID, "notification", n.ID,
				"err", c.red.String(err.Error()))
			return false
		}
		if written {
			c.logger.Info("new client secret written", "notification", n.ID, "file", filepath.Join(c.secretDir, n.ClientID))
		} else {
			c.logger.Info("new client secret older than the current one; kept as a version only", "notification", n.ID)
		}
	}
	if c.params != nil {
		written, err := c.params.Put(ctx, n, secret)
		if err != nil {
			c.logger.Error("new client secret not put to Parameter Store; the notification is left in the queue", "message_id", messageID, "notification", n.ID,
				"err", c.red.String(err.Error()))
			return false
		}
		name := c.params.ParameterName(n.ClientID)
		if written {
			c.logger.Info("new client secret put to Parameter Store", "notification", n.ID, "parameter", name)
		} else {
			c.logger.Info("Parameter Store holds a newer value; the new client secret is not put", "notification", n.ID, "parameter", name)
		}
	}
	return true
}
