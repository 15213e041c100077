package routing

import "context"

// dispatcher runs routing passes when kicked.
type dispatcher struct{ s *Service }

func newDispatcher(s *Service) *dispatcher { return &dispatcher{s: s} }

func (d *dispatcher) run(ctx context.Context) error { <-ctx.Done(); return nil }
