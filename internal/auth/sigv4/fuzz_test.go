package sigv4

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers to the parser
// and to Verify. Neither may panic; the parser either succeeds or answers
// IncompleteSignatureException, and a successful parse yields values free of
// the separators it split on.
func FuzzParseAuthorization(f *testing.F) {
	seeds := []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250314/us-west-2/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		"AWS4-HMAC-SHA256 Credential=AKPAPARLEYTEST000001/20250314/us-west-2/connect/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=00",
		"AWS4-HMAC-SHA256\tCredential=a/b/c/d/e\t,SignedHeaders=,Signature=",
		"AWS4-HMAC-SHA256 Credential=, SignedHeaders, Signature=",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 ,,, ==",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig",
		"AWS AKIDEXAMPLE:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
		"",
		" \t,",
		"AWS4-HMAC-SHA256 Credential=\xff\xfe/\x00/r/s/t, SignedHeaders=HOST;;, Signature=é",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	v := testVerifier()
	f.Fuzz(func(t *testing.T, header string) {
		a, err := ParseAuthorization(header)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature || e.Status != 400 {
				t.Fatalf("ParseAuthorization(%q): got %v, want IncompleteSignatureException", header, err)
			}
		} else {
			for _, part := range append([]string{a.Credential, a.Signature}, a.SignedHeaders...) {
				if strings.ContainsAny(part, " \t,") {
					t.Fatalf("ParseAuthorization(%q): part %q holds a separator", header, part)
				}
			}
			if _, err := ParseCredential(a.Credential); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("ParseCredential(%q): got %v, want *Error", a.Credential, err)
				}
			}
		}

		r := httptest.NewRequest("GET", "http://parley.test/contacts/i-1/c-1?a=1", nil)
		r.Header["Authorization"] = []string{header}
		r.Header.Set("X-Amz-Date", testNow.Format(amzDateLayout))
		if _, err := v.Verify(r, nil, testNow); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify(%q): got %v, want *Error", header, err)
			}
		}
	})
}
