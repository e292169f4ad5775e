package httpapi

import (
	"errors"
)

// errNotImplemented is what the operations this server does not serve yet
// return; responseError answers it with 501 and a problem saying so, so that
// a client learns the operation is missing rather than broken.
var errNotImplemented = errors.New("not implemented yet in this server")

// notImplemented is the answer of every operation not served yet.
func notImplemented() error { return errNotImplemented }
