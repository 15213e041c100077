package agent

import (
	"net/http"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/routing"
)

// contact serves GET /contacts/{contactId}: a contact's attributes
// (pre-chat answers included), customer name, queue, start and state,
// for the agent who holds an assignment of it (offered, connected or in
// after-contact work) or a user with ManagerListenIn. Anyone else gets
// 404, as for a contact that does not exist.
func (h *Handler) contact(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	supervisor, err := h.can(r.Context(), s, auth.PermManagerListenIn)
	if err != nil {
		return nil, err
	}
	return h.routing.AgentContactDetail(r.Context(), s.InstanceID, s.User.ID, id, supervisor)
}

type quickResponsesOutput struct {
	QuickResponses []routing.QuickResponse `json:"quickResponses"`
}

// quickResponses serves GET /quick-responses?q=: the instance's saved
// replies, those matching q (name, shortcut or content, any case) if
// given.
func (h *Handler) quickResponses(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	q := r.URL.Query().Get("q")
	if len(q) > MaxIDLength {
		q = q[:MaxIDLength]
	}
	list, err := h.routing.QuickResponses(r.Context(), s.InstanceID, q)
	if err != nil {
		return nil, err
	}
	return quickResponsesOutput{QuickResponses: list}, nil
}

type completeACWInput struct {
	Note string `json:"note"`
}

// completeACW clears the agent's after-contact work on a contact. The
// optional body {"note": "..."} is the wrap-up note, kept as the
// contact attribute wrapUpNote.
func (h *Handler) completeACW(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	var in completeACWInput
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	return nil, h.routing.CompleteACWWithNote(r.Context(), s.InstanceID, s.User.ID, id, in.Note)
}
