//go:build !unix

package config

// openNonblock: no FIFO to fear here.
const openNonblock = 0
