//go:build !unix

package usage

const noFollow = 0
