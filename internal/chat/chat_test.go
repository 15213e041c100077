package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/timer"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a chat service over a real SQLite store, with a recorder of the
// notices it publishes.
type env struct {
	t        *testing.T
	svc      *chat.Service
	st       store.Store
	bus      *local.Bus
	clock    *clock
	sched    *timer.Scheduler
	instance string
	flow     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, chat.Config{})
}

func newEnvWith(t *testing.T, cfg chat.Config) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b := local.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Now, cfg.Logger = clk.Now, log
	svc := chat.New(st, b, cfg)
	e := &env{t: t, svc: svc, st: st, bus: b, clock: clk, instance: "inst-1", flow: "flow-1"}
	e.sched = timer.New(st, "test", clk.Now, log)
	for _, k := range chat.TimerKinds {
		e.sched.Handle(k, svc.HandleTimer)
	}
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: e.instance, Region: "us-east-1", CreatedAt: clk.Now()},
			AccessKey: store.AccessKey{ID: "AK1", InstanceID: e.instance, Secret: "s", CreatedAt: clk.Now()},
			Flows:     []store.ContactFlow{{ID: e.flow, InstanceID: e.instance, Name: "in", Type: "CONTACT_FLOW", Content: "{}", CreatedAt: clk.Now()}},
		})
	})
	if err != nil {
		t.Fatalf("create instance: %v", err)
	}
	return e
}

// recorder collects the live items published for a contact.
type recorder struct {
	mu      sync.Mutex
	items   []chat.Item
	notices []chat.Notice
}

