package connect

import "net/http"

// registerRouting adds the routing resource operations.
func (h *Handler) registerRouting(mux *http.ServeMux) {}
