package connect

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/api/awsapi"
	"github.com/parley-chat/parley/internal/flow"
)

// arnFlow is the ARN resource type of contact flows.
const arnFlow = "contact-flow"

// registerFlows adds the contact flow operations and Parley's function and
// flow-log extensions.
func (h *Handler) registerFlows(mux *http.ServeMux) {
	for _, r := range []struct {
		pattern string
		op      operation
	}{
		{"PUT /contact-flows/{InstanceId}", h.createContactFlow},
		{"GET /contact-flows/{InstanceId}/{ContactFlowId}", h.describeContactFlow},
		{"GET /contact-flows-summary/{InstanceId}", h.listContactFlows},
		{"POST /contact-flows/{InstanceId}/{ContactFlowId}/content", h.updateContactFlowContent},
		{"POST /contact-flows/{InstanceId}/{ContactFlowId}/metadata", h.updateContactFlowMetadata},
		{"POST /contact-flows/{InstanceId}/{ContactFlowId}/name", h.updateContactFlowName},
		{"DELETE /contact-flows/{InstanceId}/{ContactFlowId}", h.deleteContactFlow},

		{"PUT /parley/functions/{InstanceId}", h.registerFunction},
		{"GET /parley/functions/{InstanceId}", h.listFunctions},
		{"DELETE /parley/functions/{InstanceId}", h.deleteFunction},
		{"GET /parley/contact-flow-logs/{InstanceId}/{ContactId}", h.listFlowLogs},
	} {
		mux.HandleFunc(r.pattern, h.call(r.op))
	}
}

// flowError turns the flow domain's own error types into their Connect
// exceptions; other errors pass through to mapError.
func flowError(err error) error {
	var invalid *flow.InvalidFlowError
	if errors.As(err, &invalid) {
		type problem struct {
			Message string `json:"message"`
		}
		problems := make([]problem, 0, len(invalid.Problems))
		for _, p := range invalid.Problems {
			problems = append(problems, problem{p.Detail()})
		}
		return &awsapi.Error{Name: "InvalidContactFlowException", Status: http.StatusBadRequest, Message: invalid.Error(),
			Members: map[string]any{"problems": problems}}
	}
	var unpublished *flow.NotPublishedError
	if errors.As(err, &unpublished) {
		return awsapi.Errorf("ContactFlowNotPublishedException", http.StatusNotFound, "%s", unpublished.Error())
	}
	return err
}

