package schedule

import "time"

// PackedStep is a Step in 24 bytes and without a pointer: a walk that
// holds a step for each of many cycles (a streamed plan of the fleet)
// keeps these, which the garbage collector need not scan.
type PackedStep struct {
	Due                int64 // Unix nanoseconds
	Stage, Seq, listed int32
}

// Pack is st packed; Unpack gives it back, its Due in loc.
func (st Step) Pack() PackedStep {
	return PackedStep{Due: st.Due.UnixNano(), Stage: st.Stage, Seq: st.Seq, listed: st.listed}
}

// Unpack is the Step p packed, its Due in loc.
func (p PackedStep) Unpack(loc *time.Location) Step {
	return Step{Due: time.Unix(0, p.Due).In(loc), Stage: p.Stage, Seq: p.Seq, listed: p.listed}
}
