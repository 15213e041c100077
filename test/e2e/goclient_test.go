package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth/sigv4"
)

// apiClient calls a Parley server the way the AWS SDKs do: Connect
// operations SigV4-signed with the bootstrap access key, Participant
// operations with X-Amz-Bearer.
type apiClient struct {
	t      testing.TB
	srv    *Server
	signer sigv4.Signer
	http   *http.Client
}

func newAPIClient(t testing.TB, srv *Server) *apiClient {
	b := srv.Bootstrap
	return &apiClient{t: t, srv: srv, http: &http.Client{Timeout: 30 * time.Second}, signer: sigv4.Signer{
		Credentials: sigv4.Credentials{AccessKeyID: b.AccessKeyID, SecretAccessKey: b.SecretAccessKey},
		Region:      b.Region, Service: "connect"}}
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Type   string
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Body) }

// do sends one request; bearer selects the Participant API's auth, else
// the request is signed. out receives the JSON answer.
func (c *apiClient) do(method, path, bearer string, in, out any) error {
	raw, _ := json.Marshal(in)
	req, err := http.NewRequest(method, c.srv.Endpoint+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("X-Amz-Bearer", bearer)
	} else if err := c.signer.Sign(req, raw, time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Type: resp.Header.Get("x-amzn-ErrorType"), Body: string(body)}
	}
	if out != nil {
		return json.Unmarshal(body, out)
	}
	return nil
}

type startedChat struct {
	ContactID        string `json:"ContactId"`
	ParticipantID    string `json:"ParticipantId"`
	ParticipantToken string
}

func (c *apiClient) startChat(name string) startedChat {
	c.t.Helper()
	var out startedChat
	err := c.do("PUT", "/contact/chat", "", map[string]any{
		"InstanceId": c.srv.Bootstrap.InstanceID, "ContactFlowId": c.srv.Bootstrap.InboundFlowID,
		"ParticipantDetails": map[string]string{"DisplayName": name},
	}, &out)
	if err != nil {
		c.t.Fatalf("StartChatContact: %v", err)
	}
	return out
}

type connection struct {
	Websocket             struct{ Url string }
	ConnectionCredentials struct{ ConnectionToken string }
}

func (c *apiClient) connect(participantToken string) (connection, error) {
	var out connection
	err := c.do("POST", "/participant/connection", participantToken, map[string]any{"Type": []string{"WEBSOCKET", "CONNECTION_CREDENTIALS"}}, &out)
	return out, err
}

type transcriptItem struct {
	Id, Type, Content, ContentType string
	DisplayName, ParticipantRole   string
}

// transcript pages through the whole transcript, oldest first.
func (c *apiClient) transcript(connectionToken string) ([]transcriptItem, error) {
	var all []transcriptItem
	next := ""
	for {
		var page struct {
			Transcript []transcriptItem
			NextToken  string
		}
		in := map[string]any{"ScanDirection": "FORWARD", "SortOrder": "ASCENDING", "MaxResults": 100}
		if next != "" {
			in["NextToken"] = next
		}
		if err := c.do("POST", "/participant/transcript", connectionToken, in, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Transcript...)
		if next = page.NextToken; next == "" {
			return all, nil
		}
	}
}
