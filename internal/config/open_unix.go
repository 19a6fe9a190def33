//go:build unix

package config

import "syscall"

// openNonblock keeps the open of a FIFO put in place of a config file
// from waiting for a writer.
const openNonblock = syscall.O_NONBLOCK
