// Package report renders every view of notifier in every format: the
// compliance report (table, json, csv, html), status, plan, history and a
// tick's outcomes, with hostile text neutralised where people read it
// (escape.go). The CLI and web pages share it; it writes to an io.Writer
// and streams.
package report
