package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Transcript paging limits.
const (
	DefaultTranscriptPage = 10
	MaxTranscriptPage     = 100
	// MaxPastContacts bounds how far a persistent chat's history reaches.
	MaxPastContacts = 100
)

// TranscriptInput is a GetTranscript request.
type TranscriptInput struct {
	ContactID     string
	MaxResults    int
	NextToken     string
	ScanDirection string // FORWARD or BACKWARD
	SortOrder     string // ASCENDING or DESCENDING
	StartPosition StartPosition
}

// StartPosition says where a transcript scan starts; at most one field is
// set. The zero value means "no start position".
type StartPosition struct {
	ID           string
	AbsoluteTime string
	MostRecent   *int
}

func (p StartPosition) isSet() bool { return p.ID != "" || p.AbsoluteTime != "" || p.MostRecent != nil }

// Transcript is a page of a chat's transcript.
type Transcript struct {
	InitialContactID string
	Items            []Item
	NextToken        string
}

// cursor is the decoded NextToken: where the next page's scan resumes.
type cursor struct {
	Root    string `json:"r"`           // the contact whose chain is scanned
	Forward bool   `json:"f"`           // scan direction
	Index   int    `json:"i"`           // chain position, 0 = oldest contact
	Seq     int64  `json:"s"`           // next sequence to read, inclusive
	Single  bool   `json:"o,omitempty"` // stay within chain[Index]
}

// GetTranscript returns a page of the transcript of the session's chat,
// including the past contacts of a persistent chat.
func (s *Service) GetTranscript(ctx context.Context, sess Session, in TranscriptInput) (Transcript, error) {
	c, err := s.activeContact(ctx, sess)
	if err != nil {
		return Transcript{}, err
	}
	limit := in.MaxResults
	switch {
	case limit == 0:
		limit = DefaultTranscriptPage
	case limit < 0 || limit > MaxTranscriptPage:
		return Transcript{}, errorf(fault.InvalidParameter, "MaxResults must be between 0 and %d", MaxTranscriptPage)
	}
	switch in.ScanDirection {
	case "", "FORWARD", "BACKWARD":
	default:
		return Transcript{}, errorf(fault.InvalidParameter, "ScanDirection must be FORWARD or BACKWARD")
	}
	switch in.SortOrder {
	case "", "ASCENDING", "DESCENDING":
	default:
		return Transcript{}, errorf(fault.InvalidParameter, "SortOrder must be ASCENDING or DESCENDING")
	}
	chain, err := s.chain(ctx, c)
	if err != nil {
		return Transcript{}, err
	}
	var cur cursor
	if in.NextToken != "" {
		if cur, err = decodeCursor(in.NextToken, c.ID, len(chain)); err != nil {
			return Transcript{}, err
		}
	} else if cur, err = s.startCursor(ctx, c, chain, in); err != nil {
		return Transcript{}, err
	}

	var got []store.Item
	past := map[string]bool{}
	more := false
	for len(got) <= limit && cur.Index >= 0 && cur.Index < len(chain) {
		contact := chain[cur.Index]
		q := store.ItemQuery{ContactID: contact.ID, Limit: limit - len(got) + 1}
		if cur.Forward {
			q.AfterSeq = cur.Seq - 1
		} else {
			q.BeforeSeq, q.Descending = cur.Seq+1, true
		}
		if cur.Seq >= 1 {
			items, err := s.store.ListItems(ctx, q)
			if err != nil {
				return Transcript{}, fmt.Errorf("get transcript: %w", err)
			}
			if need := limit - len(got); len(items) > need {
				got = append(got, items[:need]...)
				cur.Seq = items[need].Seq
				more = true
				break
			}
			got = append(got, items...)
		}
		past[contact.ID] = contact.ID != c.ID
		if cur.Single {
			break
		}
		if cur.Forward {
			cur.Index++
			cur.Seq = 1
		} else {
			cur.Index--
			if cur.Index >= 0 {
				cur.Seq = chain[cur.Index].LastSeq
			}
		}
		more = cur.Index >= 0 && cur.Index < len(chain)
	}

	out := Transcript{InitialContactID: c.InitialContactID, Items: make([]Item, 0, len(got))}
	if more {
		out.NextToken = encodeCursor(cur)
	}
	if err := s.withReceipts(ctx, got, func(it store.Item, md *MessageMetadata) {
		w := wireItem(it, it.ContactID != c.ID)
		w.MessageMetadata = md
		out.Items = append(out.Items, w)
	}); err != nil {
		return Transcript{}, err
	}
	// got is in scan order; the page is sorted on its own.
	if ascending := in.SortOrder == "ASCENDING"; cur.Forward != ascending {
		slices.Reverse(out.Items)
	}
	return out, nil
}

// activeContact loads the session's contact and checks that the session
// still may read it.
func (s *Service) activeContact(ctx context.Context, sess Session) (store.Contact, error) {
	c, err := s.store.GetContact(ctx, sess.InstanceID, sess.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return c, errAccessDenied
	} else if err != nil {
		return c, fmt.Errorf("get contact: %w", err)
	}
	if c.State != store.ContactActive {
		return c, errAccessDenied
	}
	p, err := s.store.GetParticipant(ctx, sess.ParticipantID)
	if err != nil || p.State == store.ParticipantLeft {
		return c, errAccessDenied
	}
	return c, nil
}

