package testenv

import (
	"errors"
	"testing"
)

// SecretService is a private session bus with GNOME Keyring that a test
// can take GNOME Keyring away from (StartSecretServiceControl).
type SecretService struct {
	// Env is what StartSecretService returns: the bus address, HOME,
	// XDG_* folders and XDG_RUNTIME_DIR of the bus and the keyring.
	Env []string
	ss  *secretService
}

// StartSecretServiceControl is StartSecretService with a handle on the
// daemons, stopped when the test ends.
func StartSecretServiceControl(t testing.TB) *SecretService {
	t.Helper()
	ss, err := startSecretService()
	if errors.Is(err, errNotInstalled) {
		Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("starting a Secret Service: %v", err)
	}
	t.Cleanup(ss.stop)
	return &SecretService{Env: ss.env, ss: ss}
}

// StopKeyring ends GNOME Keyring and waits for it; the bus stays. The bus
// has no service files, so nothing starts it again: the Secret Service is
// gone, as when the person's daemon crashed or was killed.
func (s *SecretService) StopKeyring() { s.ss.gkd.stop(0) }
