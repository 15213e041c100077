package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parley-chat/parley/internal/store"
)

// encTime stores a time as UTC unix microseconds, the precision PostgreSQL
// keeps too, so both drivers hand back the same values. The zero time is 0.
func encTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// decTime is the inverse of encTime; every time leaves the store in UTC.
func decTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func encMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode map: %w", err)
	}
	return string(b), nil
}

// decMap always returns a non-nil map so callers can add to it.
func decMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if s == "" || s == "{}" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode map: %w", err)
	}
	return m, nil
}

func encList(l []string) (string, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	return string(b), nil
}

// decList returns nil for an empty list.
func decList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	return l, nil
}

// errorClass says how the writer must treat a database error.
type errorClass int

const (
	// classOther errors leave the transaction intact.
	classOther errorClass = iota
	// classNotFound is a query that found no row.
	classNotFound
	// classDuplicate is a uniqueness violation.
	classDuplicate
	// classFatal errors may have rolled back the whole transaction
	// (I/O, out of memory, interrupt, ...): SQLite only promises to keep
	// the transaction for constraint and ordinary SQL errors.
	classFatal
)

func classify(err error) errorClass {
	if errors.Is(err, sql.ErrNoRows) {
		return classNotFound
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		if errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone) {
			return classFatal
		}
		return classOther
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return classDuplicate
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_ERROR, sqlite3.SQLITE_MISMATCH,
		sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
		return classOther
	}
	return classFatal
}

// mapErr wraps err with op, translating "no rows" and uniqueness
// violations into the store's sentinel errors.
func mapErr(op string, err error) error {
	switch classify(err) {
	case classNotFound:
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	case classDuplicate:
		return fmt.Errorf("%s: %w (%v)", op, store.ErrDuplicate, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
