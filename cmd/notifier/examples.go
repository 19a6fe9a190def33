package main

import "github.com/spf13/cobra"

// examples are the Examples sections of the commands' help, by command
// path; a command that sets its own Example keeps it.
var examples = map[string]string{
	"notifier run":              "  notifier run --init\n  notifier --config /etc/notifier/config.yaml run",
	"notifier check":            "  notifier check\n  notifier check --at 2026-12-01",
	"notifier migrate":          "  notifier migrate",
	"notifier tick":             "  notifier tick\n  notifier tick --dry-run --at 2026-12-01 -o json\n  notifier tick -o json",
	"notifier plan":             "  notifier plan\n  notifier plan --horizon 30d --format json",
	"notifier rotate":           "  notifier rotate sp-api-prod --by alice --note \"new LWA secret\"\n  notifier rotate sp-api-prod --at 2026-11-20T14:00 --by alice",
	"notifier ack":              "  notifier ack sp-api-prod --by alice\n  notifier ack sp-api-prod --by alice --note \"rotating Friday\"",
	"notifier retract":          "  notifier retract rotation sp-api-prod --reason \"wrong credential\" --actor alice",
	"notifier retract rotation": "  notifier retract rotation sp-api-prod --reason \"wrong credential\" --actor alice\n  notifier retract rotation sp-api-prod --rotation 12 --reason typo --actor alice",
	"notifier retract ack":      "  notifier retract ack sp-api-prod --reason \"not seen yet\" --actor alice",
	"notifier history":          "  notifier history --credential sp-api-prod\n  notifier history --type ack --since 2026-01-01 --format csv",
	"notifier test":             "  notifier test ops\n  notifier test ops --credential sp-api-prod",
	"notifier report":           "  notifier report --since 2026-01-01 --until 2026-07-01\n  notifier report -o html > report.html",
	"notifier backup":           "  notifier backup /var/backups/notifier-$(date +%F).db",
	"notifier receive":          "  notifier receive",
	"notifier probe":            "  notifier probe sp-api-prod",
	"notifier verify":           "  notifier verify\n  notifier verify --db copy.db --expect-head 3f1c…",
	"notifier copy-db":          "  notifier copy-db --to postgres://notifier@db.internal/notifier",
}

// setExamples fills in the Example of every command of the tree under cmd.
func setExamples(cmd *cobra.Command) {
	if cmd.Example == "" {
		cmd.Example = examples[cmd.CommandPath()]
	}
	for _, sub := range cmd.Commands() {
		setExamples(sub)
	}
}
