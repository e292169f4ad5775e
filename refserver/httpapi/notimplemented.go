package httpapi

import (
	"context"
	"errors"

	"github.com/spoc-itsm/spoc/refserver/api"
)

// errNotImplemented is what the operations this server does not serve yet
// return; responseError answers it with 501 and a problem saying so, so that
// a client learns the operation is missing rather than broken.
var errNotImplemented = errors.New("not implemented yet in this server")

// notImplemented is the answer of every operation not served yet.
func notImplemented() error { return errNotImplemented }

// ListFollowUps answers 501: not served yet.
func (a *API) ListFollowUps(ctx context.Context, _ api.ListFollowUpsRequestObject) (api.ListFollowUpsResponseObject, error) {
	return nil, notImplemented()
}

// DraftFollowUp answers 501: not served yet.
func (a *API) DraftFollowUp(ctx context.Context, _ api.DraftFollowUpRequestObject) (api.DraftFollowUpResponseObject, error) {
	return nil, notImplemented()
}

// GetFollowUp answers 501: not served yet.
func (a *API) GetFollowUp(ctx context.Context, _ api.GetFollowUpRequestObject) (api.GetFollowUpResponseObject, error) {
	return nil, notImplemented()
}

// ApproveFollowUp answers 501: not served yet.
func (a *API) ApproveFollowUp(ctx context.Context, _ api.ApproveFollowUpRequestObject) (api.ApproveFollowUpResponseObject, error) {
	return nil, notImplemented()
}

// CorrectFollowUp answers 501: not served yet.
func (a *API) CorrectFollowUp(ctx context.Context, _ api.CorrectFollowUpRequestObject) (api.CorrectFollowUpResponseObject, error) {
	return nil, notImplemented()
}

// RejectFollowUp answers 501: not served yet.
func (a *API) RejectFollowUp(ctx context.Context, _ api.RejectFollowUpRequestObject) (api.RejectFollowUpResponseObject, error) {
	return nil, notImplemented()
}

// GetFollowUpReport answers 501: not served yet.
func (a *API) GetFollowUpReport(ctx context.Context, _ api.GetFollowUpReportRequestObject) (api.GetFollowUpReportResponseObject, error) {
	return nil, notImplemented()
}

// GetReport answers 501: not served yet.
func (a *API) GetReport(ctx context.Context, _ api.GetReportRequestObject) (api.GetReportResponseObject, error) {
	return nil, notImplemented()
}
