package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// MaxProblemsShown is how many config problems are printed: a generated
// file with 100,000 mistakes should not bury the first ones.
const MaxProblemsShown = config.ProblemsShown

// cli holds the global flags and the streams.
type cli struct {
	configPath string
	at         string
	logLevel   string
	logFormat  string
	stdout     io.Writer
	stderr     io.Writer
	// wall is the real clock (a test build's may start elsewhere, see
	// wallclock_testclock.go): "now" when --at is not given, and what
	// records say they were recorded at.
	wall func() time.Time
	// jsonOut: the command runs with -o json (see messages).
	jsonOut bool
}

// Exit codes, as docs/command-line.md and status --help say.
const (
	ExitOK     = 0 // done
	ExitError  = 1 // bad input or a failure, with a one-line error on stderr
	ExitFailOn = 3 // status --fail-on: some credential is in the state asked
)

// exitCodeError is an error that ends the command with its own exit code.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// ConfigEnv names the variable that is --config's default.
const ConfigEnv = "NOTIFIER_CONFIG"

// Execute runs the command line and returns the exit code: 0 on success, 1
// on bad input or a failure, with a one-line error on stderr, 3 when
// status --fail-on matched.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	wall, err := wallClock()
	if err != nil {
		fmt.Fprintln(stderr, "notifier: "+err.Error())
		return 1
	}
	c := &cli{stdout: stdout, stderr: stderr, wall: wall}
	root := c.root()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var problems config.Problems
		if errors.As(err, &problems) {
			for i, p := range problems {
				if i == MaxProblemsShown || p.More > 0 {
					fmt.Fprintf(stderr, "... and %d more\n", problems.Count()-i)
					break
				}
				fmt.Fprintln(stderr, p.String())
			}
			fmt.Fprintf(stderr, "notifier: the config has %d problem(s); nothing was changed\n", problems.Count())
			return 1
		}
		fmt.Fprintln(stderr, "notifier: "+err.Error())
		var coded *exitCodeError
		if errors.As(err, &coded) {
			return coded.code
		}
		return ExitError
	}
	return ExitOK
}

func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "notifier",
		Short:         "Escalating reminders so that no credential silently expires",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       thisVersion().line(),
		Example: `  notifier check
  notifier --config /etc/notifier/config.yaml status --fail-on overdue
  NOTIFIER_CONFIG=/etc/notifier/config.yaml notifier history --credential sp-api-prod`,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	defaultConfig, emptyEnv := "config.yaml", false
	if v, ok := os.LookupEnv(ConfigEnv); ok {
		defaultConfig, emptyEnv = v, v == ""
	}
	root.PersistentFlags().StringVar(&c.configPath, "config", defaultConfig, "path of the YAML config; default $"+ConfigEnv+" when set, else ./config.yaml (the flag wins over the variable)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		c.jsonOut = wantsJSON(cmd)
		if emptyEnv && !cmd.Flags().Changed("config") && cmd.Name() != "version" && cmd.Name() != "help" && !isCompletion(cmd) {
			return errors.New(ConfigEnv + ": empty; set it to the config's path, unset it for ./config.yaml, or give --config")
		}
		return nil
	}
	root.PersistentFlags().StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	root.PersistentFlags().StringVar(&c.logFormat, "log-format", "text", "text or json (logs go to stderr)")
	root.AddCommand(c.runCmd(), c.checkCmd(), c.migrateCmd(), c.tickCmd(), c.statusCmd(), c.planCmd(),
		c.rotateCmd(), c.ackCmd(), c.retractCmd(), c.historyCmd(), c.testCmd(), c.versionCmd(), c.calendarCmd())
	// The auditors' view: read-only report and backups.
	root.AddCommand(c.reportCmd(), c.backupCmd())
	root.AddCommand(c.receiveCmd(), c.probeCmd())
	root.AddCommand(c.verifyCmd())
	root.AddCommand(c.copyDBCmd())
	c.completions(root)
	setExamples(root)
	return root
}

