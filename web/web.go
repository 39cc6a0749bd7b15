// Package web holds the workbench: the browser pages by which people take
// a seat in a session, mediate, and look at scenarios. They are a client of
// the server's public API, like any remote agent, and are served by the
// same binary (package server mounts them at /).
//
// The sources are in src/ (plain ES modules) with uPlot vendored from its
// npm package in vendor/uplot/; `go generate ./web` (go run ./web/build)
// bundles them with esbuild into dist/, which is committed, so that a
// clone builds and serves the workbench with Go alone. CI runs
// `go run ./web/build -check` to prove dist/ is what the sources give.
package web

import (
	"embed"
	"io/fs"
)

//go:generate go run ./build

//go:embed dist
var dist embed.FS

// Assets returns the built workbench: index.html, app.js and app.css.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded above: a programmer error
	}
	return sub
}
