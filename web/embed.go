// Package web holds Parley's browser UIs as plain files embedded in the
// binary: the customer chat widget (widget/), the agent workspace
// (agent/), the test-chat page (testchat/) and the modules they share
// (shared/). There is no build step: the files are modern JavaScript
// modules and CSS, served as they are.
package web

import "embed"

// Files are the UI files, by path under web/.
//
//go:embed agent widget testchat shared
var Files embed.FS
