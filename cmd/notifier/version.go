package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/report"
)

// buildVersion is what `notifier version` says: the module version, the
// VCS commit and its date as the Go toolchain stamped them into the binary.
// A binary built without them (go run, go test, -buildvcs=false, outside a
// git checkout) says "(devel)" and "unknown" rather than guess.
type buildVersion struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Date     string `json:"date"`
	Modified bool   `json:"modified"`
	Go       string `json:"go"`
}

// versionOf reads a build's version from debug.ReadBuildInfo's answer.
func versionOf(info *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "(devel)", Commit: "unknown", Date: "unknown", Go: "unknown"}
	if !ok || info == nil {
		return v
	}
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		v.Go = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Date = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// line is the one-line form of `notifier version` and `notifier --version`.
func (v buildVersion) line() string {
	commit := v.Commit
	if v.Modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("notifier %s, commit %s, date %s, %s", v.Version, commit, v.Date, v.Go)
}

func thisVersion() buildVersion { return versionOf(debug.ReadBuildInfo()) }

func (c *cli) versionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and its date that this binary was built from",
		Long: `Print the module version, the VCS commit and the commit's date, as the Go
toolchain stamped them into this binary. A build without them (go run,
go test, -buildvcs=false, outside a git checkout) says "(devel)" and
"unknown". Needs no config.`,
		Example: `  notifier version
  notifier --version
  notifier version -o json | jq -r .commit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			v := thisVersion()
			if output == "json" {
				return report.JSON(c.stdout, v)
			}
			_, err := fmt.Fprintln(c.stdout, v.line())
			return err
		},
	}
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}
