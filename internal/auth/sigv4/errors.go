package sigv4

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Exception names AWS answers with when a request fails authentication. They
// go into the x-amzn-ErrorType header of the error response.
const (
	// CodeMissingAuthenticationToken is answered (403) when the request
	// carries no Authorization header at all.
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	// CodeIncompleteSignature is answered (400) when the Authorization
	// header cannot be parsed or lacks a required part or request date.
	CodeIncompleteSignature = "IncompleteSignatureException"
	// CodeUnrecognizedClient is answered (403) when the access key ID is
	// unknown.
	CodeUnrecognizedClient = "UnrecognizedClientException"
	// CodeInvalidSignature is answered (403) when the signature, its
	// scope or its time is wrong.
	CodeInvalidSignature = "InvalidSignatureException"
)

// Messages AWS uses, reproduced verbatim (including their punctuation) so
// clients that match on them behave as they do against AWS.
const (
	msgMissingAuthenticationToken = "Missing Authentication Token"
	msgUnrecognizedClient         = "The security token included in the request is invalid."
	msgSignatureMismatch          = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned              = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
)

// ErrUnknownAccessKey is what a Verifier's Lookup returns (or wraps) when no
// key has the requested access key ID. Verify turns it into an
// UnrecognizedClientException; any other Lookup error is passed on wrapped,
// as an internal error.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

// Error is a failed verification as AWS reports it: Code is the exception
// name (for the x-amzn-ErrorType header), Status the HTTP status code and
// Message the human-readable message for the response body.
type Error struct {
	Code    string
	Status  int
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "sigv4: " + e.Code + ": " + e.Message
}

// Statuses: Connect is a REST-JSON service, and REST-JSON front doors (Lambda,
// API Gateway, Lex) answer authentication failures with 403 and the exception
// name in x-amzn-ErrorType. IncompleteSignatureException is the exception AWS
// documents with 400 (Common Errors, "IncompleteSignature"), and the status
// JSON services answer it with.
func errMissingAuthenticationToken() *Error {
	return &Error{Code: CodeMissingAuthenticationToken, Status: http.StatusForbidden, Message: msgMissingAuthenticationToken}
}

func errIncomplete(msg string) *Error {
	return &Error{Code: CodeIncompleteSignature, Status: http.StatusBadRequest, Message: msg}
}

func errUnrecognizedClient() *Error {
	return &Error{Code: CodeUnrecognizedClient, Status: http.StatusForbidden, Message: msgUnrecognizedClient}
}

func errInvalidSignature(msg string) *Error {
	return &Error{Code: CodeInvalidSignature, Status: http.StatusForbidden, Message: msg}
}

func errSignatureMismatch() *Error {
	return errInvalidSignature(msgSignatureMismatch)
}

// errMissingParts builds AWS's message for an Authorization header that lacks
// parameters or a request date: one sentence per missing part, then the
// header as received.
func errMissingParts(params []string, missingDate bool, header string) *Error {
	var b strings.Builder
	for _, p := range params {
		fmt.Fprintf(&b, "Authorization header requires '%s' parameter. ", p)
	}
	if missingDate {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	b.WriteString("Authorization=")
	b.WriteString(header)
	return errIncomplete(b.String())
}

func errMissingEqualSign(token, header string) *Error {
	return errIncomplete(fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", token, header))
}

func errCredentialElements(credential string) *Error {
	return errIncomplete(fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", credential))
}

func errTerminator(got string) *Error {
	return errInvalidSignature(fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'. ", terminator, got))
}

func errService(want string) *Error {
	return errInvalidSignature(fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", want))
}

func errRegion(got string) *Error {
	return errInvalidSignature(fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", got))
}

func errScopeDate(scopeDate, requestDate, header string) *Error {
	return errInvalidSignature(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", scopeDate, requestDate, header))
}

func errExpired(signed, now time.Time, skew time.Duration) *Error {
	return errInvalidSignature(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
		signed.Format(amzDateLayout), now.Add(-skew).Format(amzDateLayout), now.Format(amzDateLayout), skewText(skew)))
}

func errNotYetCurrent(signed, now time.Time, skew time.Duration) *Error {
	return errInvalidSignature(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
		signed.Format(amzDateLayout), now.Add(skew).Format(amzDateLayout), now.Format(amzDateLayout), skewText(skew)))
}

// skewText renders the allowed skew as AWS does ("5 min"), falling back to
// Go's duration syntax for skews that are not whole minutes.
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}
