package httpapi

import "github.com/spoc-itsm/spoc/itsm"

// notImplemented is the answer of an operation whose service this server
// runs without (follow-ups, webhooks, groups): itsm.CodeUnsupported, which
// the problem table answers 501, so that a client learns the operation is
// not offered here, rather than that it may work if retried later.
func notImplemented(what string) error {
	return itsm.Errorf(itsm.CodeUnsupported, "this server runs without %s: its operator has not configured them, so the operation is not offered here", what)
}
