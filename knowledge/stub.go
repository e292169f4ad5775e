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
