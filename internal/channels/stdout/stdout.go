// Package stdout prints each reminder: the channel for a first run with no
// account or server, and for piping into another tool.
package stdout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/notifier-dev/notifier/internal/channels"
)

// Config is a stdout channel's configuration.
type Config struct {
	Format string `yaml:"format"` // text (default) or json (one channels.Payload a line, as a webhook POSTs it)
}

// Recipient is the process's standard output.
func (c *Config) Recipient() string { return "standard output" }

// Validate reports a bad format.
func (c *Config) Validate() []channels.FieldError {
	switch c.Format {
	case "", "text", "json":
		return nil
	}
	return []channels.FieldError{{Field: "format", Msg: fmt.Sprintf("%q is not text or json", c.Format)}}
}

// Build returns the channel.
func (c *Config) Build(name string, opts channels.Options) (channels.Channel, error) {
	w := opts.Stdout
	if w == nil {
		w = os.Stdout
	}
	return &Channel{name: name, json: c.Format == "json", w: w}, nil
}

// Channel writes messages to a writer, one at a time.
type Channel struct {
	name string
	json bool
	mu   sync.Mutex
	w    io.Writer
}

func (c *Channel) Name() string { return c.name }
func (c *Channel) Type() string { return "stdout" }

// String is the channel's name and type, like every integration's.
func (c *Channel) String() string { return channels.Describe(c) }

// GoString is String, for %#v.
func (c *Channel) GoString() string { return channels.Describe(c) }

// LogValue is what slog shows of the channel: its name and type.
func (c *Channel) LogValue() slog.Value { return channels.LogValue(c) }

// Send prints m. A write error is retryable (a full pipe may drain).
func (c *Channel) Send(_ context.Context, m channels.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if c.json {
		err = json.NewEncoder(c.w).Encode(channels.NewPayload(m))
	} else {
		_, err = fmt.Fprintf(c.w, "--- %s [%s] %s\n%s\n\n", c.name, m.Stage, m.Subject, m.Text)
	}
	if err != nil {
		return channels.Retryable(fmt.Errorf("stdout %s: %w", c.name, err))
	}
	return nil
}
