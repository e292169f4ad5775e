package followup

import (
	"context"

	"github.com/spoc-itsm/spoc/itsm"
	"github.com/spoc-itsm/spoc/sla/report"
)

// Directory finds the organisations that actors act for, so that the service
// can tell the desk from the customer without owning the register of
// organisations. incident.Organisations is one.
type Directory interface {
	// Organisation returns the organisation with the ID, or an error with
	// CodeNotFound.
	Organisation(ctx context.Context, id itsm.ID) (itsm.Organisation, error)
}

// ComputeFunc computes the report of a customer's month for the desk that
// provides the customer its service: the desk's agreements with the
// customer, over the customer's tickets the desk may report on. The service
// calls it outside any store transaction, so it may read the store itself.
// It must return a report of exactly the period asked for.
type ComputeFunc func(ctx context.Context, desk, customer itsm.ID, period report.Period) (*report.Report, error)

// ProvidesFunc reports whether desk provides customer a service-level
// agreement (an SLA whose provider is the desk and whose consumer is the
// customer). A desk drafts and corrects the follow-ups of the customers it
// provides an SLA to, and of no others.
type ProvidesFunc func(ctx context.Context, desk, customer itsm.ID) (bool, error)

// Config is what a Service needs. Store, Directory, Permissions, Provides and
// Compute are required.
type Config struct {
	Store       itsm.Store
	Directory   Directory
	Permissions *itsm.Permissions
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// Provides tells which customers a desk serves; it is asked before a
	// draft or a correction computes anything.
	Provides ProvidesFunc
	// Compute computes the reports that the desk drafts and corrects,
	// typically with report.Compute over the customer's tickets and
	// agreements.
	Compute ComputeFunc
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return itsm.Errorf(itsm.CodeInvalid, "follow-up config: store is nil")
	case c.Directory == nil:
		return itsm.Errorf(itsm.CodeInvalid, "follow-up config: directory is nil")
	case c.Permissions == nil:
		return itsm.Errorf(itsm.CodeInvalid, "follow-up config: permissions are nil")
	case c.Provides == nil:
		return itsm.Errorf(itsm.CodeInvalid, "follow-up config: provides is nil")
	case c.Compute == nil:
		return itsm.Errorf(itsm.CodeInvalid, "follow-up config: compute is nil")
	}
	return nil
}
