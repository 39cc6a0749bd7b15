//go:build unix

package synth

import "syscall"

// CPUSeconds returns the user and system CPU time this process has used, in
// seconds (getrusage). Benchmarks report it per operation beside wall time,
// which on a shared machine measures the load as much as the code.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
