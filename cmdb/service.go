package cmdb

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/itsm"
)

// Config is what a Service needs. Store, Directory and Permissions are
// required.
type Config struct {
	Store     itsm.Store
	Directory chain.Organisations
	// Permissions are the organisations' rights in itsm.DomainCMDB: read,
	// write and report (SD-13, CM-3).
	Permissions *itsm.Permissions
	// WorksWith, if set, says whether the supplier or customer org works
	// with desk, and so may read (and, a supplier, write) its items. Nil
	// means every supplier and customer works with every desk, as in a
	// delivery with one desk.
	WorksWith itsm.WorksWith
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// Model is the deployment's model; the zero Model means
	// DefaultModel().
	Model Model
	// Poll is how often the impact graph looks for events written by
	// other processes on the same database; zero means a second. A
	// command of this Service nudges it at once.
	Poll time.Duration
	// Zone is the desks' time zone: of change windows given without one,
	// and of the weeks of the forward schedule (CH-1); nil means
	// Europe/Stockholm.
	Zone *time.Location
}

// Service runs the CMDB over a store and keeps its impact graph current.
// It is safe for concurrent use; Close stops its following of the log.
type Service struct {
	cfg   Config
	clock itsm.Clock
	// expect is the version a command requires its item to have; zero
	// requires none. See IfVersion.
	expect int64
	// shared is what copies made by IfVersion share.
	*shared
}

// New checks cfg and its model, builds the impact graph from the store's
// item records and starts following the store's event log to keep it
// current. ctx bounds the build only.
func New(ctx context.Context, cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "cmdb: config has no store")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "cmdb: config has no directory")
	case cfg.Permissions == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "cmdb: config has no permissions")
	case cfg.Poll < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "cmdb: poll interval %s is negative", cfg.Poll)
	}
	if cfg.Model.Classes == nil && cfg.Model.RelationTypes == nil {
		cfg.Model = DefaultModel()
	}
	if err := cfg.Model.Validate(); err != nil {
		return nil, err
	}
	cfg.Model = cfg.Model.clone()
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	s := &Service{cfg: cfg, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	if err := start(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// IfVersion returns a copy of s whose commands change an item only if its
// version is still v (HTTP's If-Match): a command decided on what its
// client read fails with CodeConflict wrapping itsm.ErrStale when someone
// changed the item since. The copy shares s's graph.
func (s *Service) IfVersion(v int64) *Service {
	c := *s
	c.expect = v
	return &c
}

// Model returns the service's model, a copy the caller may change.
func (s *Service) Model() Model { return s.cfg.Model.clone() }

// now is the instant of a command, in UTC.
func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// clone returns a deep copy of m, so that the service's model cannot be
// changed behind its back.
func (m Model) clone() Model {
	out := Model{Classes: make([]Class, len(m.Classes)), RelationTypes: append([]RelationType(nil), m.RelationTypes...)}
	for i, c := range m.Classes {
		c.Attributes = append([]Attribute(nil), c.Attributes...)
		for j, a := range c.Attributes {
			c.Attributes[j].Values = append([]string(nil), a.Values...)
		}
		keys := make([][]string, len(c.Keys))
		for j, k := range c.Keys {
			keys[j] = append([]string(nil), k...)
		}
		c.Keys = keys
		c.Relations = append([]Allowed(nil), c.Relations...)
		for j, r := range c.Relations {
			c.Relations[j].To = append([]string(nil), r.To...)
		}
		out.Classes[i] = c
	}
	return out
}