// chain returns c and the contacts it continues from, oldest first.
func (s *Service) chain(ctx context.Context, c store.Contact) ([]store.Contact, error) {
	chain := []store.Contact{c}
	for cur := c; cur.ContinuedFromID != "" && len(chain) <= MaxPastContacts; {
		prev, err := s.store.GetContact(ctx, c.InstanceID, cur.ContinuedFromID)
		if errors.Is(err, store.ErrNotFound) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("get past contact: %w", err)
		}
		chain = append(chain, prev)
		cur = prev
	}
	slices.Reverse(chain)
	return chain, nil
}

// startCursor turns ContactId, ScanDirection and StartPosition into the
// first page's cursor.
func (s *Service) startCursor(ctx context.Context, c store.Contact, chain []store.Contact, in TranscriptInput) (cursor, error) {
	cur := cursor{Root: c.ID, Index: len(chain) - 1, Forward: in.ScanDirection == "FORWARD"}
	if in.ScanDirection == "" {
		cur.Forward = in.StartPosition.isSet()
	}
	if in.ContactID != "" && in.ContactID != c.ID && in.ContactID != c.InitialContactID {
		i := slices.IndexFunc(chain, func(x store.Contact) bool { return x.ID == in.ContactID })
		if i < 0 {
			return cursor{}, errorf(fault.InvalidParameter, "ContactId %s is not part of this chat", in.ContactID)
		}
		cur.Index, cur.Single = i, true
	}
	target := chain[cur.Index]
	if cur.Forward {
		cur.Seq = 1
	} else {
		cur.Seq = target.LastSeq
	}
	sp := in.StartPosition
	if !sp.isSet() {
		if cur.Forward && !cur.Single {
			cur.Index, cur.Seq = 0, 1
		}
		return cur, nil
	}
	cur.Single = true
	switch {
	case sp.ID != "":
		it, err := s.store.GetItem(ctx, target.ID, sp.ID)
		if errors.Is(err, store.ErrNotFound) {
			return cursor{}, errorf(fault.InvalidParameter, "StartPosition.Id %s is not an item of this contact", sp.ID)
		} else if err != nil {
			return cursor{}, fmt.Errorf("get start item: %w", err)
		}
		cur.Seq = it.Seq
	case sp.AbsoluteTime != "":
		t, err := ParseTime(sp.AbsoluteTime)
		if err != nil {
			return cursor{}, errorf(fault.InvalidParameter, "StartPosition.AbsoluteTime must be yyyy-MM-ddThh:mm:ss.SSSZ")
		}
		if cur.Seq, err = s.seqAtTime(ctx, target, t, cur.Forward); err != nil {
			return cursor{}, err
		}
	default:
		n := *sp.MostRecent
		if n < 0 || n > MaxTranscriptPage {
			return cursor{}, errorf(fault.InvalidParameter, "StartPosition.MostRecent must be between 0 and %d", MaxTranscriptPage)
		}
		cur.Seq = max(1, target.LastSeq-int64(n))
	}
	return cur, nil
}

// seqAtTime finds, by binary search over the sequence (items are appended
// in time order), the first item at or after t (forward) or the last item
// at or before t (backward). It returns a sequence past the end when there
// is none.
func (s *Service) seqAtTime(ctx context.Context, c store.Contact, t time.Time, forward bool) (int64, error) {
	var searchErr error
	// first index i in [1, LastSeq] whose item time is after t (or at/after t going forward)
	n := int(c.LastSeq)
	i := sort.Search(n, func(i int) bool {
		if searchErr != nil {
			return true
		}
		items, err := s.store.ListItems(ctx, store.ItemQuery{ContactID: c.ID, AfterSeq: int64(i), Limit: 1})
		if err != nil || len(items) == 0 {
			searchErr = err
			return true
		}
		if forward {
			return !items[0].CreatedAt.Before(t)
		}
		return items[0].CreatedAt.After(t)
	})
	if searchErr != nil {
		return 0, fmt.Errorf("find start time: %w", searchErr)
	}
	if forward {
		return int64(i) + 1, nil // sequences start at 1
	}
	return int64(i), nil // the item before the first one after t
}

// withReceipts calls fn for each item with its aggregated receipts (nil
// for items without any).
func (s *Service) withReceipts(ctx context.Context, items []store.Item, fn func(store.Item, *MessageMetadata)) error {
	byContact := map[string][]string{}
	for _, it := range items {
		if it.Type == store.ItemMessage || it.Type == store.ItemAttachment {
			byContact[it.ContactID] = append(byContact[it.ContactID], it.ID)
		}
	}
	receipts := map[string][]Receipt{}
	for contactID, ids := range byContact {
		rs, err := s.store.ListReceipts(ctx, contactID, ids)
		if err != nil {
			return fmt.Errorf("list receipts: %w", err)
		}
		for _, r := range rs {
			receipts[r.MessageID] = append(receipts[r.MessageID], wireReceipt(r))
		}
	}
	for _, it := range items {
		var md *MessageMetadata
		if rs := receipts[it.ID]; len(rs) > 0 {
			md = &MessageMetadata{MessageID: it.ID, Receipts: rs}
		}
		fn(it, md)
	}
	return nil
}

func encodeCursor(c cursor) string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(token, root string, chainLen int) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.Root != root || c.Index < 0 || c.Index >= chainLen || c.Seq < 0 {
		return cursor{}, errorf(fault.InvalidParameter, "NextToken is not valid for this chat")
	}
	return c, nil
}