// What --at does, by the kind of command.
const (
	atView   = "show the record as of this moment"
	atRecord = "record it at this past moment (not after the clock)"
	atAct    = "act as at this moment"
)

// atFlag adds --at to a clock-dependent command; what says what it does.
func (c *cli) atFlag(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&c.at, "at", "", what+" (2026-06-01, 2026-06-01T09:30 in the config's zone, or RFC 3339); default now")
}

// clock is the moment the command acts at, in the config's zone. An --at
// given empty is an error, not "now": cobra cannot tell an unset flag from
// an empty one by value, so Changed decides.
func (c *cli) clock(cmd *cobra.Command) (config.Clock, error) {
	if !cmd.Flags().Changed("at") {
		wall := c.wall
		return func(*time.Location) time.Time { return wall() }, nil
	}
	if strings.TrimSpace(c.at) == "" {
		return nil, errors.New("--at: empty; give a time (2026-06-01, 2026-06-01T09:30 or RFC 3339), or leave --at out for now")
	}
	if _, err := config.ParseTime(c.at, time.UTC); err != nil {
		return nil, fmt.Errorf("--at: %w", err)
	}
	at := c.at
	return func(loc *time.Location) time.Time {
		t, _ := config.ParseTime(at, loc)
		return t
	}, nil
}

func (c *cli) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", c.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(c.stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", c.logFormat)
}

// openAt loads the config at the command's moment, opens the store and
// builds the engine, for a command that writes (the caller closes the
// Daemon): a moment after the real clock is refused before the database
// is opened, so that nothing dated then is written. The views open the
// database read-only instead (reader.go).
func (c *cli) openAt(cmd *cobra.Command) (*daemon.Daemon, time.Time, error) {
	clock, err := c.clock(cmd)
	if err != nil {
		return nil, time.Time{}, err
	}
	logger, err := c.logger()
	if err != nil {
		return nil, time.Time{}, err
	}
	m := &daemon.Daemon{ConfigPath: c.configPath, Logger: logger, Stdout: c.messages(), Clock: clock, WallClock: c.wall, NotAhead: true}
	if err := m.Open(cmd.Context()); err != nil {
		if errors.Is(err, domain.ErrFuture) {
			err = fmt.Errorf("--at: %w", err)
			if cmd.Name() == "tick" {
				err = fmt.Errorf("%w; to see what a tick would send then: tick --dry-run --at", err)
			}
		}
		return nil, time.Time{}, err
	}
	return m, m.Now(), nil
}

// openToRecord opens the store and syncs the config into it, for the
// commands that write (ack, rotate, retract, receive, test --credential):
// a moment after the real clock is refused before the database is opened,
// since the sync would record the config's changes dated then.
func (c *cli) openToRecord(cmd *cobra.Command) (*daemon.Daemon, time.Time, error) {
	m, now, err := c.openAt(cmd)
	if err != nil {
		return nil, now, err
	}
	if err := m.Engine.Sync(cmd.Context(), now); err != nil {
		m.Close()
		return nil, now, err
	}
	return m, now, nil
}

func (c *cli) runCmd() *cobra.Command {
	var standby, initDB bool
	var leaseTTL time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: tick now, then on check_schedule, until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Renewed every third of it, a lease or claim shorter than a
			// second would expire while a write waits its turn.
			if leaseTTL < daemon.MinLeaseTTL {
				return fmt.Errorf("--lease-ttl %s: at least %s", leaseTTL, daemon.MinLeaseTTL)
			}
			logger, err := c.logger()
			if err != nil {
				return err
			}
			m := &daemon.Daemon{ConfigPath: c.configPath, Logger: logger, Stdout: c.stdout, Standby: standby, LeaseTTL: leaseTTL, WallClock: c.wall, NoCreate: !initDB}
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			defer m.Close()
			testFullDisk(cmd.Context(), m.Store)
			return m.Run(cmd.Context())
		},
	}
	cmd.Flags().BoolVar(&standby, "standby", false, "accepted for older unit files: run always waits for the lease when another notifier run holds the database, and takes over when it expires")
	cmd.Flags().BoolVar(&initDB, "init", false, "create the SQLite database if it does not exist (without it, run refuses a missing database rather than start on an empty one)")
	cmd.Flags().DurationVar(&leaseTTL, "lease-ttl", daemon.DefaultLeaseTTL, "how long the database lease and a claim last unrenewed (a crashed daemon's standby, or replica, takes over its work after it)")
	return cmd
}

