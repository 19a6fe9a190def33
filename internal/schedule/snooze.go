package schedule

import "time"

// NextThreshold is "until the next stage": the threshold of the first stage
// that becomes due after at, and its name; the zero time when no stage
// comes after at.
func NextThreshold(p Policy, deadline, at time.Time, loc *time.Location) (time.Time, string) {
	for _, s := range p.Stages {
		if thr := s.Threshold(deadline, loc); thr.After(at) {
			return thr, s.Name
		}
	}
	return time.Time{}, ""
}

// A snooze is an acknowledgment with an end (Ack.Until). While it lasts it
// is an acknowledgment: repeats stop, and more urgent stages still go out,
// except that a stage marked UnlessAcknowledged is not skipped but waits
// for the end. When it ends the cycle is unacknowledged again and the
// ladder resumes with one send, never a burst: the latest repeat of the
// active stage that fell due during the snooze (or the stage that waited)
// goes out once, due at the end; later repeats keep the stage's rhythm,
// counted from its threshold as if there had been no snooze. A snooze in
// which no repeat fell due sends nothing at its end.

// resumed is the due time of a send decided at now: one that fell due
// during a snooze that has ended by now is due at the snooze's end.
func (a Ack) resumed(due, now time.Time) time.Time {
	if !a.Until.IsZero() && !now.Before(a.Until) && !due.Before(a.At) && due.Before(a.Until) {
		return a.Until
	}
	return due
}
