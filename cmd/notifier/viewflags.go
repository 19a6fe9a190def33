package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// outputFlag adds -o/--output, the format a command prints its data in,
// with the first of allowed as the default. The older --format stays as a
// hidden synonym, so scripts written against it keep working.
func outputFlag(cmd *cobra.Command, p *string, allowed ...string) {
	usage := "output format: " + strings.Join(allowed, ", ")
	cmd.Flags().StringVarP(p, "output", "o", allowed[0], usage)
	cmd.Flags().StringVar(p, "format", allowed[0], usage+" (same as --output)")
	_ = cmd.Flags().MarkHidden("format")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(allowed, cobra.ShellCompDirectiveNoFileComp))
}

// checkOutput refuses an output format the command does not print.
func checkOutput(got string, allowed ...string) error {
	return checkOneOf("--output", got, allowed...)
}

// viewFilter is the filter flags of the views of credentials (status,
// plan): --owner, --state, --policy, --due-within, --credential, --limit.
type viewFilter struct {
	owner, state, policy, dueWithin, credential string
	limit                                       int
}

// viewStates are the values of --state.
var viewStates = []string{engine.StateOK, engine.StateDue, engine.StateOverdue, engine.StateInactive}

func (f *viewFilter) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.owner, "owner", "", "only credentials of this owner")
	cmd.Flags().StringVar(&f.state, "state", "", "only credentials in this state: "+strings.Join(viewStates, ", "))
	cmd.Flags().StringVar(&f.policy, "policy", "", "only credentials under this policy")
	cmd.Flags().StringVar(&f.dueWithin, "due-within", "", "only credentials whose deadline is at most this far ahead, overdue ones included (30d, 36h)")
	cmd.Flags().StringVar(&f.credential, "credential", "", "only credentials whose id matches this pattern (*, ?, [a-z]; quote it from the shell)")
	cmd.Flags().IntVar(&f.limit, "limit", 0, "stop after this many rows (0: all)")
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions(viewStates, cobra.ShellCompDirectiveNoFileComp))
}

// parse checks the flags and returns the filter; each bad value is one
// line naming its flag.
func (f *viewFilter) parse() (domain.CredentialFilter, error) {
	out := domain.CredentialFilter{Owner: f.owner, Policy: f.policy, State: f.state, Credential: f.credential, Limit: f.limit}
	if f.state != "" {
		if err := checkOneOf("--state", f.state, viewStates...); err != nil {
			return out, err
		}
	}
	if f.dueWithin != "" {
		sp, err := schedule.ParseSpan(f.dueWithin)
		if err == nil && sp.TooLong() {
			err = fmt.Errorf("%q is longer than %s (100 years)", f.dueWithin, schedule.MaxSpan)
		}
		if err != nil {
			return out, fmt.Errorf("--due-within: %w", err)
		}
		out.DueWithin = sp
	}
	if f.credential != "" {
		if err := domain.CheckGlob(f.credential); err != nil {
			return out, fmt.Errorf("--credential: %w", err)
		}
	}
	if f.limit < 0 {
		return out, fmt.Errorf("--limit: %d is negative", f.limit)
	}
	return out, nil
}
