package geniusweb

import (
	"math"
	"strings"
	"testing"
)

const testDomain = `{"name": "d", "issuesValues": {
  "color": {"values": ["red", "blue"]},
  "size": {"range": {"low": 1, "high": 5, "step": 1}},
  "price": {"range": {"low": "0.5", "high": "1.5", "step": "0.25"}}}}`

const testProfile = `{"LinearAdditiveUtilitySpace": {
  "issueUtilities": {
    "color": {"discreteutils": {"valueUtilities": {"red": 0.25, "blue": 1}}},
    "size": {"NumberValueSetUtilities": {"lowValue": 1, "lowUtility": 0.2, "highValue": 5, "highUtility": 1}},
    "price": {"DiscreteValueSetUtilities": {"valueUtilities": {"0.5": 1, "0.75": 0.5, "1": 0.25, "1.25": 0, "1.5": 0}}}},
  "issueWeights": {"color": 0.5, "size": 0.3, "price": "0.2"},
  "name": "buyer",
  "reservationBid": {"issuevalues": {"color": "red", "size": 2, "price": "1.25"}}}}`

func TestParseFixture(t *testing.T) {
	_, err := Parse(File{"d.json", []byte(testDomain)}, File{"p.json", []byte(testProfile)})
	if err == nil || !strings.Contains(err.Error(), `issue "price" is a number range, not a value set`) {
		t.Fatalf("want a value-set/range mismatch error, got %v", err)
	}
	prof := strings.Replace(testProfile, `"price": {"DiscreteValueSetUtilities": {"valueUtilities": {"0.5": 1, "0.75": 0.5, "1": 0.25, "1.25": 0, "1.5": 0}}}`,
		`"price": {"numberutils": {"lowValue": 0.5, "lowUtility": 1, "highValue": 1.5, "highUtility": 0}}`, 1)
	s, err := Parse(File{"d.json", []byte(testDomain)}, File{"p.json", []byte(prof)})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Space.Issues[2].Values, ","); got != "0.5,0.75,1,1.25,1.5" {
		t.Errorf("price grid %s", got)
	}
	p := s.Parties[0].Profile
	if s.Parties[0].ID != "buyer" || p.CapAtOne {
		t.Errorf("id %q cap %v", s.Parties[0].ID, p.CapAtOne)
	}
	o, err := s.Space.Parse(map[string]string{"color": "red", "size": "2", "price": "1.25"})
	if err != nil {
		t.Fatal(err)
	}
	want := 0.5*0.25 + 0.3*(0.2+0.2) + 0.2*0.25
	if u := p.Utility(o); math.Abs(u-want) > 1e-12 || math.Abs(p.Reservation-want) > 1e-12 {
		t.Errorf("utility %v reservation %v, want %v", u, p.Reservation, want)
	}
	if m := ReservationBid(s, "buyer"); m["price"] != "1.25" {
		t.Errorf("reservation bid %v", m)
	}
}

func TestParseErrors(t *testing.T) {
	fix := strings.Replace(testProfile, `"price": {"DiscreteValueSetUtilities": {"valueUtilities": {"0.5": 1, "0.75": 0.5, "1": 0.25, "1.25": 0, "1.5": 0}}}`,
		`"price": {"numberutils": {"lowValue": 0.5, "lowUtility": 1, "highValue": 1.5, "highUtility": 0}}`, 1)
	r := func(old, new string) string { return strings.Replace(fix, old, new, 1) }
	tests := []struct{ name, domain, profile, want string }{
		{"negative weight", testDomain, r(`"color": 0.5`, `"color": -0.5`), `issueWeights.color: weight -0.5 is negative`},
		{"utility above 1", testDomain, r(`"blue": 1`, `"blue": 1.5`), `valueUtilities.blue: utility 1.5 is outside [0,1]`},
		{"unknown value", testDomain, r(`"blue": 1`, `"green": 1`), `issue "color" has no value "green"`},
		{"missing value", testDomain, r(`, "blue": 1`, ``), `no utility for value "blue"`},
		{"unknown issue", testDomain, r(`"size": 0.3`, `"sizes": 0.3`), `the domain has no issue "sizes"`},
		{"duplicate key", testDomain, r(`"red": 0.25`, `"red": 0.25, "red": 0.3`), `key "red" appears twice`},
		{"NaN", testDomain, r(`"size": 0.3`, `"size": "NaN"`), `is not a number`},
		{"bad bid", testDomain, r(`"color": "red", "size"`, `"color": "green", "size"`), `unknown value "green"`},
		{"deep", testDomain, strings.Repeat("[", 100) + strings.Repeat("]", 100), `nested deeper than 64`},
		{"huge exponent", testDomain, r(`"size": 0.3`, `"size": "1e999999999"`), `usable range`},
		{"huge weight", testDomain, r(`"size": 0.3`, `"size": 1e308`), `weights sum to 1e+308`},
		{"infinite weights", testDomain, strings.NewReplacer(`"color": 0.5`, `"color": 1e308`, `"size": 0.3`, `"size": 1e308`).Replace(fix), `weights sum to +Inf`},
		{"duplicate domain value", strings.Replace(testDomain, `"blue"]`, `"red"]`, 1), fix, `value "red" appears twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(File{"d.json", []byte(tc.domain)}, File{"p.json", []byte(tc.profile)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(testDomain), []byte(testProfile))
	f.Fuzz(func(t *testing.T, domain, profile []byte) {
		s, err := Parse(File{"d.json", domain}, File{"p.json", profile})
		if err != nil {
			return
		}
		if u := s.Parties[0].Profile.Utility(s.Space.New()); u != u {
			t.Fatal("utility NaN")
		}
	})
}
