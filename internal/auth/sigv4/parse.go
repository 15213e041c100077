package sigv4

import (
	"strings"
)

// Algorithm is the signing algorithm this package implements, as it appears
// at the start of the Authorization header and in the string to sign.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	terminator      = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// Authorization is a parsed SigV4 Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20250314/us-west-2/connect/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d67…
type Authorization struct {
	// Credential is the raw credential, access key ID and scope joined by
	// "/"; ParseCredential splits it.
	Credential string
	// SignedHeaders are the names of the signed headers, lower-cased, in
	// the order the client listed them (which the canonical request keeps).
	SignedHeaders []string
	// Signature is the hex signature exactly as sent.
	Signature string
}

// Credential is the credential of an Authorization header split into the
// access key ID and the four parts of its scope.
type Credential struct {
	AccessKeyID string
	Date        string // yyyymmdd
	Region      string
	Service     string
	Terminator  string // always "aws4_request" when valid
}

// Scope returns the credential scope, "date/region/service/aws4_request".
func (c Credential) Scope() string {
	return c.Date + "/" + c.Region + "/" + c.Service + "/" + c.Terminator
}

// ParseAuthorization parses an AWS4-HMAC-SHA256 Authorization header value.
// Like AWS it accepts the parameters in any order, separated by commas
// and/or spaces or tabs, and ignores parameters it does not know. A
// malformed header yields an *Error with Code IncompleteSignatureException
// and the message AWS uses.
func ParseAuthorization(header string) (Authorization, error) {
	a, missing, err := parseAuthorization(header)
	if err != nil {
		return Authorization{}, err
	}
	if len(missing) > 0 {
		return Authorization{}, errMissingParts(missing, false, header)
	}
	return a, nil
}

// parseAuthorization returns the parameters it found and the names of the
// required ones it did not, so Verify can report a missing request date in
// the same message, as AWS does. err is set only for a token without "=".
func parseAuthorization(header string) (a Authorization, missing []string, err *Error) {
	rest := strings.TrimLeft(header, " \t")
	alg := rest
	if i := strings.IndexAny(rest, " \t,"); i >= 0 {
		alg, rest = rest[:i], rest[i:]
	} else {
		rest = ""
	}
	if alg != Algorithm {
		// Another scheme (a bearer token, SigV2's "AWS key:sig"): AWS does
		// not try to read it and reports every parameter as missing.
		return Authorization{}, []string{"Credential", "Signature", "SignedHeaders"}, nil
	}
	var haveCredential, haveSignedHeaders, haveSignature bool
	for _, tok := range strings.FieldsFunc(rest, isParamSeparator) {
		key, value, ok := strings.Cut(tok, "=")
		if !ok {
			return Authorization{}, nil, errMissingEqualSign(tok, header)
		}
		switch key {
		case "Credential":
			if !haveCredential {
				a.Credential, haveCredential = value, true
			}
		case "SignedHeaders":
			if !haveSignedHeaders {
				a.SignedHeaders, haveSignedHeaders = splitSignedHeaders(value), true
			}
		case "Signature":
			if !haveSignature {
				a.Signature, haveSignature = value, true
			}
		}
	}
	// AWS lists the missing parameters in this order.
	if !haveCredential {
		missing = append(missing, "Credential")
	}
	if !haveSignature {
		missing = append(missing, "Signature")
	}
	if !haveSignedHeaders {
		missing = append(missing, "SignedHeaders")
	}
	return a, missing, nil
}

func isParamSeparator(r rune) bool {
	return r == ' ' || r == '\t' || r == ','
}

func splitSignedHeaders(v string) []string {
	if v == "" {
		return []string{}
	}
	names := strings.Split(v, ";")
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	return names
}

// ParseCredential splits "AKID/yyyymmdd/region/service/aws4_request". It
// checks only the shape (exactly five elements); Verify checks the values.
func ParseCredential(credential string) (Credential, error) {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return Credential{}, errCredentialElements(credential)
	}
	return Credential{
		AccessKeyID: parts[0],
		Date:        parts[1],
		Region:      parts[2],
		Service:     parts[3],
		Terminator:  parts[4],
	}, nil
}
