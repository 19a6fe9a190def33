package main

import (
	"os/user"
	"runtime/debug"
	"testing"

	"github.com/spf13/cobra"
)

// Every command's help has an Examples section.
func TestEveryCommandHasAnExample(t *testing.T) {
	c := &cli{}
	var walk func(cmd *cobra.Command)
	n := 0
	walk = func(cmd *cobra.Command) {
		n++
		if cmd.Example == "" {
			t.Errorf("%q has no Example", cmd.CommandPath())
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(c.root())
	if n < 20 {
		t.Errorf("walked %d commands; want every one (at least 20)", n)
	}
}

func TestPersonAccount(t *testing.T) {
	for _, tc := range []struct {
		goos, name, uid string
		want            bool
	}{
		{"linux", "root", "0", false},
		{"linux", "daemon", "1", false},
		{"linux", "notifier", "999", false},
		{"linux", "alice", "1000", true},
		{"linux", "nobody", "65534", false},
		{"linux", "", "1000", false},
		{"linux", "alice", "S-1-5", false},
		{"freebsd", "alice", "1001", true},
		{"darwin", "alice", "501", true},
		{"darwin", "_www", "70", false},
		{"windows", "alice", "S-1-5-21-1", true},
	} {
		if got := personAccount(tc.goos, &user.User{Username: tc.name, Uid: tc.uid}); got != tc.want {
			t.Errorf("personAccount(%s, %s:%s) = %v, want %v", tc.goos, tc.name, tc.uid, got, tc.want)
		}
	}
}

func TestVersionOf(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "3a5c9290ebf74350218d308e1896b42ae5d51ce2"}, {Key: "vcs.time", Value: "2026-12-06T16:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		line string
	}{
		{"no build info", nil, false, "notifier (devel), commit unknown, date unknown, unknown"},
		{"go run", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true, "notifier (devel), commit unknown, date unknown, go1.26.8"},
		{"stamped", stamped, true, "notifier v1.4.0, commit 3a5c9290ebf74350218d308e1896b42ae5d51ce2 (modified), date 2026-12-06T16:00:00Z, go1.26.8"},
	} {
		if got := versionOf(tc.info, tc.ok).line(); got != tc.line {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.line)
		}
	}
}
