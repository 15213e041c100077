// Package sigv4 implements AWS Signature Version 4 (AWS4-HMAC-SHA256) for
// Parley's Amazon Connect compatible API: a Verifier that authenticates
// incoming requests exactly as AWS does for the "connect" service, and a
// Signer that signs outgoing requests exactly as the AWS JS SDK v3 does, for
// Parley's own tests and benchmark client.
//
// # What a signature covers
//
// A SigV4 signature is an HMAC-SHA256, under a key derived from the secret
// access key, the date, the region and the service, of a "string to sign"
// that hashes a canonical form of the request:
//
//   - the HTTP method;
//   - the path as sent on the wire, with "." and ".." segments resolved,
//     empty segments dropped, and every segment percent-encoded once more
//     (the SDK already encodes path labels, so an InstanceId ARN such as
//     "arn:aws:connect:...:instance/abc" arrives as "arn%3Aaws...%2Fabc" and
//     is canonicalised as "arn%253Aaws...%252Fabc"), which is what
//     @smithy/signature-v4 does for every service but S3;
//   - the query string, decoded, re-encoded per RFC 3986 and sorted by name
//     then value;
//   - the headers named in SignedHeaders (always including host), lower-cased,
//     with runs of spaces and tabs collapsed and the ends trimmed;
//   - the SHA-256 of the body, or the value of X-Amz-Content-Sha256 when the
//     client sent one (it must then match the body; UNSIGNED-PAYLOAD is
//     refused unless Verifier.AllowUnsignedPayload is set);
//   - the request time (X-Amz-Date, else Date), which must be within
//     Verifier.MaxSkew (5 minutes by default) of the server clock and on
//     the same UTC day as the credential scope.
//
// Verify checks the credential scope (date, region, service, aws4_request)
// before it looks the key up, so a malformed or misdirected request costs no
// store read, and compares signatures in constant time. The path and query
// are taken from http.Request.RequestURI, the request target exactly as the
// client sent it, so routers or middleware that rewrite r.URL do not break
// verification.
//
// # Why the secret is stored retrievably
//
// Unlike a password, a SigV4 secret never travels: the client proves it
// knows the secret by computing an HMAC with it, and the server can check
// that HMAC only by computing the same one. Verification therefore needs the
// secret itself, not a one-way hash of it (AWS's own signature checks are
// under the same constraint). Parley's store therefore keeps each access
// key's secret as is; protect the database (and its backups) as you would
// the keys, and rotate a key that may have leaked.
//
// # Errors
//
// Verification failures are *Error values carrying the exception name and
// HTTP status that AWS answers with (MissingAuthenticationTokenException,
// IncompleteSignatureException, UnrecognizedClientException,
// InvalidSignatureException), so the HTTP layer can write the usual
// REST-JSON error (x-amzn-ErrorType header, {"message": ...} body) without
// knowing why verification failed. Any other error (a failing store lookup)
// is an internal error.
package sigv4
