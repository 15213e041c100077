package connect

import (
	"context"
	"net/http"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/widget"
)

// registerWidgets adds Parley's chat widget operations.
func (h *Handler) registerWidgets(mux *http.ServeMux) {
	for _, r := range []struct {
		pattern string
		op      operation
	}{
		{"PUT /parley/widgets/{InstanceId}", h.createWidget},
		{"GET /parley/widgets/{InstanceId}", h.listWidgets},
		{"GET /parley/widgets/{InstanceId}/{WidgetId}", h.describeWidget},
		{"POST /parley/widgets/{InstanceId}/{WidgetId}", h.updateWidget},
		{"DELETE /parley/widgets/{InstanceId}/{WidgetId}", h.deleteWidget},
	} {
		mux.HandleFunc(r.pattern, h.call(r.op))
	}
}

// widgetConfig is a widget's configuration on the wire.
type widgetConfig struct {
	Name           string
	ContactFlowID  string `json:"ContactFlowId"`
	AllowedOrigins []string
	Title          string
	Greeting       string
	LogoURL        string `json:"LogoUrl"`
	Position       string
	Theme          struct{ Primary, Text, Background string }
	PreChatForm    struct {
		Enabled bool
		Fields  []widgetField
	}
	RequireJWT         bool `json:"RequireJwt"`
	RateLimitPerMinute int
	Locale             string
}

type widgetField struct {
	Name     string
	Label    string
	Type     string
	Required bool
	Options  []string `json:",omitempty"`
}

func (c widgetConfig) widget(q request) widget.Widget {
	w := widget.Widget{Name: c.Name, ContactFlowID: q.idOf(c.ContactFlowID), AllowedOrigins: c.AllowedOrigins, Title: c.Title,
		Greeting: c.Greeting, LogoURL: c.LogoURL, Position: c.Position, Theme: widget.Theme(c.Theme),
		PreChatForm: widget.PreChatForm{Enabled: c.PreChatForm.Enabled}, RequireJWT: c.RequireJWT,
		RateLimitPerMinute: c.RateLimitPerMinute, Locale: c.Locale}
	for _, f := range c.PreChatForm.Fields {
		w.PreChatForm.Fields = append(w.PreChatForm.Fields, widget.Field(f))
	}
	return w
}

// widgetOut is a widget as Describe and List return it: never its secret.
type widgetOut struct {
	WidgetID string `json:"WidgetId"`
	widgetConfig
	CreatedAt     awsapi.EpochSeconds
	LastUpdatedAt awsapi.EpochSeconds
}

func widgetOf(w widget.Widget) widgetOut {
	out := widgetOut{WidgetID: w.ID, CreatedAt: awsapi.EpochSeconds(w.CreatedAt), LastUpdatedAt: awsapi.EpochSeconds(w.UpdatedAt)}
	c := &out.widgetConfig
	c.Name, c.ContactFlowID, c.AllowedOrigins, c.Title, c.Greeting, c.LogoURL, c.Position = w.Name, w.ContactFlowID, w.AllowedOrigins, w.Title, w.Greeting, w.LogoURL, w.Position
	c.Theme = struct{ Primary, Text, Background string }(w.Theme)
	c.PreChatForm.Enabled, c.PreChatForm.Fields = w.PreChatForm.Enabled, []widgetField{}
	for _, f := range w.PreChatForm.Fields {
		c.PreChatForm.Fields = append(c.PreChatForm.Fields, widgetField(f))
	}
	c.RequireJWT, c.RateLimitPerMinute, c.Locale = w.RequireJWT, w.RateLimitPerMinute, w.Locale
	return out
}

func (h *Handler) createWidget(ctx context.Context, q request) (any, error) {
	var in widgetConfig
	if err := q.start(&in); err != nil {
		return nil, err
	}
	w, err := h.Widgets.Create(ctx, q.instance, in.widget(q))
	if err != nil {
		return nil, err
	}
	return struct {
		WidgetID  string `json:"WidgetId"`
		JwtSecret string
	}{w.ID, w.JWTSecret}, nil
}

func (h *Handler) listWidgets(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	ws, err := h.Widgets.List(ctx, q.instance)
	if err != nil {
		return nil, err
	}
	out := make([]widgetOut, 0, len(ws))
	for _, w := range ws {
		out = append(out, widgetOf(w))
	}
	return struct{ Widgets []widgetOut }{out}, nil
}

func (h *Handler) describeWidget(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	w, err := h.Widgets.Get(ctx, q.instance, q.r.PathValue("WidgetId"))
	if err != nil {
		return nil, err
	}
	return struct{ Widget widgetOut }{widgetOf(w)}, nil
}

func (h *Handler) updateWidget(ctx context.Context, q request) (any, error) {
	var in struct {
		widgetConfig
		RotateJwtSecret bool
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	w, err := h.Widgets.Update(ctx, q.instance, q.r.PathValue("WidgetId"), in.widget(q), in.RotateJwtSecret)
	if err != nil {
		return nil, err
	}
	out := struct {
		WidgetID  string `json:"WidgetId"`
		JwtSecret string `json:",omitempty"`
	}{WidgetID: w.ID}
	if in.RotateJwtSecret {
		out.JwtSecret = w.JWTSecret
	}
	return out, nil
}

func (h *Handler) deleteWidget(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Widgets.Delete(ctx, q.instance, q.r.PathValue("WidgetId"))
}
