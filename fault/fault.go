// Package fault gives errors a kind: the few ways a request can fail that
// a caller acts on differently (fix the request, look elsewhere, retry
// later...). Code that fails wraps its error with a kind once, where it
// knows; HTTP handlers read the kind with KindOf and answer with the one
// status Status maps it to, through Write, instead of matching error text.
//
// It imports nothing of Steward's.
package fault

import (
	"errors"
	"fmt"
)

// Kind is what kind of failure an error is.
type Kind uint8

const (
	// Internal is a failure of Steward itself: every error without a kind.
	Internal Kind = iota
	// Invalid is a request that cannot be answered as it is: a bad
	// parameter, a period that has not started.
	Invalid
	// NotFound is a request for something that does not exist.
	NotFound
	// Conflict is a request the current state refuses: freezing a period
	// that has not ended.
	Conflict
	// Unauthorized is a request without valid credentials.
	Unauthorized
	// Forbidden is a request whose credentials lack the right.
	Forbidden
	// TooLarge is a request past a size limit.
	TooLarge
	// Unavailable is a failure that may pass: the store is unreachable or
	// busy; the client may retry.
	Unavailable
	// Unprocessable is a well-formed request whose content can never be
	// stored as it is: retrying it cannot help.
	Unprocessable
)

var kindNames = [...]string{"internal", "invalid", "not found", "conflict", "unauthorized", "forbidden", "too large", "unavailable", "unprocessable"}

func (k Kind) String() string { return kindNames[k] }

// Error is an error with a kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf formats an error of kind k; %w wraps as in fmt.Errorf.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Wrap gives err the kind k; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Default gives err the kind k unless it has one already; nil stays nil.
func Default(k Kind, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Kind: k, Err: err}
}

// KindOf is the kind of err: that of the outermost error with a kind in its
// chain, Internal for an error without one.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}
