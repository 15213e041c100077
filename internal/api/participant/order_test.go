package participant

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func seqs(out []outgoing) []int64 {
	var s []int64
	for _, o := range out {
		s = append(s, o.seq)
	}
	return s
}

func TestSequencer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prime  int64
		arrive []int64
		want   []int64 // released, in order, without skipping gaps
	}{
		{"in order", 5, []int64{5, 6, 7}, []int64{5, 6, 7}},
		{"swapped neighbours", 5, []int64{6, 5, 8, 7}, []int64{5, 6, 7, 8}},
		{"reversed burst", 1, []int64{4, 3, 2, 1}, []int64{1, 2, 3, 4}},
		{"live-only items pass straight through", 3, []int64{4, 0, 3}, []int64{0, 3, 4}},
		{"late item after its turn is still delivered", 3, []int64{3, 4, 2}, []int64{3, 4, 2}},
		{"gap holds later items", 3, []int64{4, 5}, nil},
		{"unknown start begins at the first seen", 0, []int64{9, 10}, []int64{9, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sequencer
			s.prime(tt.prime)
			var got []int64
			for _, seq := range tt.arrive {
				got = append(got, seqs(s.admit(outgoing{seq: seq}))...)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("released %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSequencerHoldsUntilPrimed(t *testing.T) {
	t.Parallel()
	var s sequencer
	if out := s.admit(outgoing{seq: 12}); out != nil {
		t.Fatalf("released %v before priming", seqs(out))
	}
	s.admit(outgoing{seq: 10})
	// The contact's last sequence was 10 when read: 10 was stored before,
	// 11 is still in flight.
	if got := seqs(s.prime(11)); fmt.Sprint(got) != "[10]" {
		t.Fatalf("prime released %v, want [10]", got)
	}
	if got := seqs(s.admit(outgoing{seq: 11})); fmt.Sprint(got) != "[11 12]" {
		t.Fatalf("after the gap filled: %v, want [11 12]", got)
	}
}

func TestSequencerSkipsAGapThatNeverFills(t *testing.T) {
	t.Parallel()
	var s sequencer
	s.prime(1)
	s.admit(outgoing{seq: 1})
	s.admit(outgoing{seq: 3})
	s.admit(outgoing{seq: 4})
	if !s.waiting() {
		t.Fatal("not waiting on the missing 2")
	}
	if got := seqs(s.skipGap()); fmt.Sprint(got) != "[3 4]" {
		t.Fatalf("skipGap released %v, want [3 4]", got)
	}
	if got := seqs(s.admit(outgoing{seq: 5})); fmt.Sprint(got) != "[5]" {
		t.Fatalf("after the skip: %v, want [5]", got)
	}
}

// Any arrival order of a run of sequences is released sorted.
func TestSequencerAnyPermutation(t *testing.T) {
	t.Parallel()
	for trial := range 200 {
		n := 1 + rand.IntN(40)
		order := rand.Perm(n)
		var s sequencer
		s.prime(100)
		var got []int64
		for _, i := range order {
			got = append(got, seqs(s.admit(outgoing{seq: 100 + int64(i)}))...)
		}
		if len(got) != n || s.waiting() {
			t.Fatalf("trial %d: released %d of %d", trial, len(got), n)
		}
		for i, seq := range got {
			if seq != 100+int64(i) {
				t.Fatalf("trial %d: released %v", trial, got)
			}
		}
	}
}
