package flow

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Interactive message templates a MessageParticipant block may send as
// its Text (spec §4.7): the JSON Connect's chat widgets render as list
// pickers, time pickers, panels, quick replies and carousels.
var interactiveTemplates = map[string]func(content map[string]json.RawMessage) error{
	"ListPicker": func(c map[string]json.RawMessage) error { return countElements(c, "elements", 1, 6) },
	"TimePicker": func(c map[string]json.RawMessage) error { return countElements(c, "timeslots", 1, 40) },
	"Panel":      func(c map[string]json.RawMessage) error { return countElements(c, "elements", 1, 10) },
	"QuickReply": func(c map[string]json.RawMessage) error { return countElements(c, "elements", 1, 10) },
	"Carousel":   func(c map[string]json.RawMessage) error { return countElements(c, "elements", 1, 5) },
}

// MaxInteractiveChars is the longest interactive message a block may send.
const MaxInteractiveChars = 12288

// looksInteractive reports whether a MessageParticipant Text is an
// interactive message template rather than plain text.
func looksInteractive(text string) bool {
	t := strings.TrimSpace(text)
	return strings.HasPrefix(t, "{") && strings.Contains(t, `"templateType"`)
}

// checkInteractive checks an interactive message template.
func checkInteractive(text string) error {
	t := strings.TrimSpace(text)
	var msg struct {
		TemplateType string `json:"templateType"`
		Version      string `json:"version"`
		Data         struct {
			Content map[string]json.RawMessage `json:"content"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(t), &msg); err != nil {
		return fmt.Errorf("the interactive message is not valid JSON: %w", err)
	}
	check, ok := interactiveTemplates[msg.TemplateType]
	if !ok {
		return fmt.Errorf("unknown interactive templateType %q", msg.TemplateType)
	}
	if msg.Version != "1.0" {
		return fmt.Errorf("interactive %s: version must be \"1.0\"", msg.TemplateType)
	}
	if msg.Data.Content == nil {
		return fmt.Errorf("interactive %s: data.content is missing", msg.TemplateType)
	}
	if err := check(msg.Data.Content); err != nil {
		return fmt.Errorf("interactive %s: %w", msg.TemplateType, err)
	}
	return nil
}

func countElements(content map[string]json.RawMessage, field string, min, max int) error {
	var list []json.RawMessage
	if err := json.Unmarshal(content[field], &list); err != nil {
		return fmt.Errorf("data.content.%s must be a list", field)
	}
	if len(list) < min || len(list) > max {
		return fmt.Errorf("data.content.%s has %d entries, want %d to %d", field, len(list), min, max)
	}
	return nil
}
