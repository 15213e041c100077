package sigv4

import (
	"encoding/hex"
	"testing"
)

func TestCanonicalPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"root", "/", "/"},
		{"empty", "", "/"},
		{"plain", "/contact/chat", "/contact/chat"},
		{"encoded label is encoded again", "/contacts/arn%3Aaws%3Aconnect%2Fx/c-1", "/contacts/arn%253Aaws%253Aconnect%252Fx/c-1"},
		{"raw space", "/a b", "/a%20b"},
		{"raw unicode", "/é", "/%C3%A9"},
		{"unreserved kept", "/~a-b_c.d", "/~a-b_c.d"},
		{"sub-delimiters encoded", "/a+b/*/(x)/!/'/$", "/a%2Bb/%2A/%28x%29/%21/%27/%24"},
		{"raw colon", "/a:b@c", "/a%3Ab%40c"},
		{"dot segments", "/a/./b/../c", "/a/c"},
		{"empty segments", "//a//b//", "/a/b/"},
		{"dot-dot above root", "/../a", "/a"},
		{"only dot-dot", "/..", "/"},
		{"dot-dot to root with trailing slash", "/a/../", "/"},
		{"trailing slash kept", "/contact/chat/", "/contact/chat/"},
		{"relative path", "a/b", "a/b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := canonicalPath(tc.in); got != tc.want {
				t.Errorf("canonicalPath(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"sorted by name", "b=2&a=1", "a=1&b=2"},
		{"repeated key sorted by value", "a=2&a=10&a=1", "a=1&a=10&a=2"},
		{"name sort before value", "a-b=1&a=2", "a=2&a-b=1"},
		{"no equal sign", "flag", "flag="},
		{"empty value", "x=", "x="},
		{"plus is a space", "q=hello+world", "q=hello%20world"},
		{"encoded plus stays plus", "q=a%2Bb", "q=a%2Bb"},
		{"lower-case escapes upper-cased", "x=%2a%c3%a9", "x=%2A%C3%A9"},
		{"unnecessary escapes removed", "x=%41%7E", "x=A~"},
		{"sub-delimiters encoded", "x=!'()*", "x=%21%27%28%29%2A"},
		{"equal sign inside value", "k=a=b", "k=a%3Db"},
		{"empty pairs skipped", "&&a=1&", "a=1"},
		{"invalid escape kept literally", "a=%zz", "a=%25zz"},
		{"signature left out", "X-Amz-Signature=abc&a=1&x-amz-signature=d", "a=1"},
		{"unicode key", "%C3%BC=1", "%C3%BC=1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := canonicalQuery(tc.in); got != tc.want {
				t.Errorf("canonicalQuery(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNormalizeHeaderValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   []string
		want string
	}{
		{"plain", []string{"application/json"}, "application/json"},
		{"empty", []string{""}, ""},
		{"only spaces", []string{"   "}, ""},
		{"trimmed", []string{"  a  "}, "a"},
		{"inner run of spaces", []string{"a   b"}, "a b"},
		{"tabs", []string{"a\t\tb\t"}, "a b"},
		{"mixed spaces and tabs", []string{"a \t b"}, "a b"},
		{"line breaks", []string{"a\r\nb"}, "a b"},
		{"quoted spaces collapsed too", []string{`"a   b"`}, `"a b"`},
		{"several values", []string{" a ", "b  c", ""}, "a,b c,"},
		{"no values", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := normalizeHeaderValues(tc.in); got != tc.want {
				t.Errorf("normalizeHeaderValues(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestSigningKey checks key derivation against the example in AWS's
// "Signature Version 4 signing process" documentation.
func TestSigningKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, secret, date, region, service, want string
	}{
		{"AWS documentation example", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam",
			"c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := signingKey(tc.secret, tc.date, tc.region, tc.service)
			if h := hex.EncodeToString(got); h != tc.want {
				t.Errorf("signingKey: got %s, want %s", h, tc.want)
			}
		})
	}
}
