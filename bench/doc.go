// Package bench holds the benchmarks that reproduce the peers' measured
// setups (../shared/ANCHORS.md: NegMAS 0.15.7 and GENIUS 10.4 on the same
// 2-core machine class), so that docs/benchmarks.md can state ratios: SAO
// rounds per second on 3-issue spaces of 125, 1,000 and 8,000 outcomes, the
// mediated single text on 1,000 outcomes, and 'analyze' of the ANAC
// scenarios the peers were timed on (whole-process timings of the same:
// tools/analyzetime). It has no code of its own.
package bench
