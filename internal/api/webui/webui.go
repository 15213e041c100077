// Package webui serves the embedded browser UIs (package web): the agent
// workspace at /agent/, the test-chat page at /test-chat/ and the chat
// widget's files at /widget/. Pages get a strict Content-Security-Policy;
// the widget's files are served to any origin, since companies embed
// them in their own sites.
package webui

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/parley-chat/parley/web"
)

// pageCSP is the policy of Parley's own pages: only Parley's own scripts
// and styles, connections back to Parley (HTTP and websockets), images
// from anywhere over https (logos), and no framing.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Register adds the UI routes to mux.
func Register(mux *http.ServeMux) {
	mount(mux, "/agent/", "agent", true)
	mount(mux, "/test-chat/", "testchat", true)
	mount(mux, "/shared/", "shared", false)
	mount(mux, "/widget/", "widget", false)
	mux.Handle("GET /agent", http.RedirectHandler("/agent/", http.StatusMovedPermanently))
	mux.Handle("GET /test-chat", http.RedirectHandler("/test-chat/", http.StatusMovedPermanently))
}

// mount serves the embedded directory dir at prefix.
func mount(mux *http.ServeMux, prefix, dir string, page bool) {
	sub, err := fs.Sub(web.Files, dir)
	if err != nil {
		panic("webui: " + err.Error()) // the directories are embedded at build time
	}
	files := http.StripPrefix(prefix, http.FileServerFS(sub))
	mux.Handle("GET "+prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache") // revalidate: files change with the binary
		if strings.HasSuffix(r.URL.Path, ".md") {
			http.NotFound(w, r)
			return
		}
		if page {
			h.Set("Content-Security-Policy", pageCSP)
			h.Set("X-Frame-Options", "DENY")
		} else {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		}
		files.ServeHTTP(w, r)
	}))
}
