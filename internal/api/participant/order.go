package participant

import (
	"slices"
	"time"
)

// gapWait is how long a contact's stored items wait for a missing earlier
// sequence before the gap is skipped. A gap lasts only while another
// request's notice is in flight (it committed first but published later),
// or forever if that publisher died after its commit; the client then
// finds the item in the transcript.
const gapWait = time.Second

// outgoing is a notice ready to fan out.
type outgoing struct {
	frame            []byte // nil: no item
	seq              int64  // 0: live-only, not ordered
	ended            bool
	closeParticipant string
}

// sequencer releases a contact's stored items in sequence order. Notices
// reach a node in publish order, which under concurrent senders (or from
// several nodes) may differ from commit order; clients must see the
// transcript's order. The zero value holds everything until primed.
type sequencer struct {
	primed bool
	next   int64 // the next sequence to release
	held   map[int64]outgoing
	gap    *time.Timer
}

// prime sets the first sequence to expect (the contact's last sequence
// plus one, read after subscribing) and returns what can be released.
func (s *sequencer) prime(next int64) []outgoing {
	s.primed = true
	s.next = next
	var out []outgoing
	for _, seq := range s.heldSeqs() { // stored before we looked: release them first, in order
		if seq < next {
			out = append(out, s.take(seq))
		}
	}
	if s.next <= 0 && len(s.held) > 0 {
		s.next = s.heldSeqs()[0]
	}
	return append(out, s.drain()...)
}

// admit takes one notice and returns the notices to release now, in order.
func (s *sequencer) admit(o outgoing) []outgoing {
	if o.seq == 0 {
		return []outgoing{o}
	}
	if s.primed && s.next > 0 && o.seq < s.next {
		return []outgoing{o} // later than its turn: deliver, nothing to wait for
	}
	if s.held == nil {
		s.held = map[int64]outgoing{}
	}
	s.held[o.seq] = o
	if !s.primed {
		return nil
	}
	if s.next <= 0 {
		s.next = o.seq
	}
	return s.drain()
}

// skipGap gives up on the missing sequences and releases what is held.
func (s *sequencer) skipGap() []outgoing {
	if seqs := s.heldSeqs(); len(seqs) > 0 {
		s.next = seqs[0]
	}
	return s.drain()
}

// drain releases consecutive held notices from next on.
func (s *sequencer) drain() []outgoing {
	var out []outgoing
	for {
		o, ok := s.held[s.next]
		if !ok {
			break
		}
		delete(s.held, s.next)
		s.next++
		out = append(out, o)
	}
	return out
}

// waiting reports whether notices are held behind a gap.
func (s *sequencer) waiting() bool { return s.primed && len(s.held) > 0 }

func (s *sequencer) take(seq int64) outgoing {
	o := s.held[seq]
	delete(s.held, seq)
	return o
}

func (s *sequencer) heldSeqs() []int64 {
	seqs := make([]int64, 0, len(s.held))
	for seq := range s.held {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	return seqs
}
