package doctor

import "os"

// socketPermissions: the agent's named pipe has its own security
// descriptor, which the agent's Dial checks.
func socketPermissions(string, os.FileInfo) *Result { return nil }
