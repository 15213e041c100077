// Package awsapi holds what Parley's AWS-compatible REST-JSON APIs share:
// reading bounded JSON bodies, writing JSON responses, request IDs, and the
// AWS error wire shape that the official SDKs parse (x-amzn-ErrorType
// header plus a JSON body with "message").
package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// MaxBody is the largest request body accepted (1 MiB).
const MaxBody = 1 << 20

// Error is an AWS-style error response.
type Error struct {
	Name    string // exception name, e.g. "ValidationException"
	Status  int    // HTTP status
	Message string
	// Fields are extra body members (e.g. ResourceType, ResourceId).
	Fields map[string]string
	// Members are extra body members that are not strings (e.g. the
	// problems list of InvalidContactFlowException).
	Members map[string]any
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Errorf returns an *Error.
func Errorf(name string, status int, format string, args ...any) *Error {
	return &Error{Name: name, Status: status, Message: fmt.Sprintf(format, args...)}
}

// RequestID sets a fresh x-amzn-RequestId on the response and returns it.
func RequestID(w http.ResponseWriter) string {
	id := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", id)
	return id
}

// Serve answers one REST-JSON call: it sets the request ID, reads the
// bounded body (failures named invalidName), runs op on it, and writes
// op's result as JSON or its error through toAWS, which must pass an
// *Error through unchanged and map everything else.
func Serve(w http.ResponseWriter, r *http.Request, invalidName string, toAWS func(error) *Error, op func(body []byte) (any, error)) {
	RequestID(w)
	body, aerr := ReadBody(r, invalidName)
	if aerr != nil {
		WriteError(w, aerr)
		return
	}
	out, err := op(body)
	if err != nil {
		WriteError(w, toAWS(err))
		return
	}
	WriteJSON(w, out)
}

// WriteJSON writes a 200 JSON response.
func WriteJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteError(w, &Error{Name: "InternalServerException", Status: 500, Message: "encode response"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.Write(body)
}

// WriteError writes e in the AWS REST-JSON error shape.
func WriteError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"message": e.Message}
	for k, v := range e.Fields {
		body[k] = v
	}
	for k, v := range e.Members {
		body[k] = v
	}
	raw, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("x-amzn-ErrorType", e.Name)
	w.WriteHeader(e.Status)
	w.Write(raw)
}

// ReadBody reads a request body of at most MaxBody bytes. On failure it
// returns an *Error named invalidName (the API's validation exception).
func ReadBody(r *http.Request, invalidName string) ([]byte, *Error) {
	if r.ContentLength > MaxBody {
		return nil, &Error{Name: invalidName, Status: http.StatusRequestEntityTooLarge, Message: "Request body exceeds 1 MiB"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, &Error{Name: invalidName, Status: 400, Message: "Could not read request body"}
	}
	if len(body) > MaxBody {
		return nil, &Error{Name: invalidName, Status: http.StatusRequestEntityTooLarge, Message: "Request body exceeds 1 MiB"}
	}
	return body, nil
}

// Decode parses a JSON request body into v. An empty body decodes as {}.
// Unknown fields are ignored, as AWS services do; a wrong type for a known
// field is an error.
func Decode(body []byte, v any, invalidName string) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &Error{Name: invalidName, Status: 400, Message: fmt.Sprintf("Invalid type for field %s", te.Field)}
		}
		return &Error{Name: invalidName, Status: 400, Message: "Request body is not valid JSON"}
	}
	return nil
}

// Internal logs err and returns the API's internal-error response.
func Internal(log *slog.Logger, name string, err error) *Error {
	log.Error("internal error", "err", err)
	return &Error{Name: name, Status: 500, Message: "An internal error occurred"}
}

// EpochSeconds renders a time as the Connect API does: a JSON number of
// seconds since the epoch, with milliseconds.
type EpochSeconds time.Time

// MarshalJSON implements json.Marshaler.
func (t EpochSeconds) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	return []byte(fmt.Sprintf("%.3f", float64(tt.UnixMilli())/1000)), nil
}
