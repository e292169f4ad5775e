package knowledge

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/chain"
	"github.com/spoc-itsm/spoc/incident"
	"github.com/spoc-itsm/spoc/itsm"
)

// Config is what a Service needs. Store, Directory and Permissions are
// required; Incidents is required to record that an article resolved an
// incident.
type Config struct {
	Store       itsm.Store
	Directory   chain.Organisations
	Permissions *itsm.Permissions
	// Incidents is the incident service over the same store: RecordUse
	// reads the incident through it, as the desk agent may see it.
	Incidents *incident.Service
	// Clock tells the time; nil means the system clock.
	Clock itsm.Clock
	// WorksWith, if set, says whether the supplier or customer org works
	// with desk, and so may read (and write, given the rights) its
	// articles, as in package problem. Nil means every supplier and
	// customer works with every desk, as in a delivery with one desk.
	WorksWith func(desk, org itsm.ID) bool
	// ReviewPeriod is how long after publishing or confirming review an
	// article's review comes due when the command names no date; zero
	// means DefaultReviewPeriod.
	ReviewPeriod time.Duration
	// KnownErrorLanguage is the language of the articles made from
	// published known errors; empty means Swedish.
	KnownErrorLanguage Language
	// Poll is how often the index and the known errors look for events
	// written by other processes on the same database; zero means a
	// second. A command of this Service nudges them at once.
	Poll time.Duration
	// NoKnownErrors turns off making articles of published known errors,
	// for a process that shares the database with one that makes them.
	NoKnownErrors bool
}

// Service runs the knowledge base over a store and keeps its search index
// current. It is safe for concurrent use; Close stops its following of
// the log.
type Service struct {
	cfg   Config
	clock itsm.Clock
	// expect is the version a command requires its article to have; zero
	// requires none. See IfVersion.
	expect int64
	// shared is what copies made by IfVersion share.
	*shared
}

// New checks cfg, rebuilds the search index from the store's records and
// starts following the store's event log to keep it current. ctx bounds
// the rebuild only.
func New(ctx context.Context, cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "knowledge: config has no store")
	case cfg.Directory == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "knowledge: config has no directory")
	case cfg.Permissions == nil:
		return nil, itsm.Errorf(itsm.CodeInvalid, "knowledge: config has no permissions")
	case cfg.ReviewPeriod < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "knowledge: review period %s is negative", cfg.ReviewPeriod)
	case cfg.Poll < 0:
		return nil, itsm.Errorf(itsm.CodeInvalid, "knowledge: poll interval %s is negative", cfg.Poll)
	case cfg.KnownErrorLanguage != "" && !cfg.KnownErrorLanguage.Valid():
		return nil, itsm.Errorf(itsm.CodeInvalid, "knowledge: known error language %q is not sv, nb, nn or en", cfg.KnownErrorLanguage)
	}
	if cfg.ReviewPeriod == 0 {
		cfg.ReviewPeriod = DefaultReviewPeriod
	}
	if cfg.KnownErrorLanguage == "" {
		cfg.KnownErrorLanguage = Swedish
	}
	if cfg.Poll == 0 {
		cfg.Poll = time.Second
	}
	s := &Service{cfg: cfg, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = itsm.SystemClock{}
	}
	// start sets s.shared before its follower starts reading s: setting
	// it again here would race with the follower.
	if _, err := start(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// IfVersion returns a copy of s whose commands change an article only if
// its version is still v (HTTP's If-Match): a command decided on what its
// client read fails with CodeConflict wrapping itsm.ErrStale when someone
// changed the article since. The copy shares s's index.
func (s *Service) IfVersion(v int64) *Service {
	c := *s
	c.expect = v
	return &c
}

// IndexStatus says how far the search index has followed the event log.
type IndexStatus struct {
	// Position is the sequence number of the last event the index has
	// applied.
	Position int64 `json:"position"`
	// Behind is how long ago the index last found itself at the end of
	// the log: zero when it has just caught up, growing while it falls
	// behind or cannot read the store.
	Behind time.Duration `json:"behind"`
	// Documents is how many articles the index holds.
	Documents int `json:"documents"`
	// Rebuilt is when the index was rebuilt from the records, and
	// RebuildTime how long that took.
	Rebuilt     time.Time     `json:"rebuilt"`
	RebuildTime time.Duration `json:"rebuild_time"`
	// Err is the last error following the log met, if it has not caught
	// up since.
	Err string `json:"error,omitempty"`
}

// IndexStatus returns how far the search index has followed the log.
func (s *Service) IndexStatus() IndexStatus { return s.status() }

// Sync waits until the search index has applied every event the log held
// when Sync was called, including other processes' writes, and the known
// errors published by then are articles: a caller that searches after
// Sync returns finds what was written before it. A command of this
// Service nudges the index at once, so that an edit is searchable within
// milliseconds without Sync.
func (s *Service) Sync(ctx context.Context) error { return s.sync(ctx) }

// Close stops following the log and flushes the gap list's counts. A
// closed Service refuses searches; its commands still write.
func (s *Service) Close() error { return s.close() }
