//go:build !(darwin && cgo)

package cli

// keychainCompiled reports whether 99designs/keyring's Keychain backend is
// in this build: its file is built on darwin with cgo only.
const keychainCompiled = false
