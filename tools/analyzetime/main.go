// Command analyzetime times 'backchannel analyze --json DIR' as a whole
// process, start to exit, the way a user runs it: each scenario folder with
// each binary, interleaved (round by round, so that a shared machine's load
// falls on every binary alike), and writes one file per binary in the input
// format of benchstat.
//
//	go build -o /tmp/bc-new ./cmd/backchannel
//	go run ./tools/analyzetime -count 15 -bin new=/tmp/bc-new -out docs/bench/analyze-process-%s.txt \
//	    ../shared/scenarios/genius/anac/y2010/Travel ../shared/scenarios/genius/anac/y2011/Energy \
//	    ../shared/scenarios/genius/other/AMPOvsCity
//	benchstat docs/bench/analyze-process-new.txt
//	benchstat docs/bench/analyze-process-old.txt docs/bench/analyze-process-new.txt
//
// Each line is one run: BenchmarkAnalyzeProcess/FOLDER 1 WALL ns/op CPU
// cpu-ns/op, WALL the elapsed time and CPU the user and system time of the
// child process. A run that fails stops the command.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type binary struct {
	label, path string
	out         io.Writer
}

type bins []binary

func (b *bins) String() string { return fmt.Sprint(*b) }

func (b *bins) Set(s string) error {
	label, path, ok := strings.Cut(s, "=")
	if !ok || label == "" || path == "" {
		return fmt.Errorf("-bin %q: want LABEL=PATH", s)
	}
	*b = append(*b, binary{label: label, path: path})
	return nil
}

func main() {
	var bs bins
	count := flag.Int("count", 10, "runs of each binary on each folder")
	out := flag.String("out", "", "write binary LABEL's lines to this file, %s standing for LABEL (default: standard output)")
	flag.Var(&bs, "bin", "a backchannel binary as `LABEL=PATH` (repeatable)")
	flag.Parse()
	if len(bs) == 0 || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: analyzetime [-count N] [-out FILE] -bin LABEL=PATH… FOLDER…")
		os.Exit(2)
	}
	for i := range bs {
		bs[i].out = os.Stdout
		if *out != "" {
			f, err := os.Create(fmt.Sprintf(*out, bs[i].label))
			if err != nil {
				fmt.Fprintln(os.Stderr, "analyzetime:", err)
				os.Exit(1)
			}
			defer f.Close()
			bs[i].out = f
		}
		fmt.Fprintf(bs[i].out, "goos: %s\ngoarch: %s\npkg: analyze-process\n", runtime.GOOS, runtime.GOARCH)
	}
	for range *count {
		for _, dir := range flag.Args() {
			for _, b := range bs {
				cmd := exec.Command(b.path, "analyze", "--json", dir)
				cmd.Stderr = os.Stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					fmt.Fprintf(os.Stderr, "analyzetime: %s analyze --json %s: %v\n", b.path, dir, err)
					os.Exit(1)
				}
				wall := time.Since(start)
				cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				fmt.Fprintf(b.out, "BenchmarkAnalyzeProcess/%s 1 %d ns/op %d cpu-ns/op\n", filepath.Base(dir), wall.Nanoseconds(), cpu.Nanoseconds())
			}
		}
	}
}
