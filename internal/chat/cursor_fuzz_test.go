package chat

import "testing"

// NextToken comes from clients: decoding any string must never panic, and
// a token that decodes is bound to its chat and within the chain.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{Root: "c1", Forward: true, Index: 0, Seq: 5}))
	f.Add(encodeCursor(cursor{Root: "c1", Index: 2, Seq: 0, Single: true}))
	f.Add("")
	f.Add("eyJyIjoiYzEiLCJpIjotMX0")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := decodeCursor(token, "c1", 3)
		if err != nil {
			return
		}
		if c.Root != "c1" || c.Index < 0 || c.Index >= 3 || c.Seq < 0 {
			t.Fatalf("accepted an out-of-range cursor %+v", c)
		}
	})
}