func (c *cli) checkCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate the config and report every problem at once; warn where rotated_at moved behind the recorded rotations (reads, never writes, the database)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			clock, err := c.clock(cmd)
			if err != nil {
				return err
			}
			cfg, err := config.Load(c.configPath, clock, nil, registry.Default())
			if err != nil {
				// The problems are check's verdict: in JSON too, and
				// on stderr as always.
				var problems config.Problems
				if output == "json" && errors.As(err, &problems) {
					if err := report.JSON(c.stdout, report.NewCheckProblems(c.configPath, problems, MaxProblemsShown)); err != nil {
						return err
					}
				}
				return err
			}
			if output == "json" {
				warnings, err := c.backward(cmd, cfg)
				if err != nil {
					return err
				}
				return report.JSON(c.stdout, report.NewCheckResult(cfg, warnings))
			}
			if err := report.Check(c.stdout, cfg); err != nil {
				return err
			}
			warnings, err := c.backward(cmd, cfg)
			for _, w := range warnings {
				fmt.Fprintf(c.stdout, "warning: %s: %s\n", w.Credential, w.Message)
			}
			return err
		},
	}
	c.atFlag(cmd, atAct)
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

func (c *cli) migrateCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database, then list the applied migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			cfg, err := config.LoadMain(c.configPath, config.Timeless, nil, registry.Default())
			if err != nil {
				return err
			}
			store, err := backend.Open(cmd.Context(), cfg.Database, backend.WithAuditKey([]byte(cfg.Audit.Key)))
			if err != nil {
				return err
			}
			defer store.Close()
			ms, err := backend.Migrations(cmd.Context(), store)
			if err != nil {
				return err
			}
			if output == "json" {
				return report.JSON(c.stdout, struct {
					Database   string   `json:"database"`
					UpToDate   bool     `json:"up_to_date"`
					Migrations []string `json:"migrations"`
				}{backend.Name(cfg.Database), true, ms})
			}
			fmt.Fprintf(c.stdout, "%s: schema up to date\n", backend.Name(cfg.Database))
			for _, m := range ms {
				fmt.Fprintf(c.stdout, "  %s\n", m)
			}
			return nil
		},
	}
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

func (c *cli) tickCmd() *cobra.Command {
	var dryRun bool
	var format string
	cmd := &cobra.Command{
		Use:   "tick",
		Short: "Evaluate once now (or at a past --at), send what is due, print what happened, exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(format, tableOrJSON...); err != nil {
				return err
			}
			if dryRun {
				return c.dryRun(cmd, format)
			}
			m, now, err := c.openAt(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			// What Amazon said comes first, so that the plan follows it;
			// a queue that fails does not keep the reminders from going out.
			drained := c.stdout
			if format == "json" {
				drained = io.Discard // its counts are in the JSON
			}
			counts, err := m.DrainNotifications(cmd.Context(), drained)
			if err != nil && cmd.Context().Err() == nil {
				m.Logger.Error("SP-API notifications not received; planning without them", "err", err)
			}
			rep, err := m.Engine.Tick(cmd.Context(), now)
			if format == "json" {
				res := report.NewTickResult(rep, now, m.Config.Location)
				if m.Config.Amazon != nil {
					res.Notifications = report.NewNotificationCounts(counts)
				}
				if jerr := report.JSON(c.stdout, res); jerr != nil && err == nil {
					err = jerr
				}
			} else {
				report.Tick(c.stdout, rep, now, m.Config.Location)
			}
			if err != nil {
				return err
			}
			// A refused file did not keep the others from syncing and
			// sending, but the tick says so with its exit code.
			return engine.RefusedError(m.Engine.Refused())
		},
	}
	cmd.Flags().StringVar(&c.at, "at", "", "act at this past moment (a missed tick's catch-up; 2026-06-01, 2026-06-01T09:30 in the config's zone, or RFC 3339); default now; with --dry-run any moment")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what a tick at --at (default now) would send, to whom, with the rendered text, and what it would skip; send and write nothing")
	outputFlag(cmd, &format, tableOrJSON...)
	return cmd
}

