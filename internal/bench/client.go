package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/internal/auth/sigv4"
)

// requestTimeout bounds one API call.
const requestTimeout = 30 * time.Second

// client calls a Parley server's Connect and Participant APIs the way the
// AWS SDKs do: SigV4-signed REST-JSON for Connect, X-Amz-Bearer for the
// participant API, all over keep-alive HTTP/1.1 connections.
type client struct {
	base   string // http://host:port
	hc     *http.Client
	signer sigv4.Signer
	boot   Bootstrap
}

// newClient returns a client whose transport keeps up to idle connections
// open to the server, so a closed loop of that many callers never dials.
func newClient(endpoint string, boot Bootstrap, idle int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no overall limit
		MaxIdleConnsPerHost: idle,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &client{
		base: strings.TrimSuffix(endpoint, "/"),
		hc:   &http.Client{Transport: tr, Timeout: requestTimeout},
		signer: sigv4.Signer{
			Credentials: sigv4.Credentials{AccessKeyID: boot.AccessKeyID, SecretAccessKey: boot.SecretAccessKey},
			Region:      boot.Region,
			Service:     "connect",
		},
		boot: boot,
	}
}

// close drops the client's idle connections.
func (c *client) close() { c.hc.CloseIdleConnections() }

// apiError is a non-200 answer from the server.
type apiError struct {
	Op      string
	Status  int
	Type    string // x-amzn-ErrorType
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s: %s", e.Op, e.Status, e.Type, e.Message)
}

// errorKind names an error for the error tallies: the HTTP status and
// exception name, or the class of a transport failure.
func errorKind(err error) string {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("%s HTTP %d %s", ae.Op, ae.Status, ae.Type)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "network " + oe.Op
	}
	return "other: " + err.Error()
}

// do sends req and decodes a 200 answer's JSON into out (if not nil).
func (c *client) do(op string, req *http.Request, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: read response: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &m)
		return &apiError{Op: op, Status: resp.StatusCode, Type: resp.Header.Get("x-amzn-ErrorType"), Message: m.Message}
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s: decode response: %w", op, err)
		}
	}
	return nil
}

// connectCall makes a SigV4-signed Connect API call.
func (c *client) connectCall(ctx context.Context, op, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := c.signer.Sign(req, body, time.Now()); err != nil {
		return fmt.Errorf("%s: sign: %w", op, err)
	}
	return c.do(op, req, out)
}

// participantCall makes a Participant API call with a bearer token.
func (c *client) participantCall(ctx context.Context, op, path, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Bearer", token)
	return c.do(op, req, out)
}

// startChat calls StartChatContact and returns the customer's contact ID,
// participant ID and participant token.
func (c *client) startChat(ctx context.Context, name string) (contactID, participantID, token string, err error) {
	in := map[string]any{
		"InstanceId":                     c.boot.InstanceID,
		"ContactFlowId":                  c.boot.InboundFlowID,
		"ParticipantDetails":             map[string]string{"DisplayName": name},
		"SupportedMessagingContentTypes": []string{"text/plain"},
	}
	var out struct {
		ContactID        string `json:"ContactId"`
		ParticipantID    string `json:"ParticipantId"`
		ParticipantToken string
	}
	if err := c.connectCall(ctx, "StartChatContact", http.MethodPut, "/contact/chat", in, &out); err != nil {
		return "", "", "", err
	}
	return out.ContactID, out.ParticipantID, out.ParticipantToken, nil
}

// createBot calls CreateParticipant for a CUSTOM_BOT and returns its
// participant ID and token.
func (c *client) createBot(ctx context.Context, contactID string) (participantID, token string, err error) {
	in := map[string]any{
		"InstanceId":         c.boot.InstanceID,
		"ContactId":          contactID,
		"ParticipantDetails": map[string]string{"ParticipantRole": "CUSTOM_BOT", "DisplayName": "bench bot"},
	}
	var out struct {
		ParticipantCredentials struct{ ParticipantToken string }
		ParticipantID          string `json:"ParticipantId"`
	}
	if err := c.connectCall(ctx, "CreateParticipant", http.MethodPost, "/contact/create-participant", in, &out); err != nil {
		return "", "", err
	}
	return out.ParticipantID, out.ParticipantCredentials.ParticipantToken, nil
}

