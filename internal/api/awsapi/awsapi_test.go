package awsapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	WriteError(w, &Error{Name: "ResourceNotFoundException", Status: 404, Message: "Contact c1 not found", Fields: map[string]string{"ResourceId": "c1"}})
	if w.Code != 404 || w.Header().Get("x-amzn-ErrorType") != "ResourceNotFoundException" || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %v", w.Code, w.Header())
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["message"] != "Contact c1 not found" || body["ResourceId"] != "c1" {
		t.Fatalf("body %v", body)
	}
}

func TestReadBodyAndDecode(t *testing.T) {
	t.Parallel()
	type in struct {
		Name  string
		Count int
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int // 0: success
		want       in
	}{
		{"valid", `{"Name":"a","Count":2}`, 0, in{"a", 2}},
		{"empty body is {}", ``, 0, in{}},
		{"unknown fields ignored", `{"Name":"a","Other":true}`, 0, in{Name: "a"}},
		{"malformed", `{"Name":`, 400, in{}},
		{"wrong type", `{"Count":"two"}`, 400, in{}},
		{"over 1 MiB", `{"Name":"` + strings.Repeat("x", MaxBody) + `"}`, 413, in{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			body, err := ReadBody(r, "ValidationException")
			var got in
			if err == nil {
				err = Decode(body, &got, "ValidationException")
			}
			switch {
			case tt.wantStatus == 0 && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.wantStatus != 0 && (err == nil || err.Status != tt.wantStatus || err.Name != "ValidationException"):
				t.Fatalf("error %v, want ValidationException %d", err, tt.wantStatus)
			case tt.wantStatus == 0 && got != tt.want:
				t.Fatalf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEpochSeconds(t *testing.T) {
	t.Parallel()
	raw, err := json.Marshal(EpochSeconds(time.UnixMilli(1700000000123)))
	if err != nil || string(raw) != "1700000000.123" {
		t.Fatalf("got %s, %v", raw, err)
	}
}
