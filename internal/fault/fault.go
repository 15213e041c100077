// Package fault is the error a domain package returns when its caller,
// not the system, is at fault: a bad value, a missing resource, a state
// that forbids the call. API packages map its Code to their wire
// exceptions in one place each; any other error is internal.
package fault

import "fmt"

// Code classifies an Error.
type Code int

// Error codes.
const (
	InvalidParameter Code = iota + 1 // a field's value is out of range or malformed
	InvalidRequest                   // the request as a whole cannot be served
	NotFound                         // a referenced resource does not exist
	ContactNotFound                  // the contact does not exist or is not active
	AccessDenied                     // the credential is missing, invalid, expired or lacks permission
	QuotaExceeded                    // a per-resource quota is used up
	LimitExceeded                    // an instance limit is reached
	Duplicate                        // a resource with that name already exists
	InUse                            // the resource is referenced and cannot be deleted
	Conflict                         // the state changed under the caller (an offer expired or went elsewhere)
)

// Error is an error the caller caused.
type Error struct {
	Code    Code
	Message string
	// ResourceType names the missing resource for NotFound (CONTACT,
	// QUEUE, USER, ...).
	ResourceType string
	ResourceID   string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NotFound Error naming the missing resource.
func NotFoundf(resourceType, id, format string, args ...any) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf(format, args...), ResourceType: resourceType, ResourceID: id}
}