func (e *env) record(contactID string) *recorder {
	r := &recorder{}
	sub, err := e.bus.Subscribe(chat.Subject(e.instance, contactID), func(d []byte) {
		n, err := chat.DecodeNotice(d)
		if err != nil {
			e.t.Errorf("DecodeNotice: %v", err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.notices = append(r.notices, n)
		if len(n.Item) > 0 {
			var it chat.Item
			json.Unmarshal(n.Item, &it)
			r.items = append(r.items, it)
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { sub.Unsubscribe() })
	return r
}

func (r *recorder) contentTypes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, it := range r.items {
		out = append(out, it.ContentType)
	}
	return out
}

// participant is a connected participant of a chat.
type participant struct {
	id    string
	token string // participant token
	sess  chat.Session
}

func (e *env) start(in chat.StartInput) (chat.StartOutput, participant) {
	e.t.Helper()
	if in.ContactFlowID == "" {
		in.ContactFlowID = e.flow
	}
	if in.DisplayName == "" {
		in.DisplayName = "Customer"
	}
	out, err := e.svc.StartChat(context.Background(), e.instance, in)
	if err != nil {
		e.t.Fatalf("StartChat: %v", err)
	}
	return out, e.connect(out.ParticipantID, out.ParticipantToken)
}

func (e *env) connect(id, token string) participant {
	e.t.Helper()
	conn, err := e.svc.CreateConnection(context.Background(), token, []string{chat.ConnWebsocket, chat.ConnCredentials})
	if err != nil {
		e.t.Fatalf("CreateConnection: %v", err)
	}
	sess, err := e.svc.Authenticate(context.Background(), conn.ConnectionToken, store.TokenConnection)
	if err != nil {
		e.t.Fatalf("Authenticate: %v", err)
	}
	return participant{id: id, token: token, sess: sess}
}

func (e *env) addParticipant(contactID, role, name string) participant {
	e.t.Helper()
	out, err := e.svc.CreateParticipant(context.Background(), e.instance, contactID, chat.NewParticipantInput{Role: role, DisplayName: name})
	if err != nil {
		e.t.Fatalf("CreateParticipant: %v", err)
	}
	return e.connect(out.ParticipantID, out.ParticipantToken)
}

func (e *env) send(p participant, text string) chat.Sent {
	e.t.Helper()
	s, err := e.svc.SendMessage(context.Background(), p.sess, chat.TypeTextPlain, text, "")
	if err != nil {
		e.t.Fatalf("SendMessage(%q): %v", text, err)
	}
	return s
}

// advance moves the clock and fires the timers that became due.
func (e *env) advance(d time.Duration) {
	e.clock.Advance(d)
	for e.sched.RunDue(context.Background()) > 0 {
	}
}

func wantCode(t *testing.T, err error, code fault.Code) {
	t.Helper()
	var ce *fault.Error
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("error = %v, want chat error code %d", err, code)
	}
}

func TestStartChatValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := make(map[string]string)
	for i := range 40 {
		big[fmt.Sprintf("k%d", i)] = string(make([]byte, 1000))
	}
	tests := []struct {
		name string
		in   chat.StartInput
		code fault.Code
	}{
		{"duration below range", chat.StartInput{ChatDurationMinutes: 59}, fault.InvalidParameter},
		{"duration above range", chat.StartInput{ChatDurationMinutes: 10081}, fault.InvalidParameter},
		{"unknown flow", chat.StartInput{ContactFlowID: "nope"}, fault.NotFound},
		{"content types without text/plain", chat.StartInput{SupportedContentTypes: []string{chat.TypeTextMarkdown}}, fault.InvalidParameter},
		{"unknown content type", chat.StartInput{SupportedContentTypes: []string{chat.TypeTextPlain, "text/html"}}, fault.InvalidParameter},
		{"bad attribute key", chat.StartInput{Attributes: map[string]string{"a b": "x"}}, fault.InvalidParameter},
		{"attributes too large", chat.StartInput{Attributes: big}, fault.InvalidParameter},
		{"initial message type not supported", chat.StartInput{InitialMessage: &chat.MessageInput{ContentType: chat.TypeTextMarkdown, Content: "x"}}, fault.InvalidParameter},
		{"empty initial message", chat.StartInput{InitialMessage: &chat.MessageInput{ContentType: chat.TypeTextPlain}}, fault.InvalidParameter},
		{"persistent and related", chat.StartInput{PersistentChat: &chat.PersistentChat{RehydrationType: "FROM_SEGMENT", SourceContactID: "x"}, RelatedContactID: "y"}, fault.InvalidRequest},
		{"persistent bad type", chat.StartInput{PersistentChat: &chat.PersistentChat{RehydrationType: "ALL", SourceContactID: "x"}}, fault.InvalidParameter},
		{"persistent unknown source", chat.StartInput{PersistentChat: &chat.PersistentChat{RehydrationType: "FROM_SEGMENT", SourceContactID: "x"}}, fault.NotFound},
		{"related unknown", chat.StartInput{RelatedContactID: "nope"}, fault.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.ContactFlowID == "" {
				tt.in.ContactFlowID = e.flow
			}
			tt.in.DisplayName = "C"
			_, err := e.svc.StartChat(context.Background(), e.instance, tt.in)
			wantCode(t, err, tt.code)
		})
	}
	// Nothing was stored half-way: the store has no contacts at all.
	if _, err := e.svc.StartChat(context.Background(), "other-instance", chat.StartInput{ContactFlowID: e.flow, DisplayName: "C"}); err == nil {
		t.Fatal("StartChat on another instance's flow succeeded")
	}
}

func TestStartChatIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	in := chat.StartInput{ContactFlowID: e.flow, DisplayName: "C", ClientToken: "tok-1"}
	a, err := e.svc.StartChat(context.Background(), e.instance, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.StartChat(context.Background(), e.instance, in)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("replay returned %+v, want the first result %+v", b, a)
	}
	in.ClientToken = "tok-2"
	c, _ := e.svc.StartChat(context.Background(), e.instance, in)
	if c.ContactID == a.ContactID {
		t.Fatal("a different ClientToken returned the same contact")
	}
}

