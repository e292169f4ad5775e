package impact

// span is where one node's list is in an arena: its elements at
// off..off+len, and room reserved for it up to off+cap.
type span struct{ off, len, cap uint32 }

// arena holds the lists of one kind of every node (their arcs, their
// sources) in one slice. The graph is then a few large slices without
// pointers, which the garbage collector need not trace, rather than
// three small slices per node; a node's list is one index away, and the
// lists of nodes added together (an import, a rebuild) lie together.
//
// A list that outgrows its room moves to the end with twice as much,
// leaving garbage behind, as does a removed node's list; the graph
// compacts an arena when half of it is garbage (decision 160).
type arena[T any] struct {
	data    []T
	garbage int // elements that no span reserves any more
}

// list returns the elements of s.
func (a *arena[T]) list(s span) []T { return a.data[s.off : s.off+s.len] }

// push appends v to the list at s.
func (a *arena[T]) push(s *span, v T) {
	if s.len == s.cap {
		a.grow(s)
	}
	a.data[s.off+s.len] = v
	s.len++
}

// grow doubles the room of the list at s: in place when it is the last
// in the arena, else by moving it to the end.
func (a *arena[T]) grow(s *span) {
	c := max(2, 2*s.cap)
	if s.cap > 0 && int(s.off+s.cap) == len(a.data) {
		a.data = append(a.data, make([]T, c-s.cap)...)
		s.cap = c
		return
	}
	off := len(a.data)
	a.data = append(a.data, a.data[s.off:s.off+s.len]...)
	a.data = append(a.data, make([]T, c-s.len)...)
	a.garbage += int(s.cap)
	*s = span{off: uint32(off), len: s.len, cap: c}
}

// release gives up the room of the list at s, which becomes empty.
func (a *arena[T]) release(s *span) {
	a.garbage += int(s.cap)
	*s = span{}
}

// wasteful reports whether half of the arena is garbage (and it is
// worth compacting: small arenas are not).
func (a *arena[T]) wasteful() bool { return a.garbage > 1024 && 2*a.garbage > len(a.data) }

// compact copies the lists at spans into a new arena without garbage,
// each with exactly its room, and updates the spans.
func (a *arena[T]) compact(spans []span) {
	data := make([]T, 0, len(a.data)-a.garbage)
	for i, s := range spans {
		off := len(data)
		data = append(data, a.list(s)...)
		spans[i] = span{off: uint32(off), len: s.len, cap: s.len}
	}
	*a = arena[T]{data: data}
}
