package auth

import (
	"encoding/base64"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Directory is an instance's people and what they may do: users (with
// their passwords, routing profile and phone settings), security profiles
// (named sets of permissions, three of them built in) and the workspace
// sessions users open by logging in.
//
// Users and custom security profiles are store resources
// (store.KindUser, store.KindSecurityProfile) whose JSON bodies this
// package owns; every change is one store transaction.
type Directory struct {
	// OnUserChanged, when set, is called inside the transaction of every
	// change of a user: creation, any update (routing profile, phone
	// config, security profiles, identity) and deletion (deleted true,
	// u as it was). Routing uses it to keep an agent's state in step with
	// their routing profile and phone settings. Its error aborts the
	// change. Set it before the directory serves calls.
	OnUserChanged func(tx store.Tx, instanceID string, u User, deleted bool) error

	st  store.Store
	now func() time.Time
	log *slog.Logger

	sessions sessionCache
	limiter  loginLimiter

	// checks bounds concurrent password checks: each argon2id check holds
	// 64 MiB, and login is open to anyone who can reach the server.
	checks    chan struct{}
	dummyOnce sync.Once
	dummyHash string
}

// NewDirectory returns the directory of the instances in st. now is the
// clock (time.Now when nil), log receives operational logs
// (slog.Default when nil).
func NewDirectory(st store.Store, now func() time.Time, log *slog.Logger) *Directory {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Directory{st: st, now: now, log: log, checks: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}
}

// clock returns the current time in UTC, truncated to milliseconds like
// every time Parley stores and shows.
func (d *Directory) clock() time.Time {
	return d.now().UTC().Truncate(time.Millisecond)
}

// userChanged runs the OnUserChanged hook, if any.
func (d *Directory) userChanged(tx store.Tx, instanceID string, u User, deleted bool) error {
	if d.OnUserChanged == nil {
		return nil
	}
	return d.OnUserChanged(tx, instanceID, u, deleted)
}

// Page selects one page of a list: at most MaxResults items (1 to 1000;
// 0 means 100) after the position NextToken names (empty: the start).
type Page struct {
	MaxResults int
	NextToken  string
}

// Paging limits, as in Connect's List operations.
const (
	DefaultMaxResults = 100
	MaxMaxResults     = 1000
)

// pageOf returns the page p selects of items, which it sorts by key, and
// the token of the next page ("" after the last). Tokens are opaque to
// callers: the key of the page's last item, tagged with the list they
// belong to so one list's token is refused by another.
func pageOf[T any](items []T, key func(T) string, list string, p Page) ([]T, string, error) {
	n := p.MaxResults
	if n == 0 {
		n = DefaultMaxResults
	}
	if n < 1 || n > MaxMaxResults {
		return nil, "", fault.Errorf(fault.InvalidParameter, "MaxResults must be between 1 and %d", MaxMaxResults)
	}
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := 0
	if p.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.NextToken)
		tag, after, ok := strings.Cut(string(raw), "\x00")
		if err != nil || !ok || tag != list {
			return nil, "", fault.Errorf(fault.InvalidParameter, "NextToken is not valid")
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := min(start+n, len(items))
	page := items[start:end]
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + key(items[end-1])))
	}
	return page, next, nil
}

// validateTags applies Connect's tag rules: at most 50, keys of 1 to 128
// characters not starting with "aws:", values of at most 256.
func validateTags(tags map[string]string) error {
	if len(tags) > 50 {
		return fault.Errorf(fault.InvalidParameter, "Tags: at most 50 tags")
	}
	for k, v := range tags {
		if n := len([]rune(k)); n < 1 || n > 128 {
			return fault.Errorf(fault.InvalidParameter, "Tags: keys must be 1 to 128 characters")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return fault.Errorf(fault.InvalidParameter, "Tags: keys starting with aws: are reserved")
		}
		if len([]rune(v)) > 256 {
			return fault.Errorf(fault.InvalidParameter, "Tags: values must be at most 256 characters")
		}
	}
	return nil
}
