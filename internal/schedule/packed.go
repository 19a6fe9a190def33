package schedule

import (
	"encoding/binary"
	"time"
)

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

// PackedSize is the length of a PackedStep in bytes (AppendBinary).
const PackedSize = 20

// AppendBinary appends p's PackedSize bytes to b; ParsePacked reads them
// back: a step written to a file and read again.
func (p PackedStep) AppendBinary(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(p.Due))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Stage))
	b = binary.LittleEndian.AppendUint32(b, uint32(p.Seq))
	return binary.LittleEndian.AppendUint32(b, uint32(p.listed))
}

// ParsePacked is the step AppendBinary wrote at the start of b.
func ParsePacked(b []byte) PackedStep {
	return PackedStep{Due: int64(binary.LittleEndian.Uint64(b)), Stage: int32(binary.LittleEndian.Uint32(b[8:])),
		Seq: int32(binary.LittleEndian.Uint32(b[12:])), listed: int32(binary.LittleEndian.Uint32(b[16:]))}
}