func (h *Handler) createContactFlow(ctx context.Context, q request) (any, error) {
	var in struct {
		Name        string
		Type        string
		Description string
		Content     string
		Status      string
		Tags        map[string]string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	f, err := h.Flows.CreateFlow(ctx, q.instance, flow.NewFlow{Name: in.Name, Type: in.Type, Description: in.Description,
		Content: in.Content, Status: in.Status, Tags: in.Tags})
	if err != nil {
		return nil, flowError(err)
	}
	return struct {
		ContactFlowID     string `json:"ContactFlowId"`
		ContactFlowArn    string
		FlowContentSha256 string
	}{f.ID, h.arn(q.instance, arnFlow, f.ID), flow.ContentSHA256(f.Content)}, nil
}

// contactFlowOut is DescribeContactFlow's ContactFlow.
type contactFlowOut struct {
	Arn                string
	ID                 string `json:"Id"`
	Name               string
	Type               string
	State              string
	Status             string
	Description        string `json:",omitempty"`
	Content            string
	Tags               map[string]string `json:",omitempty"`
	FlowContentSha256  string
	Version            int `json:",omitempty"`
	LastModifiedTime   awsapi.EpochSeconds
	LastModifiedRegion string
}

func (h *Handler) describeContactFlow(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	f, err := h.Flows.DescribeFlow(ctx, q.instance, q.path("ContactFlowId"))
	if err != nil {
		return nil, flowError(err)
	}
	return struct{ ContactFlow contactFlowOut }{contactFlowOut{
		Arn: h.arn(q.instance, arnFlow, f.ID), ID: f.ID, Name: f.Name, Type: f.Type, State: f.State, Status: f.Status,
		Description: f.Description, Content: f.Content, Tags: f.Tags, FlowContentSha256: flow.ContentSHA256(f.Content),
		Version: f.Version, LastModifiedTime: awsapi.EpochSeconds(f.UpdatedAt), LastModifiedRegion: h.Region,
	}}, nil
}

func (h *Handler) listContactFlows(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	fs, err := h.Flows.ListFlows(ctx, q.instance, q.r.URL.Query()["contactFlowTypes"])
	if err != nil {
		return nil, err
	}
	pg, next, err := page(q, fs)
	if err != nil {
		return nil, err
	}
	type summary struct {
		ID                string `json:"Id"`
		Arn               string
		Name              string
		ContactFlowType   string
		ContactFlowState  string
		ContactFlowStatus string
	}
	list := make([]summary, 0, len(pg))
	for _, f := range pg {
		list = append(list, summary{f.ID, h.arn(q.instance, arnFlow, f.ID), f.Name, f.Type, f.State, f.Status})
	}
	return struct {
		ContactFlowSummaryList []summary
		NextToken              string `json:",omitempty"`
	}{list, next}, nil
}

func (h *Handler) updateContactFlowContent(ctx context.Context, q request) (any, error) {
	var in struct{ Content string }
	if err := q.start(&in); err != nil {
		return nil, err
	}
	if _, err := h.Flows.UpdateFlowContent(ctx, q.instance, q.path("ContactFlowId"), in.Content); err != nil {
		return nil, flowError(err)
	}
	return struct{}{}, nil
}

func (h *Handler) updateContactFlowMetadata(ctx context.Context, q request) (any, error) {
	var in struct {
		Name             *string
		Description      *string
		ContactFlowState string
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Flows.UpdateFlowMetadata(ctx, q.instance, q.path("ContactFlowId"), in.Name, in.Description, in.ContactFlowState)
}

func (h *Handler) updateContactFlowName(ctx context.Context, q request) (any, error) {
	var in nameUpdate
	if err := q.start(&in); err != nil {
		return nil, err
	}
	return struct{}{}, h.Flows.UpdateFlowName(ctx, q.instance, q.path("ContactFlowId"), in.Name, in.Description)
}

func (h *Handler) deleteContactFlow(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	return struct{}{}, h.Flows.DeleteFlow(ctx, q.instance, q.path("ContactFlowId"))
}

// ---- Parley extensions: functions and flow logs ----

func (h *Handler) registerFunction(ctx context.Context, q request) (any, error) {
	var in struct {
		FunctionArn  string
		URL          string `json:"Url"`
		RotateSecret bool
	}
	if err := q.start(&in); err != nil {
		return nil, err
	}
	fn, err := h.Flows.RegisterFunction(ctx, q.instance, in.FunctionArn, in.URL, in.RotateSecret)
	if err != nil {
		return nil, err
	}
	return struct {
		FunctionArn   string
		URL           string `json:"Url"`
		SigningSecret string
	}{fn.ARN, fn.URL, fn.Secret}, nil
}

func (h *Handler) listFunctions(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	fns, err := h.Flows.ListFunctions(ctx, q.instance)
	if err != nil {
		return nil, err
	}
	type function struct {
		FunctionArn string
		URL         string `json:"Url"`
		CreatedAt   awsapi.EpochSeconds
	}
	out := make([]function, 0, len(fns))
	for _, fn := range fns {
		out = append(out, function{fn.ARN, fn.URL, awsapi.EpochSeconds(fn.CreatedAt)})
	}
	return struct{ Functions []function }{out}, nil
}

func (h *Handler) deleteFunction(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	arn := q.r.URL.Query().Get("functionArn")
	if arn == "" {
		return nil, awsapi.Errorf("InvalidParameterException", http.StatusBadRequest, "functionArn is required")
	}
	return struct{}{}, h.Flows.DeleteFunction(ctx, q.instance, arn)
}

func (h *Handler) listFlowLogs(ctx context.Context, q request) (any, error) {
	if err := q.start(nil); err != nil {
		return nil, err
	}
	query := q.r.URL.Query()
	var after int64
	if v := query.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, awsapi.Errorf("InvalidParameterException", http.StatusBadRequest, "after must be a log ID")
		}
		after = n
	}
	limit := 0
	if v := query.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, awsapi.Errorf("InvalidParameterException", http.StatusBadRequest, "maxResults must be between 1 and %d", flow.MaxFlowLogPage)
		}
		limit = n
	}
	logs, err := h.Flows.FlowLogs(ctx, q.instance, q.path("ContactId"), after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(logs))
	for _, l := range logs {
		out = append(out, flow.LogView(l, "LogId"))
		after = l.ID
	}
	return struct {
		FlowLogs  []map[string]any
		NextAfter int64
	}{out, after}, nil
}
