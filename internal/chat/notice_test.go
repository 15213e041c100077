package chat_test

import (
	"bytes"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func TestNoticeRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    chat.Notice
	}{
		{"item", chat.Notice{Item: []byte(`{"Id":"1","Content":"a\nb"}`), Seq: 7}},
		{"close only", chat.Notice{CloseParticipant: "p1"}},
		{"ended with item", chat.Notice{Item: []byte(`{"Id":"2"}`), Seq: 9, Ended: true}},
		{"empty", chat.Notice{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chat.DecodeNotice(tt.n.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Item, tt.n.Item) || got.Seq != tt.n.Seq || got.CloseParticipant != tt.n.CloseParticipant || got.Ended != tt.n.Ended {
				t.Fatalf("round trip: got %+v, want %+v", got, tt.n)
			}
		})
	}
}

// Notices come off a network bus: any bytes must decode or fail, never panic.
func FuzzDecodeNotice(f *testing.F) {
	f.Add(chat.Notice{Item: []byte(`{"Id":"1"}`), Seq: 3, Ended: true}.Encode())
	f.Add([]byte("garbage"))
	f.Add([]byte("{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := chat.DecodeNotice(data)
		if err != nil {
			return
		}
		again, err := chat.DecodeNotice(n.Encode())
		if err != nil || again.Seq != n.Seq || again.Ended != n.Ended || again.CloseParticipant != n.CloseParticipant || !bytes.Equal(again.Item, n.Item) {
			t.Fatalf("re-encoding %+v gave %+v, %v", n, again, err)
		}
	})
}