func (c *cli) statusCmd() *cobra.Command {
	var format, db, failOn string
	var filter viewFilter
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show every credential: deadline, days remaining, active stage, acknowledgment, state",
		Long: `Show every credential: deadline, days remaining, active stage, acknowledgment, state.

Exit codes:
  0  done (with --fail-on: no credential in that state)
  1  an error (one line on stderr)
  3  --fail-on matched: some credential is overdue (--fail-on overdue),
     or due or overdue (--fail-on due); the table is printed all the same`,
		Example: `  notifier status
  notifier status --at 2026-12-01 -o json
  notifier status --state due --owner payments -o jsonl
  notifier status --due-within 30d --credential 'sp-api-*' --limit 20
  notifier status --fail-on overdue || echo "a credential is overdue"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := checkOutput(format, "table", "json", "jsonl"); err != nil {
				return err
			}
			f, err := filter.parse()
			if err != nil {
				return err
			}
			if failOn != "" {
				if err := checkOneOf("--fail-on", failOn, engine.StateOverdue, engine.StateDue); err != nil {
					return err
				}
				if f.Limit > 0 {
					// The verdict would see only the first rows: an overdue
					// credential past them would exit 0.
					return errors.New("--fail-on judges every credential the filters keep; --limit would hide some from it: use one or the other")
				}
			}
			eng, store, now, err := c.openStatusReader(cmd, db)
			if err != nil {
				return err
			}
			defer closeView(store.Close, &err)
			// Rows are printed as they are read; --fail-on counts them
			// as they go.
			out := bufio.NewWriterSize(c.stdout, 64<<10)
			stream := report.NewStatusStream(out, format, c.terminalWidth())
			verdict := failOnCounter{failOn: failOn}
			first := true
			err = eng.EachStatus(cmd.Context(), now, f, func(r engine.CredentialStatus) error {
				verdict.add(r)
				if err := stream.Add(r); err != nil {
					return err
				}
				if first { // the first row is out at once
					first = false
					return out.Flush()
				}
				return nil
			})
			if err == nil {
				err = stream.Close()
			}
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			return verdict.err()
		},
	}
	c.atFlag(cmd, atView)
	outputFlag(cmd, &format, "table", "json", "jsonl")
	filter.flags(cmd)
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit 3 when some credential is overdue (overdue), or due or overdue (due)")
	dbFlag(cmd, &db)
	return cmd
}

func (c *cli) planCmd() *cobra.Command {
	var format, horizon string
	var vf viewFilter
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List the reminders that will go out, when and to which channels, if nobody acts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := checkOutput(format, "table", "json", "jsonl"); err != nil {
				return err
			}
			f, err := vf.parse()
			if err != nil {
				return err
			}
			h, err := schedule.ParseSpan(horizon)
			if err == nil && h.TooLong() {
				err = fmt.Errorf("%q is longer than %s (100 years)", horizon, schedule.MaxSpan)
			}
			if err != nil {
				return fmt.Errorf("--horizon: %w", err)
			}
			eng, closeStore, now, streamed, err := c.openPlanner(cmd)
			if err != nil {
				return err
			}
			defer closeView(closeStore, &err)
			out := report.NewPlanStream(c.stdout, format, terminalWidth(c.stdout))
			if err := eng.PlanEach(cmd.Context(), now, h, f, streamed, format == "table", out.Row); err != nil {
				return err
			}
			return out.Close()
		},
	}
	c.atFlag(cmd, atView)
	outputFlag(cmd, &format, "table", "json", "jsonl")
	vf.flags(cmd)
	cmd.Flags().StringVar(&horizon, "horizon", "365d", "how far ahead to look")
	return cmd
}

// failOnCounter is status --fail-on's verdict, counted as the rows
// stream by: the credentials in the state asked (due: due or overdue),
// the first ten by id.
type failOnCounter struct {
	failOn string
	n      int
	shown  []string
}

func (f *failOnCounter) add(r engine.CredentialStatus) {
	if f.failOn == "" || !(r.State == engine.StateOverdue || f.failOn == engine.StateDue && r.State == engine.StateDue) {
		return
	}
	if f.n++; len(f.shown) < 10 {
		f.shown = append(f.shown, r.ID)
	}
}

// err is an exitCodeError naming the credentials counted, nil when none.
func (f *failOnCounter) err() error {
	if f.n == 0 {
		return nil
	}
	what := "overdue"
	if f.failOn == engine.StateDue {
		what = "due or overdue"
	}
	more := ""
	if f.n > len(f.shown) {
		more = fmt.Sprintf(" and %d more", f.n-len(f.shown))
	}
	return &exitCodeError{code: ExitFailOn, err: fmt.Errorf("%d credential(s) %s (--fail-on %s): %s%s",
		f.n, what, f.failOn, report.Escape(strings.Join(f.shown, ", ")), more)}
}

// terminalWidth is how wide a table may be: 0 (any) unless stdout is a
// terminal, then COLUMNS, else 80.
func (c *cli) terminalWidth() int {
	f, ok := c.stdout.(*os.File)
	if !ok {
		return 0
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}

// actorFlag adds --by (retract: --actor), who did what is recorded.
func actorFlag(cmd *cobra.Command, p *string, name, what string) {
	cmd.Flags().StringVar(p, name, "", what+"; default your login name if it is a person's account, required as root or a system account (uid < 1000, 500 on macOS, or nobody)")
}

// resolveActor fills in the flag name's value when it was left out: the OS
// account's name when it is a person's (personAccount), else one line
// asking for the flag, before anything is opened.
func resolveActor(cmd *cobra.Command, name string, p *string) error {
	if cmd.Flags().Changed(name) {
		return nil
	}
	u, err := osAccount()
	if err != nil {
		return fmt.Errorf("--%s: required: the OS account is unknown (%v); say who acts: --%s NAME", name, err, name)
	}
	if !personAccount(runtime.GOOS, u) {
		return fmt.Errorf("--%s: required: %s (uid %s) is not a person's account; say who acts: --%s NAME", name, report.Escape(u.Username), u.Uid, name)
	}
	*p = u.Username
	return nil
}

// personAccount is the rule for a default actor: a named account with a
// uid from 1000 (Linux and the BSDs; 500 on macOS), and not nobody
// (65534). root, daemons and service accounts are below it. On Windows
// every named account counts.
func personAccount(goos string, u *user.User) bool {
	if u == nil || u.Username == "" {
		return false
	}
	if goos == "windows" {
		return true
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil || uid == 65534 {
		return false
	}
	first := 1000
	if goos == "darwin" {
		first = 500
	}
	return uid >= first
}

func (c *cli) rotateCmd() *cobra.Command {
	var by, note, output string
	var viaAmazon bool
	cmd := &cobra.Command{
		Use:   "rotate ID",
		Short: "Record that a credential was rotated at --at (default now); starts a new cycle",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			if err := resolveActor(cmd, "by", &by); err != nil {
				return err
			}
			m, now, err := c.openToRecord(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			if viaAmazon {
				return c.requestRotation(cmd, m, args[0], by, output)
			}
			if err := m.Engine.Rotate(cmd.Context(), engine.Rotation{Credential: args[0], At: now, By: by, Note: note, Source: "cli"}); err != nil {
				return err
			}
			recorded := c.recorded()
			cyc, err := m.Store.Cycle(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			loc := m.Config.Location
			deadline := cyc.Deadline(loc)
			if output == "json" {
				return report.JSON(c.stdout, struct {
					Credential    string `json:"credential"`
					RotatedAt     string `json:"rotated_at"`
					RecordedAt    string `json:"recorded_at"`
					Actor         string `json:"actor"`
					Note          string `json:"note"`
					Deadline      string `json:"deadline"`
					DaysRemaining int    `json:"days_remaining"`
				}{cyc.ID, rfc3339(cyc.Start, loc), rfc3339(recorded, loc), by, note, rfc3339(deadline, loc), schedule.DaysRemaining(deadline, now, loc)})
			}
			fmt.Fprintf(c.stdout, "%s: rotation at %s recorded; next deadline %s (%d days)\n", cyc.ID, cyc.Start.In(loc).Format(time.RFC3339),
				deadline.In(loc).Format(time.RFC3339), schedule.DaysRemaining(deadline, now, loc))
			fmt.Fprintln(c.stdout, "Remember to set rotated_at in the config too, so it stays the operator's record.")
			return nil
		},
	}
	c.atFlag(cmd, atRecord)
	actorFlag(cmd, &by, "by", "who rotated")
	cmd.Flags().StringVar(&note, "note", "", "a note for the history")
	cmd.Flags().BoolVar(&viaAmazon, "via-amazon", false, "ask Amazon to rotate the SP-API client secret now (Application Management API); the rotation is recorded when the new-secret notification arrives")
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

func (c *cli) ackCmd() *cobra.Command {
	var by, note, output, until, forSpan string
	var nextStage bool
	cmd := &cobra.Command{
		Use:   "ack ID",
		Short: "Acknowledge the reminders of a credential's current cycle: repeats stop (or snooze them until a moment)",
		Long: `Acknowledge the reminders of a credential's current cycle: repeats stop for
the cycle; more urgent stages still go out unless they say unless_acknowledged.
With --until, --for or --next-stage it is a snooze: repeats stop until its end,
then one repeat goes out (never the missed ones) and the ladder resumes.`,
		Example: `  notifier ack sp-api-prod --by alice
  notifier ack sp-api-prod --by alice --for 3d
  notifier ack sp-api-prod --by alice --until 2026-12-10
  notifier ack sp-api-prod --by alice --next-stage`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			a := engine.Ack{Credential: args[0], By: by, Note: note, Source: "cli", NextStage: nextStage}
			if cmd.Flags().Changed("for") {
				sp, err := schedule.ParseSpan(forSpan)
				if err == nil && sp.IsZero() {
					err = errors.New("a snooze must last more than 0 (3d, 12h)")
				}
				if err != nil {
					return fmt.Errorf("--for: %w", err)
				}
				a.For = sp
			}
			if err := resolveActor(cmd, "by", &by); err != nil {
				return err
			}
			m, now, err := c.openToRecord(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			loc := m.Config.Location
			if cmd.Flags().Changed("until") {
				if a.Until, err = config.ParseTime(until, loc); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			a.At, a.By = now, by
			err = m.Engine.Acknowledge(cmd.Context(), a)
			var already *domain.AlreadyAcknowledged
			if errors.As(err, &already) && output != "json" {
				fmt.Fprintln(c.stdout, report.Escape(already.Error())+"; nothing recorded")
				return nil
			}
			if err != nil && already == nil {
				return err
			}
			if output == "json" {
				return c.ackJSON(cmd, m.Store, args[0], loc, already, ackResult{Credential: args[0], AckedAt: rfc3339(now, loc),
					RecordedAt: rfc3339(c.recorded(), loc), Actor: by, Note: note})
			}
			cyc, err := m.Store.Cycle(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if !cyc.AckUntil.IsZero() {
				fmt.Fprintf(c.stdout, "%s: snoozed by %s at %s until %s\n", args[0], report.Escape(by), now.In(loc).Format(time.RFC3339),
					cyc.AckUntil.In(loc).Format(time.RFC3339))
				return nil
			}
			fmt.Fprintf(c.stdout, "%s: acknowledged by %s at %s\n", args[0], report.Escape(by), now.In(loc).Format(time.RFC3339))
			return nil
		},
	}
	c.atFlag(cmd, atRecord)
	cmd.Flags().StringVar(&until, "until", "", "snooze until this moment (2026-12-10, 2026-12-10T09:00 in the config's zone, or RFC 3339)")
	cmd.Flags().StringVar(&forSpan, "for", "", "snooze for this long (3d, 12h, 1d12h)")
	cmd.Flags().BoolVar(&nextStage, "next-stage", false, "snooze until the next stage of the ladder becomes due")
	cmd.MarkFlagsMutuallyExclusive("until", "for", "next-stage")
	actorFlag(cmd, &by, "by", "who acknowledges")
	cmd.Flags().StringVar(&note, "note", "", "a note for the history")
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

func (c *cli) historyCmd() *cobra.Command {
	var f struct {
		credential, owner, typ, since, until, format, db string
		limit                                            int
	}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Query the append-only history of reminders, acknowledgments, rotations and config changes",
		Long: `Query the append-only history, oldest first. Events are printed as they
are read, so the first rows appear at once at any size of history; the
table fits the terminal (COLUMNS, else 80 columns on a terminal; whole
when piped) and cuts long text with "…"; json, jsonl and csv never cut.`,
		Example: `  notifier history --credential 'sp-api-*' --type ack --since 2026-01-01
  notifier history --owner integrations --limit 20
  notifier history -o jsonl | jq -c 'select(.status == "failed")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := checkOutput(f.format, report.HistoryFormats...); err != nil {
				return err
			}
			types := domain.EventTypes()
			if f.typ != "" && !contains(types, f.typ) {
				return fmt.Errorf("--type: %q is not one of %s", f.typ, strings.Join(types, ", "))
			}
			if f.credential != "" {
				if err := domain.CheckGlob(f.credential); err != nil {
					return fmt.Errorf("--credential: %w", err)
				}
			}
			if f.limit < 0 {
				return fmt.Errorf("--limit: %d is negative", f.limit)
			}
			store, loc, since, until, err := c.openWindowReader(cmd, f.db, f.since, f.until)
			if err != nil {
				return err
			}
			defer closeView(store.Close, &err)
			filter := domain.HistoryFilter{Credential: f.credential, Owner: f.owner, Type: f.typ, Since: since, Until: until, Limit: f.limit}
			w := report.NewHistoryWriter(c.stdout, f.format, loc, terminalWidth(c.stdout))
			if err := store.EachEvent(cmd.Context(), filter, w.Event); err != nil {
				return err
			}
			return w.Finish()
		},
	}
	cmd.Flags().StringVar(&f.credential, "credential", "", "only credentials whose id matches this pattern (*, ?, [a-z]; quote it from the shell); an id matches itself")
	cmd.Flags().StringVar(&f.owner, "owner", "", "only credentials of this owner")
	cmd.Flags().StringVar(&f.typ, "type", "", "only this type: "+strings.Join(domain.EventTypes(), ", "))
	cmd.Flags().StringVar(&f.since, "since", "", "from this time (inclusive)")
	cmd.Flags().StringVar(&f.until, "until", "", "up to this time (exclusive)")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "stop after this many events, the earliest (0: all)")
	outputFlag(cmd, &f.format, report.HistoryFormats...)
	dbFlag(cmd, &f.db)
	return cmd
}

// terminalWidth is how wide a table printed to w may be: $COLUMNS when
// set, else 80 on a terminal; 0 (no limit) when w is a pipe or a file,
// so that what a script reads is never cut.
func terminalWidth(w io.Writer) int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return 80
		}
	}
	return 0
}

func checkFormat(got string, allowed ...string) error {
	return checkOneOf("--format", got, allowed...)
}

// checkOneOf refuses a flag's value that is not one of allowed.
func checkOneOf(flag, got string, allowed ...string) error {
	if contains(allowed, got) {
		return nil
	}
	return fmt.Errorf("%s: %q is not one of %s", flag, got, strings.Join(allowed, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
