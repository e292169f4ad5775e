package knowledge

import (
	"context"
	"time"

	"github.com/spoc-itsm/spoc/itsm"
)

// The bodies below are being written; the exported API above is settled.
var errTodo = itsm.Errorf(itsm.CodeInternal, "knowledge: not built yet")

type shared struct{}

func start(context.Context, *Service) (*shared, error) { return &shared{}, nil }
func (s *Service) status() IndexStatus                 { return IndexStatus{} }
func (s *Service) sync(context.Context) error          { return errTodo }
func (s *Service) close() error                        { return nil }

func (s *Service) create(context.Context, itsm.Actor, Draft) (*Article, error) { return nil, errTodo }
func (s *Service) translate(context.Context, itsm.Actor, itsm.ID, Language, Content) (*Article, error) {
	return nil, errTodo
}
func (s *Service) edit(context.Context, itsm.Actor, itsm.ID, Content) (*Article, error) {
	return nil, errTodo
}
func (s *Service) submit(context.Context, itsm.Actor, itsm.ID) (*Article, error) { return nil, errTodo }
func (s *Service) sendBack(context.Context, itsm.Actor, itsm.ID, string) (*Article, error) {
	return nil, errTodo
}
func (s *Service) publish(context.Context, itsm.Actor, itsm.ID, Publishing) (*Article, error) {
	return nil, errTodo
}
func (s *Service) retire(context.Context, itsm.Actor, itsm.ID, string) (*Article, error) {
	return nil, errTodo
}
func (s *Service) confirmReview(context.Context, itsm.Actor, itsm.ID, time.Time) (*Article, error) {
	return nil, errTodo
}
func (s *Service) handOver(context.Context, itsm.Actor, itsm.ID, string) (*Article, error) {
	return nil, errTodo
}
func (s *Service) mark(context.Context, itsm.Actor, itsm.ID, bool) (Stats, error) {
	return Stats{}, errTodo
}
func (s *Service) recordUse(context.Context, itsm.Actor, itsm.ID, itsm.ID) (Stats, error) {
	return Stats{}, errTodo
}
func (s *Service) get(context.Context, itsm.Actor, itsm.ID) (*Article, error) { return nil, errTodo }
func (s *Service) getByNumber(context.Context, itsm.Actor, itsm.Number) (*Article, error) {
	return nil, errTodo
}
func (s *Service) list(context.Context, itsm.Actor, Filter) (Page, error) { return Page{}, errTodo }
func (s *Service) translations(context.Context, itsm.Actor, itsm.ID) ([]*Article, error) {
	return nil, errTodo
}
func (s *Service) versions(context.Context, itsm.Actor, itsm.ID) ([]*Version, error) {
	return nil, errTodo
}
func (s *Service) version(context.Context, itsm.Actor, itsm.ID, int) (*Version, error) {
	return nil, errTodo
}
func (s *Service) events(context.Context, itsm.Actor, itsm.ID) ([]itsm.Event, error) {
	return nil, errTodo
}
func (s *Service) search(context.Context, itsm.Actor, Query) (Result, error) {
	return Result{}, errTodo
}
func (s *Service) mostUsed(context.Context, itsm.Actor, int) ([]Usage, error) { return nil, errTodo }
func (s *Service) leastHelpful(context.Context, itsm.Actor, int) ([]Usage, error) {
	return nil, errTodo
}
func (s *Service) pastReview(context.Context, itsm.Actor, int) ([]*Article, error) {
	return nil, errTodo
}
func (s *Service) gaps(context.Context, itsm.Actor, int) ([]Gap, error) { return nil, errTodo }
