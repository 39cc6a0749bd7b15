package genius

import (
	"testing"
)

// FuzzParse feeds arbitrary domain and profile files to the reader: it must
// return a scenario or an error, never panic, and a scenario it returns must
// evaluate its first outcome to a number.
func FuzzParse(f *testing.F) {
	f.Add([]byte(testDomain), []byte(testProfile))
	f.Add([]byte(testDomain), []byte(`<utility_space type="nonlinear"><objective index="0"><utility maxutility="10"><ufun weight="1" aggregation="sum"><hyperRectangle utility="5"><INCLUDES index="2" min="1" max="3"/></hyperRectangle></ufun></utility></objective></utility_space>`))
	f.Fuzz(func(t *testing.T, domain, profile []byte) {
		s, err := Parse(File{"d.xml", domain}, File{"p.xml", profile})
		if err != nil {
			return
		}
		u := s.Parties[0].Profile.Utility(s.Space.New())
		if u != u {
			t.Fatalf("utility NaN")
		}
	})
}
