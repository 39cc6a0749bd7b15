package genius

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const testDomain = `<negotiation_template>
<utility_space number_of_issues="3">
<objective index="0" name="root" type="objective" etype="objective">
  <issue index="1" name="color" type="discrete" vtype="discrete" etype="discrete">
    <item index="1" value="red" cost="0" description="deprecated, ignored"/>
    <item index="2" value="blue"/>
  </issue>
  <issue index="2" name="size" type="integer" vtype="integer" etype="integer" lowerbound="1" upperbound="5"/>
  <issue index="3" name="price" type="real" vtype="real" etype="real">
    <range lowerbound="0" upperbound="10"/>
  </issue>
</objective>
</utility_space>
</negotiation_template>`

const testProfile = `<utility_space>
<objective index="0" name="root" type="objective" etype="objective">
  <issue index="1" name="color" type="discrete" etype="discrete">
    <item index="1" value="red" evaluation="4"/>
    <item index="2" value="blue" evaluation="2"/>
  </issue>
  <issue index="2" name="size" type="integer" etype="integer" lowerbound="1" upperbound="5">
    <evaluator ftype="linear" slope="0.3" offset="0.1"/>
  </issue>
  <issue index="3" name="price" type="real" etype="real">
    <range lowerbound="0" upperbound="10"/>
    <evaluator ftype="linear" parameter0="1" parameter1="-0.1"/>
  </issue>
  <weight index="1" value="0.5"/>
  <weight index="2" value="0.5"/>
  <weight index="3" value="0.45"/>
</objective>
<discount_factor value="0"/>
<reservation value="0.25"/>
</utility_space>`

func TestParseFixture(t *testing.T) {
	s, err := Parse(File{"d.xml", []byte(testDomain)}, File{"p.xml", []byte(testProfile)})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Space.Size(); n != 2*5*RealSteps {
		t.Fatalf("%d outcomes", n)
	}
	p := s.Parties[0].Profile
	if p.Discount != 1 || p.Reservation != 0.25 || !p.CapAtOne {
		t.Errorf("discount %v reservation %v cap %v", p.Discount, p.Reservation, p.CapAtOne)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "weights sum to 1.45") {
		t.Errorf("warnings %q", s.Warnings)
	}
	tests := []struct {
		color, size, price string
		want               float64
	}{
		{"blue", "1", "10", 0.5*0.5 + 0.5*0.1 + 0},       // 2/4, 0.3·0+0.1, 1−1 clamped at 0
		{"blue", "2", "5", 0.5*0.5 + 0.5*0.4 + 0.45*0.5}, // 0.675
		{"red", "5", "0", 1},                             // 0.5+0.5+0.45 capped at 1
		{"blue", "5", "10", 0.5*0.5 + 0.5*1 + 0},         // 0.3·4+0.1 = 1.3 clamped to 1
	}
	for _, tc := range tests {
		o, err := s.Space.Parse(map[string]string{"color": tc.color, "size": tc.size, "price": tc.price})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Utility(o); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("U(%s,%s,%s) = %v, want %v", tc.color, tc.size, tc.price, got, tc.want)
		}
	}
	if n := p.Issues[2].Numeric; n == nil || math.Abs(n.At(2.5)-0.75) > 1e-15 {
		t.Errorf("off-grid price 2.5 not evaluated exactly")
	}
}

func TestParseErrors(t *testing.T) {
	rep := func(old, new string) string { return strings.Replace(testProfile, old, new, 1) }
	tests := []struct {
		name, domain, profile, want string
	}{
		{"negative evaluation", testDomain, rep(`evaluation="2"`, `evaluation="-0.2"`), `p.xml:5: <issue index="1" name="color">: evaluation -0.2 of value "blue" is negative`},
		{"NaN evaluation", testDomain, rep(`evaluation="2"`, `evaluation="NaN"`), `evaluation "NaN" of value "blue" is not a finite number`},
		{"missing evaluation", testDomain, rep(`evaluation="2"`, ``), `value "blue" of issue "color" has no evaluation`},
		{"negative weight", testDomain, rep(`value="0.45"`, `value="-1"`), `<weight index="3" value="-1">: weight -1 is negative`},
		{"missing weight", testDomain, rep(`<weight index="3" value="0.45"/>`, ``), `issue "price" (index 3) has no <issue> element with a <weight`},
		{"unknown issue", testDomain, rep(`<weight index="3" value="0.45"/>`, `<weight index="3" value="0.45"/><weight index="9" value="0.1"/>`), `weight for index 9, but the domain has no issue or objective with that index`},
		{"issue not in domain", testDomain, rep(`<issue index="3" name="price"`, `<issue index="7" name="price"`), `the domain has no issue with index 7`},
		{"kind mismatch", testDomain, rep(`type="integer" etype="integer" lowerbound`, `type="discrete" etype="discrete" lowerbound`), `evaluates issue "size" as discrete but the domain declares it integer`},
		{"faratin", testDomain, rep(`ftype="linear" parameter0`, `ftype="faratin" parameter0`), `evaluator type "faratin" is not supported`},
		{"doctype", testDomain, "<!DOCTYPE x [<!ENTITY a \"b\">]>" + testProfile, `DOCTYPE and entity declarations are not accepted`},
		{"entity", testDomain, rep(`value="blue"`, `value="&bomb;"`), `malformed XML`},
		{"deep", testDomain, strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1), `nested deeper than 64`},
		{"huge attribute", testDomain, rep(`value="blue"`, `value="`+strings.Repeat("x", MaxAttrLen+1)+`"`), `longer than 65536 bytes`},
		{"duplicate domain value", strings.Replace(testDomain, `value="blue"`, `value="red"`, 1), testProfile, `value "red" of issue "color" is already given on line 5`},
		{"duplicate issue index", strings.Replace(testDomain, `index="2" name="size"`, `index="1" name="size"`, 1), testProfile, `index 1 is already used`},
		{"inverted bounds", strings.Replace(testDomain, `upperbound="5"`, `upperbound="0"`, 1), testProfile, `upperbound 0 is below lowerbound 1`},
		{"not a profile", testDomain, testDomain, `the root element is not <utility_space>`},
		{"truncated", testDomain, testProfile[:200], `unexpected end of file inside <issue>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(File{"d.xml", []byte(tc.domain)}, File{"p.xml", []byte(tc.profile)})
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			var ge *Error
			if !errors.As(err, &ge) || (ge.File != "p.xml" && ge.File != "d.xml") {
				t.Errorf("error %T does not name the file", err)
			}
		})
	}
}

func TestMarshalRoundTripCorpusStyle(t *testing.T) {
	s, err := Parse(File{"d.xml", []byte(testDomain)}, File{"p.xml", []byte(testProfile)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Lossy) != 0 {
		t.Errorf("lossy %q", out.Lossy)
	}
	back, err := Parse(File{"d.xml", out.Domain}, File{"p.xml", out.Profiles[0]})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.Profiles[0])
	}
	if back.Space.Issues[1].Kind != s.Space.Issues[1].Kind || back.Space.Issues[2].Kind != s.Space.Issues[2].Kind {
		t.Errorf("numeric issues changed kind")
	}
	o := s.Space.New()
	for {
		if a, b := s.Parties[0].Profile.Utility(o), back.Parties[0].Profile.Utility(o); math.Abs(a-b) > 1e-12 {
			t.Fatalf("outcome %v: %v became %v", s.Space.Map(o), a, b)
		}
		if !s.Space.Next(o) {
			break
		}
	}
}