var connectionBody = []byte(`{"Type":["WEBSOCKET","CONNECTION_CREDENTIALS"]}`)

// createConnection calls CreateParticipantConnection for a websocket URL
// and a connection token.
func (c *client) createConnection(ctx context.Context, participantToken string) (wsURL, connToken string, err error) {
	var out struct {
		Websocket struct {
			URL string `json:"Url"`
		}
		ConnectionCredentials struct{ ConnectionToken string }
	}
	if err := c.participantCall(ctx, "CreateParticipantConnection", "/participant/connection", participantToken, connectionBody, &out); err != nil {
		return "", "", err
	}
	if out.Websocket.URL == "" || out.ConnectionCredentials.ConnectionToken == "" {
		return "", "", errors.New("CreateParticipantConnection: answer lacks Websocket.Url or ConnectionCredentials")
	}
	return out.Websocket.URL, out.ConnectionCredentials.ConnectionToken, nil
}

// sendMessage calls SendMessage with a text/plain message. content and
// clientToken must be plain ASCII without quotes or backslashes, which
// lets the body be built without the JSON encoder.
func (c *client) sendMessage(ctx context.Context, connToken, content, clientToken string) (string, error) {
	body := make([]byte, 0, 96+len(content)+len(clientToken))
	body = append(body, `{"ContentType":"text/plain","Content":"`...)
	body = append(body, content...)
	body = append(body, `","ClientToken":"`...)
	body = append(body, clientToken...)
	body = append(body, `"}`...)
	var out struct {
		ID string `json:"Id"`
	}
	if err := c.participantCall(ctx, "SendMessage", "/participant/message", connToken, body, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}

// disconnect calls DisconnectParticipant.
func (c *client) disconnect(ctx context.Context, connToken string) error {
	return c.participantCall(ctx, "DisconnectParticipant", "/participant/disconnect", connToken, []byte(`{}`), nil)
}

// frameSubscribe is what chatjs sends first on a new socket.
var frameSubscribe = []byte(`{"topic":"aws/subscribe","content":{"topics":["aws/chat"]}}`)

// subscribeTimeout bounds the wait for the subscription acknowledgement.
const subscribeTimeout = 15 * time.Second

// dialChat opens a chat websocket, subscribes to aws/chat and waits for
// the acknowledgement. Frames that arrive before it are dropped.
func (c *client) dialChat(ctx context.Context, wsURL string) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		if resp != nil {
			return nil, &apiError{Op: "websocket dial", Status: resp.StatusCode, Type: resp.Status}
		}
		return nil, fmt.Errorf("websocket dial: %w", err)
	}
	if err := ws.Write(dctx, websocket.MessageText, frameSubscribe); err != nil {
		ws.CloseNow()
		return nil, fmt.Errorf("websocket subscribe: %w", err)
	}
	for {
		_, data, err := ws.Read(dctx)
		if err != nil {
			ws.CloseNow()
			if ctx.Err() == nil && dctx.Err() != nil {
				return nil, fmt.Errorf("websocket subscribe: no acknowledgement within %v (is the server stuck?): %w", subscribeTimeout, err)
			}
			return nil, fmt.Errorf("websocket subscribe: wait for ack: %w", err)
		}
		var f struct {
			Topic   string `json:"topic"`
			Content struct {
				Status string `json:"status"`
			} `json:"content"`
		}
		if json.Unmarshal(data, &f) != nil || f.Topic != "aws/subscribe" {
			continue
		}
		if f.Content.Status != "success" {
			ws.CloseNow()
			return nil, fmt.Errorf("websocket subscribe: status %q", f.Content.Status)
		}
		return ws, nil
	}
}
