//go:build race

package e2e

// raceEnabled reports whether the tests run with the race detector; the
// server is then built with it too.
const raceEnabled = true
