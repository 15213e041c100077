package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// header is one canonical header: lower-cased name, normalised value.
type header struct {
	name, value string
}

// canonicalRequest builds the canonical request. target is the request
// target as sent on the wire (path and optional "?query"); headers must be
// in the order of signedHeaders.
func canonicalRequest(method, target string, headers []header, signedHeaders, payloadHash string) string {
	path, query, _ := strings.Cut(target, "?")
	var b strings.Builder
	b.Grow(len(method) + 2*len(target) + 64*len(headers) + len(signedHeaders) + len(payloadHash) + 8)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalPath(path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query))
	b.WriteByte('\n')
	for _, h := range headers {
		b.WriteString(h.name)
		b.WriteByte(':')
		b.WriteString(h.value)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalPath canonicalises a path as sent on the wire (already
// percent-encoded), the way @smithy/signature-v4 does for every service but
// S3 (uriEscapePath): resolve "." and "..", drop empty segments, keep a
// leading and a trailing slash, then percent-encode each segment again, so
// "%3A" becomes "%253A".
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	segs := make([]string, 0, strings.Count(p, "/")+1)
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
	}
	var b strings.Builder
	b.Grow(len(p) + len(p)/2)
	if strings.HasPrefix(p, "/") {
		b.WriteByte('/')
	}
	for i, seg := range segs {
		if i > 0 {
			b.WriteByte('/')
		}
		escapeTo(&b, seg)
	}
	if len(segs) > 0 && strings.HasSuffix(p, "/") {
		b.WriteByte('/')
	}
	return b.String()
}

// canonicalQuery decodes a raw query string and re-encodes it canonically:
// each name and value RFC 3986-encoded, pairs sorted by name then value,
// "name=value" joined by "&". A parameter without "=" counts as having an
// empty value. X-Amz-Signature is left out, as the JS signer does.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if strings.EqualFold(k, "X-Amz-Signature") {
			continue
		}
		pairs = append(pairs, pair{escape(k), escape(v)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/2)
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// unescapeQuery decodes one query name or value ("+" is a space). A value
// that is not valid percent-encoding is kept as sent; it then canonicalises
// to something no conforming client signed, and verification fails.
func unescapeQuery(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// escape percent-encodes every byte except the RFC 3986 unreserved
// characters A-Z a-z 0-9 - _ . ~ (encodeURIComponent plus !'()*).
func escape(s string) string {
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			var b strings.Builder
			b.Grow(len(s) + 2*(len(s)-i))
			b.WriteString(s[:i])
			escapeTo(&b, s[i:])
			return b.String()
		}
	}
	return s
}

func escapeTo(b *strings.Builder, s string) {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&0xf])
	}
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// normalizeHeaderValues joins a header's values with "," after trimming each
// and collapsing runs of spaces and tabs (and CR/LF, as the JS signer does)
// into one space.
func normalizeHeaderValues(values []string) string {
	if len(values) == 1 {
		return normalizeHeaderValue(values[0])
	}
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(normalizeHeaderValue(v))
	}
	return b.String()
}

func normalizeHeaderValue(v string) string {
	if !needsNormalizing(v) {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	pendingSpace := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isHeaderSpace(c) {
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// needsNormalizing reports whether v has leading or trailing spaces, a run
// of spaces, or a tab, CR or LF; most values have none and are used as is.
func needsNormalizing(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return true
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\t', '\r', '\n':
			return true
		case ' ':
			if v[i+1] == ' ' {
				return true
			}
		}
	}
	return false
}

func isHeaderSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// stringToSign hashes the canonical request into the string AWS signs.
func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// signingKey derives the key for one day, region and service.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signature is the hex HMAC of the string to sign under the signing key.
func signature(key []byte, toSign string) string {
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

// payloadSHA256 is the hex SHA-256 of a body.
func payloadSHA256(body []byte) string {
	if len(body) == 0 {
		return emptySHA256
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
