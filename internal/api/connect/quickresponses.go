package connect

import (
	"context"
	"net/http"

	"github.com/parley-chat/parley/internal/routing"
)

// registerQuickResponses adds Parley's quick-response extension: the
// saved replies agents search and insert in the workspace.
func (h *Handler) registerQuickResponses(mux *http.ServeMux) {
	mux.HandleFunc("PUT /parley/quick-responses/{InstanceId}", h.call(h.putQuickResponse))
	mux.HandleFunc("GET /parley/quick-responses/{InstanceId}", h.call(h.listQuickResponses))
	mux.HandleFunc("DELETE /parley/quick-responses/{InstanceId}/{QuickResponseId}", h.call(h.deleteQuickResponse))
}

type quickResponseOut struct {
	QuickResponseID string `json:"QuickResponseId"`
	Name            string
	Content         string
	Shortcut        string `json:",omitempty"`
}

func (h *Handler) putQuickResponse(ctx context.Context, q request) (any, error) {
	var in struct {
		Name     string
		Content  string
		Shortcut string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	qr, err := h.Routing.PutQuickResponse(ctx, q.instance, routing.QuickResponse{Name: in.Name, Content: in.Content, Shortcut: in.Shortcut})
	if err != nil {
		return nil, err
	}
	return struct {
		QuickResponseID string `json:"QuickResponseId"`
	}{qr.ID}, nil
}

func (h *Handler) listQuickResponses(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	list, err := h.Routing.QuickResponses(ctx, q.instance, "")
	if err != nil {
		return nil, err
	}
	out := make([]quickResponseOut, 0, len(list))
	for _, qr := range list {
		out = append(out, quickResponseOut{qr.ID, qr.Name, qr.Content, qr.Shortcut})
	}
	return struct{ QuickResponses []quickResponseOut }{out}, nil
}

func (h *Handler) deleteQuickResponse(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Routing.DeleteQuickResponse(ctx, q.instance, q.path("QuickResponseId"))
}
