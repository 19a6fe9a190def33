package domain

// EventNotice is an operational problem of notifier itself that started
// or cleared (a refused config file, a channel whose delivery finally
// failed): its stage is the problem's key, its status NoticeStarted or
// NoticeCleared, its detail what is wrong. The problems open now are
// those whose last notice started them: derived from the history, they
// survive a restart.
const EventNotice = "notice"

// The statuses of a notice event.
const (
	NoticeStarted = "started"
	NoticeCleared = "cleared"
)

// Problem is one operational problem of notifier itself, as its admins
// are told of it.
type Problem struct {
	// Key names the problem, stable while it lasts: "config:<file>",
	// "channel:<name>".
	Key    string
	Detail string // what is wrong (started) or what cleared it
}
