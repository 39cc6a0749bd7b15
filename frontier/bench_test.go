package frontier

import (
	"context"
	"fmt"
	"testing"
)

func BenchmarkAnalyze(b *testing.B) {
	for _, tc := range []struct{ issues, values int }{{10, 10}, {30, 10}, {100, 10}} {
		b.Run(fmt.Sprintf("%dx%d", tc.issues, tc.values), func(b *testing.B) {
			sp, ps := randomLinear(b, 1, tc.issues, tc.values, 2)
			b.ReportAllocs()
			var pts int
			for b.Loop() {
				a, err := Analyze(sp, ps, Options{})
				if err != nil {
					b.Fatal(err)
				}
				pts = a.Frontier.Len()
			}
			b.ReportMetric(float64(pts), "points")
		})
	}
}

func BenchmarkEnumerate(b *testing.B) {
	for _, ni := range []int{3, 4, 5, 6} {
		b.Run(fmt.Sprintf("%dx10", ni), func(b *testing.B) {
			sp, ps := randomLinear(b, 1, ni, 10, 2)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Enumerate(sp, ps[0], ps[1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSkyline(b *testing.B) {
	for _, tc := range []struct{ issues, parties int }{{6, 3}, {6, 5}, {7, 3}} {
		b.Run(fmt.Sprintf("1e%d/%dparties", tc.issues, tc.parties), func(b *testing.B) {
			sp, ps := randomLinear(b, 1, tc.issues, 10, tc.parties)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Skyline(context.Background(), sp, ps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
