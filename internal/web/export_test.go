package web

// SetSearchBudget sets searchBudget for a test and returns the old one.
func SetSearchBudget(n int) int { old := searchBudget; searchBudget = n; return old }
