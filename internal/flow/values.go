package flow

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/routing"
)

// Dynamic values. A reference is "$." followed by dot-separated segments
// of letters, digits, "_" and "-"; in free text it ends at the first other
// character, and a value that does not exist renders as "".

func isRefChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// render replaces every reference in free text with its value.
func (x *exec) render(text string) string { return x.renderEscaped(text, nil) }

// renderJSON renders a JSON document's references as JSON string
// contents, so that no value can break out of its string.
func (x *exec) renderJSON(text string) string {
	return x.renderEscaped(text, func(v string) string {
		raw, _ := json.Marshal(v)
		return string(raw[1 : len(raw)-1])
	})
}

func (x *exec) renderEscaped(text string, escape func(string) string) string {
	i := strings.Index(text, "$.")
	if i < 0 {
		return text
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(text[:i])
		j := i + 2
		for j < len(text) && (isRefChar(text[j]) || text[j] == '.' && j+1 < len(text) && isRefChar(text[j+1])) {
			j++
		}
		if j == i+2 {
			b.WriteString("$.")
		} else {
			v, _ := x.lookup(text[i+2 : j])
			if escape != nil {
				v = escape(v)
			}
			b.WriteString(v)
		}
		text = text[j:]
		i = strings.Index(text, "$.")
	}
	b.WriteString(text)
	return b.String()
}

// value resolves a "static or one reference" parameter: the whole value
// is either a reference or a literal.
func (x *exec) value(v string) string {
	if strings.HasPrefix(v, "$.") {
		out, _ := x.lookup(v[2:])
		return out
	}
	return v
}

// lookup returns the value of a reference path (without "$.") and whether
// it exists.
func (x *exec) lookup(path string) (string, bool) {
	head, rest, _ := strings.Cut(path, ".")
	c := x.cx.Contact
	switch head {
	case "Attributes":
		v, ok := c.Attributes[rest]
		return v, ok
	case "External":
		return nested(x.st.External, rest)
	case "Lex":
		return nested(x.st.Lex, rest)
	case "Metrics":
		return nested(x.st.Metrics, rest)
	case "Queue":
		return x.queueValue(rest)
	case "Agent":
		if x.agent == nil {
			return "", false
		}
		switch rest {
		case "UserName":
			return x.agent.Username, true
		case "FirstName":
			return x.agent.FirstName, true
		case "LastName":
			return x.agent.LastName, true
		case "ARN":
			return x.s.arn(c.InstanceID, "agent", x.agent.UserID), true
		}
		return "", false
	case "ContactId":
		return c.ID, true
	case "InitialContactId":
		return c.InitialContactID, true
	case "PreviousContactId":
		return c.PreviousContactID, c.PreviousContactID != ""
	case "Channel":
		return c.Channel, true
	case "InstanceARN":
		return x.s.arn(c.InstanceID, "", ""), true
	case "InitiationMethod":
		if x.st.InitiationMethod != "" {
			return x.st.InitiationMethod, true
		}
		return c.InitiationMethod, true
	case "CustomerId":
		return c.CustomerID, c.CustomerID != ""
	case "LanguageCode", "Name", "Description":
		v, ok := x.st.Data[head]
		return v, ok
	case "Tags":
		v, ok := x.st.Tags[rest]
		return v, ok
	}
	return "", false
}

func (x *exec) queueValue(field string) (string, bool) {
	t := x.st.Target
	if t.QueueID == "" && t.UserID == "" {
		return "", false
	}
	q, err := x.s.routing.QueueForFlow(x.cx, x.cx.Contact.InstanceID, t.QueueID, t.UserID)
	if err != nil {
		return "", false
	}
	switch field {
	case "Name":
		return q.Name, true
	case "ARN":
		return x.s.arn(x.cx.Contact.InstanceID, "queue", q.ID), true
	}
	return "", false
}

// nested walks a JSON-like map by a dotted path.
func nested(m map[string]any, path string) (string, bool) {
	var cur any = m
	for _, seg := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = obj[seg]; !ok {
			return "", false
		}
	}
	return scalarText(cur)
}

// scalarText spells a JSON value as flows see it: strings as they are,
// numbers and booleans in JSON, objects and arrays as JSON text.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	default:
		raw, err := json.Marshal(v)
		return string(raw), err == nil
	}
}

// metricsMap is $.Metrics after GetMetricData.
func metricsMap(q routing.FlowQueue, queueARN string, m routing.QueueMetrics) map[string]any {
	count := func(n int) map[string]any { return map[string]any{"Count": strconv.Itoa(n)} }
	return map[string]any{
		"Queue": map[string]any{
			"Name": q.Name, "ARN": queueARN,
			"Size":             strconv.Itoa(m.InQueue),
			"OldestContactAge": fmt.Sprint(int(m.OldestContactAge.Seconds())),
		},
		"Agents": map[string]any{
			"Online": count(m.Online), "Available": count(m.Available), "Staffed": count(m.Staffed),
			"AfterContactWork": count(m.AfterContactWork), "Busy": count(m.Busy),
			"Missed": count(m.Missed), "NonProductive": count(m.NonProductive),
		},
	}
}
