//go:build unix

package usage

import "syscall"

// noFollow: the record is never written through a link someone put in its
// place.
const noFollow = syscall.O_NOFOLLOW
