package sigv4

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseAuthorization(t *testing.T) {
	t.Parallel()
	const (
		cred = "AKIDEXAMPLE/20250314/us-west-2/connect/aws4_request"
		sig  = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	)
	want := Authorization{Credential: cred, SignedHeaders: []string{"host", "x-amz-date"}, Signature: sig}
	cases := []struct {
		name    string
		header  string
		want    Authorization
		errCode string
		errMsg  string // prefix of the message
	}{
		{name: "as the SDK writes it",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host;x-amz-date, Signature=" + sig, want: want},
		{name: "no spaces after commas",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + ",SignedHeaders=host;x-amz-date,Signature=" + sig, want: want},
		{name: "spaces only",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + " SignedHeaders=host;x-amz-date Signature=" + sig, want: want},
		{name: "extra spaces and tabs",
			header: "  AWS4-HMAC-SHA256 \t Credential=" + cred + " ,\tSignedHeaders=host;x-amz-date ,  Signature=" + sig + "  ", want: want},
		{name: "comma right after the algorithm",
			header: "AWS4-HMAC-SHA256,Credential=" + cred + ",SignedHeaders=host;x-amz-date,Signature=" + sig, want: want},
		{name: "parameters in another order",
			header: "AWS4-HMAC-SHA256 Signature=" + sig + ", Credential=" + cred + ", SignedHeaders=host;x-amz-date", want: want},
		{name: "unknown parameter ignored",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + ", Foo=bar, SignedHeaders=host;x-amz-date, Signature=" + sig, want: want},
		{name: "signed header names lower-cased",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=Host;X-Amz-Date, Signature=" + sig, want: want},
		{name: "first occurrence wins",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + ", Credential=other, SignedHeaders=host;x-amz-date, Signature=" + sig, want: want},
		{name: "empty signed headers",
			header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=, Signature=" + sig,
			want:   Authorization{Credential: cred, SignedHeaders: []string{}, Signature: sig}},
		{name: "empty string", header: "", errCode: CodeIncompleteSignature,
			errMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization="},
		{name: "algorithm only", header: "AWS4-HMAC-SHA256", errCode: CodeIncompleteSignature,
			errMsg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{name: "other algorithm", header: "AWS4-ECDSA-P256-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=" + sig,
			errCode: CodeIncompleteSignature, errMsg: "Authorization header requires 'Credential' parameter."},
		{name: "lower-case algorithm", header: "aws4-hmac-sha256 Credential=" + cred + ", SignedHeaders=host, Signature=" + sig,
			errCode: CodeIncompleteSignature, errMsg: "Authorization header requires 'Credential' parameter."},
		{name: "SigV2", header: "AWS AKIDEXAMPLE:qaNdqGsI6bq4Hi+9Gzovwyjbh0E=",
			errCode: CodeIncompleteSignature, errMsg: "Authorization header requires 'Credential' parameter."},
		{name: "signed headers missing", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", Signature=" + sig,
			errCode: CodeIncompleteSignature, errMsg: "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4"},
		{name: "missing equal sign", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders, Signature=" + sig,
			errCode: CodeIncompleteSignature, errMsg: "'SignedHeaders' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential="},
		{name: "space after equal sign", header: "AWS4-HMAC-SHA256 Credential= " + cred + ", SignedHeaders=host, Signature=" + sig,
			errCode: CodeIncompleteSignature, errMsg: "'" + cred + "' not a valid key=value pair (missing equal-sign)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAuthorization(tc.header)
			if tc.errCode != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("ParseAuthorization: got %+v, %v; want *Error %s", got, err, tc.errCode)
				}
				if e.Code != tc.errCode || e.Status != 400 || !strings.HasPrefix(e.Message, tc.errMsg) {
					t.Errorf("ParseAuthorization: got %s %d %q, want %s 400 %q…", e.Code, e.Status, e.Message, tc.errCode, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAuthorization: %v", err)
			}
			if got.Credential != tc.want.Credential || got.Signature != tc.want.Signature || !slices.Equal(got.SignedHeaders, tc.want.SignedHeaders) {
				t.Errorf("ParseAuthorization:\ngot  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseCredential(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      string
		want    Credential
		wantErr bool
	}{
		{name: "valid", in: "AKID/20250314/us-west-2/connect/aws4_request",
			want: Credential{AccessKeyID: "AKID", Date: "20250314", Region: "us-west-2", Service: "connect", Terminator: "aws4_request"}},
		{name: "empty parts keep their place", in: "////",
			want: Credential{}},
		{name: "too few", in: "AKID/20250314/us-west-2/connect", wantErr: true},
		{name: "too many (slash in key)", in: "AK/ID/20250314/us-west-2/connect/aws4_request", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCredential(tc.in)
			if tc.wantErr {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeIncompleteSignature {
					t.Fatalf("ParseCredential(%q): got %+v, %v; want IncompleteSignatureException", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseCredential(%q): got %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if scope := got.Scope(); scope != strings.SplitN(tc.in, "/", 2)[1] {
				t.Errorf("Scope: got %q", scope)
			}
		})
	}
}
