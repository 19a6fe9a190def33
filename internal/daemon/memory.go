package daemon

// MemoryLimit is the soft limit on the Go runtime's memory that Run
// keeps to after its start-up tick, unless the environment's GOMEMLIMIT
// chose one (a sync that writes changed files lifts it while it runs:
// parsing and writing a large fleet holds far more): the collector
// runs when the heap nears it rather than when garbage has doubled the
// live heap. The daemon's live heap is small at any fleet size (views
// stream, pages are 50 rows): about 20 MB while 50 clients page through
// the console of a million credentials, whose garbage (every page reads
// and drops its rows) let the heap grow past 60 MB under the default
// GOGC alone. A process that truly needs more still gets it: the limit
// is soft, and the runtime caps the collector's share of the CPU.
const MemoryLimit = 48 << 20

// memoryLimit is the limit Run sets, and whether it sets one: none when
// GOMEMLIMIT is set (the runtime applied it at start).
func memoryLimit(getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	return MemoryLimit, true
}
