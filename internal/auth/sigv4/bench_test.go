package sigv4

import (
	"net/http"
	"testing"
)

// BenchmarkVerify measures verifying a typical StartChatContact request
// (lookup excluded: it is an in-memory comparison here).
func BenchmarkVerify(b *testing.B) {
	r, body := signedOverTheWire(b, testSigner(), clientRequest{
		method:  "PUT",
		url:     "http://parley.test/contact/chat",
		body:    `{"InstanceId":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","ContactFlowId":"f-1","ParticipantDetails":{"DisplayName":"Customer"}}`,
		headers: http.Header{"Content-Type": {"application/json"}, "Amz-Sdk-Invocation-Id": {"00000000-0000-4000-8000-000000000001"}},
	})
	v := testVerifier()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign measures signing the same request on the client side.
func BenchmarkSign(b *testing.B) {
	body := []byte(`{"InstanceId":"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","ContactFlowId":"f-1","ParticipantDetails":{"DisplayName":"Customer"}}`)
	s := testSigner()
	b.ReportAllocs()
	for b.Loop() {
		r, err := http.NewRequest("PUT", "http://parley.test/contact/chat", nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		if err := s.Sign(r, body, testNow); err != nil {
			b.Fatal(err)
		}
	}
}
