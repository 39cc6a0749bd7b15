//go:build !race

// Package racedetect tells tests whether the race detector is on: it
// changes allocation counts, so the tests that assert them skip under it
// (they run in the plain test pass).
package racedetect

// Enabled reports whether the binary was built with -race.
const Enabled = false