func TestMessagesEventsAndReceipts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	out, cust := e.start(chat.StartInput{SupportedContentTypes: []string{chat.TypeTextPlain, chat.TypeTextMarkdown}})
	rec := e.record(out.ContactID)
	bot := e.addParticipant(out.ContactID, store.RoleCustomBot, "Bot")

	m := e.send(bot, "Hello, how can I help?")
	if _, err := e.svc.SendMessage(ctx, cust.sess, chat.TypeTextMarkdown, "**hi**", "ct-1"); err != nil {
		t.Fatal(err)
	}
	replay, err := e.svc.SendMessage(ctx, cust.sess, chat.TypeTextMarkdown, "**hi**", "ct-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendEvent(ctx, cust.sess, chat.EventTyping, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendEvent(ctx, cust.sess, chat.EventRead, fmt.Sprintf(`{"messageId":%q}`, m.ID), ""); err != nil {
		t.Fatal(err)
	}
	// Delivered after read is a no-op, as is a second read.
	for _, ev := range []string{chat.EventDelivered, chat.EventRead} {
		if _, err := e.svc.SendEvent(ctx, cust.sess, ev, fmt.Sprintf(`{"messageId":%q}`, m.ID), ""); err != nil {
			t.Fatal(err)
		}
	}

	got := rec.contentTypes()
	want := []string{chat.EventParticipantJoined, chat.TypeTextPlain, chat.TypeTextMarkdown, chat.EventTyping, ""}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("live items: got %v, want %v", got, want)
	}
	receipt := rec.items[4]
	if receipt.Type != "MESSAGEMETADATA" || receipt.MessageMetadata.MessageID != m.ID || receipt.MessageMetadata.Receipts[0].RecipientParticipantID != cust.id || receipt.MessageMetadata.Receipts[0].ReadTimestamp == "" {
		t.Fatalf("receipt item = %+v", receipt)
	}
	if rec.items[1].InitialContactID != out.ContactID || rec.items[1].ContactID != out.ContactID {
		t.Fatalf("live item lacks contact ids: %+v", rec.items[1])
	}

	tr, err := e.svc.GetTranscript(ctx, cust.sess, chat.TranscriptInput{SortOrder: "ASCENDING"})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []chat.Item
	for _, it := range tr.Items {
		if it.Type == "MESSAGE" {
			msgs = append(msgs, it)
		}
	}
	if len(msgs) != 2 {
		t.Fatalf("transcript has %d messages, want 2 (the replay must not add one): %+v", len(msgs), tr.Items)
	}
	if msgs[1].ID != replay.ID {
		t.Fatalf("replayed SendMessage Id %s, stored %s", replay.ID, msgs[1].ID)
	}
	md := msgs[0].MessageMetadata
	if md == nil || len(md.Receipts) != 1 || md.Receipts[0].ReadTimestamp == "" || md.Receipts[0].DeliveredTimestamp != "" {
		t.Fatalf("bot message receipts = %+v, want one read receipt", md)
	}

	t.Run("bad input", func(t *testing.T) {
		tests := []struct {
			name        string
			contentType string
			content     string
			code        fault.Code
		}{
			{"too long text", chat.TypeTextPlain, string(make([]rune, 1025)), fault.InvalidParameter},
			{"empty", chat.TypeTextPlain, "", fault.InvalidParameter},
			{"type not supported by chat", chat.TypeJSON, "{}", fault.InvalidParameter},
			{"unknown type", "text/html", "<b>", fault.InvalidParameter},
		}
		for _, tt := range tests {
			_, err := e.svc.SendMessage(ctx, cust.sess, tt.contentType, tt.content, "")
			wantCode(t, err, tt.code)
		}
		_, err := e.svc.SendEvent(ctx, cust.sess, chat.EventParticipantJoined, "", "")
		wantCode(t, err, fault.InvalidParameter)
		_, err = e.svc.SendEvent(ctx, cust.sess, chat.EventRead, `{"messageId":"nope"}`, "")
		wantCode(t, err, fault.InvalidParameter)
		_, err = e.svc.SendEvent(ctx, cust.sess, chat.EventRead, `not json`, "")
		wantCode(t, err, fault.InvalidParameter)
	})

	t.Run("tokens are not interchangeable", func(t *testing.T) {
		_, err := e.svc.Authenticate(ctx, cust.token, store.TokenConnection)
		wantCode(t, err, fault.AccessDenied)
		_, err = e.svc.Authenticate(ctx, "made-up", store.TokenConnection)
		wantCode(t, err, fault.AccessDenied)
	})

	t.Run("bot leaves, then the customer ends the chat", func(t *testing.T) {
		if err := e.svc.Disconnect(ctx, bot.sess, ""); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.SendMessage(ctx, bot.sess, chat.TypeTextPlain, "still here?", "")
		wantCode(t, err, fault.AccessDenied)
		if err := e.svc.Disconnect(ctx, cust.sess, ""); err != nil {
			t.Fatal(err)
		}
		types := rec.contentTypes()
		tail := types[len(types)-3:]
		if want := []string{chat.EventParticipantLeft, chat.EventParticipantLeft, chat.EventChatEnded}; fmt.Sprint(tail) != fmt.Sprint(want) {
			t.Fatalf("last items %v, want %v", tail, want)
		}
		last := rec.notices[len(rec.notices)-1]
		if !last.Ended {
			t.Fatal("chat.ended notice does not close the sockets")
		}
		_, err = e.svc.SendMessage(ctx, cust.sess, chat.TypeTextPlain, "hello?", "")
		wantCode(t, err, fault.AccessDenied)
		// The tokens may still sit in this node's lookup cache; every
		// operation refuses them all the same.
		_, err = e.svc.GetTranscript(ctx, cust.sess, chat.TranscriptInput{})
		wantCode(t, err, fault.AccessDenied)
		_, err = e.svc.SendEvent(ctx, cust.sess, chat.EventTyping, "", "")
		wantCode(t, err, fault.AccessDenied)
		_, err = e.svc.CreateConnection(ctx, cust.token, []string{chat.ConnCredentials})
		wantCode(t, err, fault.AccessDenied)
		err = e.svc.StopContact(ctx, e.instance, out.ContactID, "")
		wantCode(t, err, fault.ContactNotFound)
		c, _ := e.svc.Contact(ctx, e.instance, out.ContactID)
		if c.State != store.ContactEnded || c.DisconnectReason != chat.ReasonCustomerDisconnect || c.DisconnectedAt.IsZero() {
			t.Fatalf("contact after end = %+v", c)
		}
	})
}

func TestTranscriptPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, cust := e.start(chat.StartInput{})
	// Items: joined (1), then 25 messages (2..26), one per second.
	var ids []string
	for i := range 25 {
		e.clock.Advance(time.Second)
		ids = append(ids, e.send(cust, fmt.Sprintf("m%02d", i)).ID)
	}
	pageAll := func(in chat.TranscriptInput) [][]string {
		var pages [][]string
		for {
			tr, err := e.svc.GetTranscript(ctx, cust.sess, in)
			if err != nil {
				t.Fatalf("GetTranscript(%+v): %v", in, err)
			}
			var page []string
			for _, it := range tr.Items {
				page = append(page, it.Content)
			}
			pages = append(pages, page)
			if tr.NextToken == "" || len(pages) > 10 {
				return pages
			}
			in.NextToken = tr.NextToken
		}
	}
	mostRecent := 3
	tests := []struct {
		name string
		in   chat.TranscriptInput
		want string
	}{
		{"forward ascending", chat.TranscriptInput{ScanDirection: "FORWARD", SortOrder: "ASCENDING"},
			"[[ m00 m01 m02 m03 m04 m05 m06 m07 m08] [m09 m10 m11 m12 m13 m14 m15 m16 m17 m18] [m19 m20 m21 m22 m23 m24]]"},
		{"default is backward descending", chat.TranscriptInput{},
			"[[m24 m23 m22 m21 m20 m19 m18 m17 m16 m15] [m14 m13 m12 m11 m10 m09 m08 m07 m06 m05] [m04 m03 m02 m01 m00 ]]"},
		{"backward ascending pages (chatjs)", chat.TranscriptInput{SortOrder: "ASCENDING", MaxResults: 15},
			"[[m10 m11 m12 m13 m14 m15 m16 m17 m18 m19 m20 m21 m22 m23 m24] [ m00 m01 m02 m03 m04 m05 m06 m07 m08 m09]]"},
		{"start at id, forward", chat.TranscriptInput{StartPosition: chat.StartPosition{ID: ids[20]}, SortOrder: "ASCENDING"},
			"[[m20 m21 m22 m23 m24]]"},
		{"start at id, backward", chat.TranscriptInput{StartPosition: chat.StartPosition{ID: ids[2]}, ScanDirection: "BACKWARD", SortOrder: "ASCENDING"},
			"[[ m00 m01 m02]]"},
		{"start at time", chat.TranscriptInput{StartPosition: chat.StartPosition{AbsoluteTime: chat.FormatTime(e.clock.Now().Add(-2500 * time.Millisecond))}, SortOrder: "ASCENDING"},
			"[[m22 m23 m24]]"},
		{"most recent", chat.TranscriptInput{StartPosition: chat.StartPosition{MostRecent: &mostRecent}, SortOrder: "ASCENDING"},
			"[[m21 m22 m23 m24]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(pageAll(tt.in)); got != tt.want {
				t.Fatalf("pages:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	for _, bad := range []chat.TranscriptInput{{MaxResults: 101}, {NextToken: "garbage"}, {ScanDirection: "UP"}, {StartPosition: chat.StartPosition{ID: "nope"}}} {
		_, err := e.svc.GetTranscript(ctx, cust.sess, bad)
		wantCode(t, err, fault.InvalidParameter)
	}
}

func TestPersistentChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	first, cust := e.start(chat.StartInput{})
	e.send(cust, "first session")
	_, err := e.svc.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C", PersistentChat: &chat.PersistentChat{RehydrationType: "ENTIRE_PAST_SESSION", SourceContactID: first.ContactID}})
	wantCode(t, err, fault.InvalidRequest) // the source has not ended
	if err := e.svc.Disconnect(ctx, cust.sess, ""); err != nil {
		t.Fatal(err)
	}
	second, cust2 := e.start(chat.StartInput{PersistentChat: &chat.PersistentChat{RehydrationType: "ENTIRE_PAST_SESSION", SourceContactID: first.ContactID}})
	if second.ContinuedFromContactID != first.ContactID {
		t.Fatalf("ContinuedFromContactId = %q, want %q", second.ContinuedFromContactID, first.ContactID)
	}
	e.send(cust2, "second session")
	var all []chat.Item
	in := chat.TranscriptInput{SortOrder: "ASCENDING", MaxResults: 3}
	for range 10 {
		tr, err := e.svc.GetTranscript(ctx, cust2.sess, in)
		if err != nil {
			t.Fatal(err)
		}
		all = append(tr.Items, all...) // backward pages: older pages come later
		if tr.NextToken == "" {
			break
		}
		in.NextToken = tr.NextToken
	}
	var texts []string
	for _, it := range all {
		if it.Type == "MESSAGE" {
			texts = append(texts, it.Content)
			past := it.Content == "first session"
			if past != (it.RelatedContactID == first.ContactID) || past == (it.ContactID != "") {
				t.Fatalf("item %q: ContactId=%q RelatedContactId=%q", it.Content, it.ContactID, it.RelatedContactID)
			}
		}
	}
	if fmt.Sprint(texts) != "[first session second session]" {
		t.Fatalf("messages across sessions = %v", texts)
	}
	_, err = e.svc.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C", PersistentChat: &chat.PersistentChat{RehydrationType: "FROM_SEGMENT", SourceContactID: first.ContactID}})
	wantCode(t, err, fault.InvalidRequest) // already continued by the second chat
}

