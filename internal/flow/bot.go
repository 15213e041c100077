package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
)

// Bots hold the conversations of ConnectParticipantWithLexBot blocks: the
// flow hands the customer to a bot and waits until the bot reports how the
// conversation ended (Service.BotFinished) or the block's time runs out.
// A Service without Bots takes those blocks' error branch.
type Bots interface {
	// StartConversation hands the locked contact's customer to a bot,
	// inside the transaction that pauses the flow. The bot reads and
	// answers the customer's messages itself.
	StartConversation(cx *chat.Tx, c BotConversation) error
}

// BotConversation is what a ConnectParticipantWithLexBot block asks of a bot.
type BotConversation struct {
	// Bot names the bot: LexV2Bot.AliasArn, or LexBot.Name for a classic bot.
	Bot string
	// SessionAttributes are the block's LexSessionAttributes, rendered.
	SessionAttributes map[string]string
	// InitialMessage is LexInitilizationData.InitialMessage, rendered: the
	// utterance the bot starts from ("" if none).
	InitialMessage string
	// Timeout is how long the conversation may last (LexTimeoutSeconds).
	Timeout time.Duration
}

// BotResult is how a bot conversation ended, as $.Lex shows it.
type BotResult struct {
	// IntentName is the intent the bot fulfilled: the block's result.
	IntentName string
	// Slots, SessionAttributes and DialogState are the bot's last state.
	Slots             map[string]string
	SessionAttributes map[string]string
	DialogState       string
	// Confidence is the intent's confidence score, if the bot gives one.
	Confidence string
	// Failed reports that the conversation failed (the error branch).
	Failed bool
}

// defaultBotTimeout is a bot conversation's limit when the block sets none
// (Lex's default session timeout).
const defaultBotTimeout = 5 * time.Minute

// SetBots installs the bots. Call it once, before serving.
func (s *Service) SetBots(b Bots) { s.bots = b }

// connectBot pauses the flow on a bot conversation.
func (x *exec) connectBot(a *Action) (outcome, error) {
	conv := BotConversation{Timeout: defaultBotTimeout, SessionAttributes: map[string]string{}}
	if v2, ok := a.ParamObject("LexV2Bot"); ok {
		conv.Bot = x.value(jsonString(v2["AliasArn"]))
	} else if v1, ok := a.ParamObject("LexBot"); ok {
		conv.Bot = x.value(jsonString(v1["Name"]))
	}
	attrs, _ := a.ParamStringMap("LexSessionAttributes")
	for k, v := range attrs {
		conv.SessionAttributes[k] = x.render(v)
	}
	if init, ok := a.ParamObject("LexInitilizationData"); ok {
		conv.InitialMessage = x.render(jsonString(init["InitialMessage"]))
	}
	if t, ok := a.ParamObject("LexTimeoutSeconds"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(x.value(jsonString(t["Text"])))); err == nil && n > 0 {
			conv.Timeout = time.Duration(n) * time.Second
		}
	}
	params := map[string]any{"Bot": conv.Bot, "SessionAttributes": conv.SessionAttributes}
	switch {
	case x.s.bots == nil:
		return outcome{errType: NoMatchingError, errMsg: "no bot is configured for this instance, so the bot block took its error branch", params: params}, nil
	case x.whisper != "":
		return outcome{errType: NoMatchingError, errMsg: "a whisper cannot hand the customer to a bot", params: params}, nil
	case conv.Bot == "":
		return outcome{errType: NoMatchingError, errMsg: "the block names no bot", params: params}, nil
	}
	if text, ok := a.ParamString("Text"); ok {
		if text = x.render(text); strings.TrimSpace(text) != "" {
			if err := x.cx.AppendSystemMessage("text/plain", text); err != nil {
				return outcome{}, err
			}
		}
	}
	if err := x.s.bots.StartConversation(x.cx, conv); err != nil {
		if isCallerFault(err) {
			return outcome{errType: NoMatchingError, errMsg: err.Error(), params: params}, nil
		}
		return outcome{}, err
	}
	return outcome{params: params, pause: &pause{Kind: pauseBot, Due: x.now.Add(conv.Timeout)}}, nil
}

// BotFinished resumes a contact's flow paused on a bot conversation: the
// block's result is the intent, and $.Lex holds the bot's last state. It is
// fault.InvalidRequest if the contact's flow is not waiting for a bot.
func (s *Service) BotFinished(ctx context.Context, instanceID, contactID string, r BotResult) error {
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		st, err := load(cx)
		if err != nil {
			return err
		}
		if !cx.Active() || st.Pause == nil || st.Pause.Kind != pauseBot {
			return fault.Errorf(fault.InvalidRequest, "Contact %s is not in a bot conversation", contactID)
		}
		st.Lex = lexData(r)
		if r.Failed {
			return s.resume(cx, st, failed(NoMatchingError, "the bot conversation failed"))
		}
		return s.resume(cx, st, outcome{result: r.IntentName, hasResult: true})
	})
	if err != nil {
		return fmt.Errorf("bot finished: %w", err)
	}
	return nil
}

// lexData is $.Lex after a conversation.
func lexData(r BotResult) map[string]any {
	strs := func(m map[string]string) map[string]any {
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return map[string]any{
		"IntentName": r.IntentName, "DialogState": r.DialogState,
		"Slots": strs(r.Slots), "SessionAttributes": strs(r.SessionAttributes),
		"IntentConfidence": map[string]any{"Score": r.Confidence},
	}
}

func jsonString(raw json.RawMessage) string {
	s, _ := scalarString(raw)
	return s
}

// isCallerFault reports whether err is a fault (a bad request) rather than
// a failure of Parley.
func isCallerFault(err error) bool {
	var f *fault.Error
	return errors.As(err, &f)
}
