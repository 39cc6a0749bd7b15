//go:build !unix

package synth

// CPUSeconds returns 0 where getrusage is not available.
func CPUSeconds() float64 { return 0 }
