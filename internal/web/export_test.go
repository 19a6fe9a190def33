package web

// SetSearchBudget sets searchBudget for a test and returns the old one.
func SetSearchBudget(n int) int { old := searchBudget; searchBudget = n; return old }

// Counted is how many times s counted the fleet per state.
func Counted(s *Server) int64 { return s.stateCounts.runs.Load() }

// CountWaiting is how many pages wait for s's first count.
func CountWaiting(s *Server) int64 { return s.stateCounts.waiting.Load() }

// HoldCounts makes every count wait until release is closed.
func HoldCounts(release <-chan struct{}) func() {
	testHookCount = func() { <-release }
	return func() { testHookCount = nil }
}
