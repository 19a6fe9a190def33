package config

import "testing"

// channelConfig is a valid config whose only channel, c, is block.
func channelConfig(block string) string {
	return "channels:\n  c: " + block + "\npolicies:\n  standard: [{before: 1d, channels: [c]}]\ncredentials:\n  - {id: one, rotated_at: 2026-06-01}\n"
}

func TestChannelConcurrency(t *testing.T) {
	tests := []struct {
		name  string
		block string
		env   map[string]string
		want  int
	}{
		{"stdout default", "{type: stdout}", nil, 1},
		{"slack default", `{type: slack, token: xoxb-1, channel: "#ops"}`, nil, 1},
		{"email default", "{type: email, smtp: smtp.example.com:587, from: n@example.com, to: [a@example.com]}", nil, 2},
		{"sns default", "{type: sns, topic_arn: arn:aws:sns:eu-west-1:123456789012:reminders}", nil, 8},
		{"webhook default", "{type: webhook, url: https://example.com/hook}", nil, 10},
		{"explicit", "{type: webhook, url: https://example.com/hook, concurrency: 3}", nil, 3},
		{"explicit above the default", "{type: slack, token: xoxb-1, channel: C1, concurrency: 2}", nil, 2},
		{"lowest", "{type: webhook, url: https://example.com/hook, concurrency: 1}", nil, 1},
		{"highest", "{type: webhook, url: https://example.com/hook, concurrency: 64}", nil, 64},
		{"quoted", `{type: stdout, concurrency: "5"}`, nil, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, channelConfig(tt.block), tt.env)
			if got := cfg.Channels["c"].Concurrency; got != tt.want {
				t.Errorf("Concurrency = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestChannelConcurrencyProblems(t *testing.T) {
	tests := []struct {
		name  string
		block string
		env   map[string]string
		want  string // the exact problem
	}{
		{"zero", "{type: stdout, concurrency: 0}", nil,
			`config.yaml:2: channels.c.concurrency: "0" is not a whole number from 1 to 64`},
		{"above 64", "{type: stdout, concurrency: 65}", nil,
			`config.yaml:2: channels.c.concurrency: "65" is not a whole number from 1 to 64`},
		{"negative", "{type: stdout, concurrency: -1}", nil,
			`config.yaml:2: channels.c.concurrency: "-1" is not a whole number from 1 to 64`},
		{"not a number", "{type: stdout, concurrency: abc}", nil,
			`config.yaml:2: channels.c.concurrency: "abc" is not a whole number from 1 to 64`},
		{"fraction", "{type: stdout, concurrency: 2.5}", nil,
			`config.yaml:2: channels.c.concurrency: "2.5" is not a whole number from 1 to 64`},
		{"a list", "{type: stdout, concurrency: [1]}", nil,
			`config.yaml:2: channels.c.concurrency: must be a single value`},
		// concurrency is no secret: ${NAME} is refused, good value or bad,
		// set or not, and the value is never quoted.
		{"from the environment", "{type: stdout, concurrency: '${CONC}'}", map[string]string{"CONC": "4"},
			`config.yaml:2: channels.c.concurrency: ${CONC}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file`},
		{"bad value from the environment", "{type: stdout, concurrency: '${CONC}'}", map[string]string{"CONC": "many"},
			`config.yaml:2: channels.c.concurrency: ${CONC}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file`},
		{"unset variable", "{type: stdout, concurrency: '${CONC}'}", nil,
			`config.yaml:2: channels.c.concurrency: ${CONC}: ${NAME} is for secrets only (tokens, passwords, keys, secret URLs and headers, the database URL), and this value would be stored and shown: write it into the file`},
		// Checked beside an unknown type, so both are reported at once.
		{"with an unknown type", "{type: carrier, concurrency: 0}", nil,
			`config.yaml:2: channels.c.concurrency: "0" is not a whole number from 1 to 64` + "\n" +
				`config.yaml:2: channels.c.type: "carrier" is not a channel type (one of: email, slack, sns, stdout, webhook)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadYAML(t, channelConfig(tt.block), tt.env)
			problemsOf(t, err)
			if got := err.Error(); got != tt.want {
				t.Errorf("problems =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}
