// Command build bundles the workbench's sources (web/src, with uPlot from
// web/vendor) into web/dist with esbuild, or with -check reports whether
// web/dist is what the sources give (CI runs it). Run it from anywhere in
// the module: go run ./web/build.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	check := flag.Bool("check", false, "do not write: fail if web/dist differs from a fresh build")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "web/build:", err)
		os.Exit(1)
	}
}

// webDir is the folder of this module's web package (this file's parent's parent).
func webDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok {
		if d := filepath.Dir(filepath.Dir(file)); exists(filepath.Join(d, "src", "main.js")) {
			return d, nil
		}
	}
	for _, d := range []string{"web", "."} {
		if exists(filepath.Join(d, "src", "main.js")) {
			return filepath.Abs(d)
		}
	}
	return "", fmt.Errorf("cannot find web/src/main.js: run from the repository root")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func run(check bool) error {
	dir, err := webDir()
	if err != nil {
		return err
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:      []string{filepath.Join(dir, "src", "main.js"), filepath.Join(dir, "src", "app.css")},
		Bundle:           true,
		Format:           api.FormatIIFE,
		Target:           api.ES2020,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		LegalComments:    api.LegalCommentsEndOfFile,
		Charset:          api.CharsetUTF8,
		Outdir:           filepath.Join(dir, "dist"),
		EntryNames:       "app",
		Write:            false,
		AbsWorkingDir:    dir,
		LogLevel:         api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		var b strings.Builder
		for _, m := range res.Errors {
			if m.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			fmt.Fprintln(&b, m.Text)
		}
		return fmt.Errorf("esbuild:\n%s", b.String())
	}
	html, err := os.ReadFile(filepath.Join(dir, "src", "index.html"))
	if err != nil {
		return err
	}
	files := map[string][]byte{filepath.Join(dir, "dist", "index.html"): html}
	for _, f := range res.OutputFiles {
		files[f.Path] = f.Contents
	}
	var stale []string
	for path, data := range files {
		old, err := os.ReadFile(path)
		if err == nil && bytes.Equal(old, data) {
			continue
		}
		rel, _ := filepath.Rel(dir, path)
		if check {
			stale = append(stale, "web/"+rel)
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote web/" + rel)
	}
	if len(stale) > 0 {
		return fmt.Errorf("%s out of date with web/src: run go generate ./web and commit", strings.Join(stale, ", "))
	}
	return nil
}