func TestChatTimers(t *testing.T) {
	t.Parallel()
	t.Run("chat duration ends the chat", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		out, cust := e.start(chat.StartInput{ChatDurationMinutes: 60})
		rec := e.record(out.ContactID)
		e.advance(59 * time.Minute)
		e.send(cust, "still here")
		e.advance(time.Minute)
		c, _ := e.svc.Contact(context.Background(), e.instance, out.ContactID)
		if c.State != store.ContactEnded || c.DisconnectReason != chat.ReasonExpired {
			t.Fatalf("after the chat duration: state %s reason %q", c.State, c.DisconnectReason)
		}
		if types := rec.contentTypes(); types[len(types)-1] != chat.EventChatEnded {
			t.Fatalf("last live item %v, want chat.ended", types)
		}
	})
	t.Run("customer that never connects", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		out, err := e.svc.StartChat(context.Background(), e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C"})
		if err != nil {
			t.Fatal(err)
		}
		e.advance(chat.CustomerConnectWithin)
		c, _ := e.svc.Contact(context.Background(), e.instance, out.ContactID)
		if c.State != store.ContactEnded || c.DisconnectReason != chat.ReasonCustomerNeverConnected {
			t.Fatalf("state %s reason %q, want ended for never connecting", c.State, c.DisconnectReason)
		}
	})
	t.Run("idle customer and auto-disconnect", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ctx := context.Background()
		out, cust := e.start(chat.StartInput{})
		err := e.svc.UpdateParticipantRoleConfig(ctx, e.instance, out.ContactID, []chat.TimerConfig{
			{Role: store.RoleCustomer, Type: "IDLE", Minutes: 2},
			{Role: store.RoleCustomer, Type: "DISCONNECT_NONCUSTOMER", Minutes: 3},
		})
		if err != nil {
			t.Fatal(err)
		}
		rec := e.record(out.ContactID)
		agent := e.addParticipant(out.ContactID, store.RoleAgent, "Agent")
		e.advance(time.Minute)
		e.send(cust, "a question") // resets the customer's idle clock
		e.advance(119 * time.Second)
		if n := count(rec.contentTypes(), chat.EventParticipantIdle); n != 0 {
			t.Fatalf("idle after 1m59s of silence")
		}
		e.advance(time.Second)
		if n := count(rec.contentTypes(), chat.EventParticipantIdle); n != 1 {
			t.Fatalf("%d idle events after 2m of silence, want 1: %v", n, rec.contentTypes())
		}
		e.send(cust, "back")
		if n := count(rec.contentTypes(), chat.EventParticipantReturned); n != 1 {
			t.Fatalf("%d returned events, want 1", n)
		}
		e.advance(2*time.Minute + 3*time.Minute)
		types := rec.contentTypes()
		if count(types, chat.EventParticipantAutoDisconn) != 1 || count(types, chat.EventParticipantLeft) != 1 {
			t.Fatalf("after idle + disconnect time: %v", types)
		}
		_, err = e.svc.SendMessage(ctx, agent.sess, chat.TypeTextPlain, "hi", "")
		wantCode(t, err, fault.AccessDenied)
		c, _ := e.svc.Contact(ctx, e.instance, out.ContactID)
		if c.State != store.ContactActive {
			t.Fatal("auto-disconnecting the agent ended the chat")
		}
		// Idle and returned events are live only, never in the transcript.
		tr, _ := e.svc.GetTranscript(ctx, cust.sess, chat.TranscriptInput{MaxResults: 100})
		for _, it := range tr.Items {
			if it.ContentType == chat.EventParticipantIdle || it.ContentType == chat.EventParticipantReturned {
				t.Fatalf("transcript holds %s", it.ContentType)
			}
		}
	})
	t.Run("config validation", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		out, _ := e.start(chat.StartInput{})
		for _, cfg := range [][]chat.TimerConfig{
			nil,
			{{Role: store.RoleCustomer, Type: "IDLE", Minutes: 1}},
			{{Role: store.RoleCustomer, Type: "IDLE", Minutes: 481}},
			{{Role: store.RoleCustomBot, Type: "IDLE", Minutes: 5}},
			{{Role: store.RoleAgent, Type: "SLEEP", Minutes: 5}},
			{{Role: store.RoleAgent, Type: "IDLE", Minutes: 5}, {Role: store.RoleAgent, Type: "IDLE"}},
		} {
			err := e.svc.UpdateParticipantRoleConfig(context.Background(), e.instance, out.ContactID, cfg)
			wantCode(t, err, fault.InvalidParameter)
		}
	})
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// An instance's active chats are capped; ending a chat frees its place, and
// replaying a start that succeeded still answers at the cap.
func TestActiveChatCap(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, chat.Config{MaxActiveChats: 2})
	ctx := context.Background()
	first, cust := e.start(chat.StartInput{ClientToken: "first"})
	e.start(chat.StartInput{})
	_, err := e.svc.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C"})
	wantCode(t, err, fault.LimitExceeded)
	again, err := e.svc.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C", ClientToken: "first"})
	if err != nil || again.ContactID != first.ContactID {
		t.Fatalf("replay at the cap: %+v, %v; want the first chat", again, err)
	}
	if err := e.svc.Disconnect(ctx, cust.sess, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C"}); err != nil {
		t.Fatalf("start after a chat ended: %v", err)
	}
	// Chats ended by a timer free their place too.
	e.advance(chat.CustomerConnectWithin) // the last chat's customer never connected
	if _, err := e.svc.StartChat(ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "C"}); err != nil {
		t.Fatalf("start after a chat expired: %v", err)
	}
}
