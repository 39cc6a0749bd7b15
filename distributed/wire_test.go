package distributed

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/tournament"
)

func sampleJob() tournament.Job {
	return tournament.Job{ID: "0123456789abcdef0123456789abcdef", Plan: "plan-1", Scenario: "iran-us/post-strike",
		ScenarioKey: "fedcba9876543210", Protocol: "single-text/annealer", Strategies: []string{"boulware:e=0.1", "tft-relative"},
		Repetition: 3, Seed: math.MaxUint64 - 7, Rounds: 1000, MoveTime: time.Second, JobTime: -1, Trace: true}
}

func sampleResult() store.Result {
	return store.Result{JobID: "0123456789abcdef0123456789abcdef", Plan: "plan-1", Scenario: "bench03", ScenarioKey: "fedcba98",
		Protocol: "sao", Roles: []string{"iran", "us"}, Strategies: []string{"boulware", "linear"}, Repetition: 9, Seed: 1 << 60,
		Status: "agreement", Agreement: map[string]string{"sanctions": "phased", "enrichment": "3.67%", "": "ünïcode"},
		Utilities: []float64{0.71, -0.25}, Welfare: 0.46, ParetoDistance: math.NaN(), NashDistance: math.Inf(1),
		Rounds: 480, Steps: 961, Elapsed: 512 * time.Microsecond, Fault: "move took 2s", FaultRole: "us",
		FaultStrategy: "linear", Trace: []byte("{\"t\":0}\n"), Worker: "host:42"}
}

// equalResults compares field by field, NaN equal to NaN.
func equalResults(t *testing.T, got, want store.Result) {
	t.Helper()
	nan := func(f *float64) {
		if math.IsNaN(*f) {
			*f = -12345.678
		}
	}
	for _, r := range []*store.Result{&got, &want} {
		nan(&r.Welfare)
		nan(&r.ParetoDistance)
		nan(&r.NashDistance)
		for i := range r.Utilities {
			nan(&r.Utilities[i])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the result:\n got %+v\nwant %+v", got, want)
	}
}

func TestWireRoundTrip(t *testing.T) {
	j := sampleJob()
	got, err := decodeJob(encodeJob(&j))
	if err != nil || !reflect.DeepEqual(got, j) {
		t.Fatalf("job round trip: %v\n got %+v\nwant %+v", err, got, j)
	}
	r := sampleResult()
	back, err := decodeResult(encodeResult(&r))
	if err != nil {
		t.Fatal(err)
	}
	equalResults(t, back, r)

	// A group of results comes back whole and in order.
	group := appendGroupHeader(nil)
	var want []store.Result
	for i := range 3 {
		r := sampleResult()
		r.JobID = strings.Repeat("x", i+1)
		want = append(want, r)
		group = appendGroupResult(group, &r)
	}
	rs, err := decodeResults(group)
	if err != nil || len(rs) != 3 {
		t.Fatalf("group of 3: %d results, %v", len(rs), err)
	}
	for i := range rs {
		equalResults(t, rs[i], want[i])
	}

	// nil and empty are kept apart where the store tells them apart.
	empty := store.Result{JobID: "x", Agreement: map[string]string{}}
	back, err = decodeResult(encodeResult(&empty))
	if err != nil || back.Agreement == nil || len(back.Agreement) != 0 {
		t.Fatalf("empty agreement came back as %#v (%v)", back.Agreement, err)
	}
	none := store.Result{JobID: "x", Status: "no agreement"}
	back, err = decodeResult(encodeResult(&none))
	if err != nil || back.Agreement != nil || back.Trace != nil || back.Utilities != nil {
		t.Fatalf("nil fields came back non-nil: %+v (%v)", back, err)
	}
}

// TestWireCoversEveryField fails when a field is added to Job or Result
// without being added to the codec: every field is set to a non-zero value
// by reflection and must survive the round trip.
func TestWireCoversEveryField(t *testing.T) {
	fill := func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString("s" + v.Type().Field(i).Name)
			case reflect.Int, reflect.Int64:
				f.SetInt(int64(7 + i))
			case reflect.Uint64:
				f.SetUint(uint64(11 + i))
			case reflect.Float64:
				f.SetFloat(0.5 + float64(i))
			case reflect.Bool:
				f.SetBool(true)
			case reflect.Slice:
				switch f.Type().Elem().Kind() {
				case reflect.String:
					f.Set(reflect.ValueOf([]string{"a", v.Type().Field(i).Name}))
				case reflect.Float64:
					f.Set(reflect.ValueOf([]float64{0.25, 0.75}))
				case reflect.Uint8:
					f.Set(reflect.ValueOf([]byte("trace")))
				default:
					t.Fatalf("field %s: codec test does not know %s", v.Type().Field(i).Name, f.Type())
				}
			case reflect.Map:
				f.Set(reflect.ValueOf(map[string]string{"issue": "value"}))
			default:
				t.Fatalf("field %s: codec test does not know %s", v.Type().Field(i).Name, f.Type())
			}
		}
	}
	var j tournament.Job
	fill(reflect.ValueOf(&j).Elem())
	if got, err := decodeJob(encodeJob(&j)); err != nil || !reflect.DeepEqual(got, j) {
		t.Fatalf("a Job field is not carried by the wire codec (distributed/wire.go):\n got %+v\nwant %+v (%v)", got, j, err)
	}
	var r store.Result
	fill(reflect.ValueOf(&r).Elem())
	if got, err := decodeResult(encodeResult(&r)); err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("a Result field is not carried by the wire codec (distributed/wire.go):\n got %+v\nwant %+v (%v)", got, r, err)
	}
}

func TestWireRejectsMalformed(t *testing.T) {
	j := sampleJob()
	job := encodeJob(&j)
	r := sampleResult()
	res := encodeResult(&r)
	jsonJob, _ := json.Marshal(j)
	for _, c := range []struct {
		name string
		data []byte
		dec  func([]byte) error
		want string
	}{
		{"empty", nil, jobErr, "not a backchannel job message"},
		{"json job", jsonJob, jobErr, "not a backchannel job message"},
		{"result as job", res, jobErr, "not a backchannel job message"},
		{"job as result", job, resErr, "not a backchannel result message"},
		{"future version", append([]byte{kindJob, 9}, job[2:]...), jobErr, "unknown wire version 9"},
		{"truncated job", job[:len(job)-3], jobErr, "job: field"},
		{"trailing bytes", append(append([]byte{}, job...), 0), jobErr, "1 bytes after the last field"},
		{"truncated float", res[:60], resErr, "result: field"},
		{"huge length", []byte{kindJob, wireV1, 0xff, 0xff, 0xff, 0xff, 0x0f}, jobErr, "field id: length 4294967295 beyond the 0 bytes left"},
		{"empty group", appendGroupHeader(nil), groupErr, "results: empty group"},
		{"single result as group", res, groupErr, "not a backchannel results message"},
		{"bad result in group", appendGroupResult(appendGroupHeader(nil), &store.Result{})[:5], groupErr, "results: field result: length"},
		{"bad bool", append(append([]byte{}, job[:len(job)-1]...), 7), jobErr, "field trace: bad bool"},
	} {
		err := c.dec(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
	}
}

func jobErr(b []byte) error   { _, err := decodeJob(b); return err }
func resErr(b []byte) error   { _, err := decodeResult(b); return err }
func groupErr(b []byte) error { _, err := decodeResults(b); return err }

// FuzzDecode feeds arbitrary bytes to both decoders: they must not panic,
// and what they accept must encode back to the same bytes (except for the
// order of the agreement's keys, which the encoder sorts).
func FuzzDecode(f *testing.F) {
	j := sampleJob()
	r := sampleResult()
	f.Add(encodeJob(&j))
	f.Add(encodeResult(&r))
	f.Add([]byte{kindResult, wireV1})
	f.Add(appendGroupResult(appendGroupResult(appendGroupHeader(nil), &r), &r))
	f.Fuzz(func(t *testing.T, data []byte) {
		if j, err := decodeJob(data); err == nil {
			if again, err := decodeJob(encodeJob(&j)); err != nil || !reflect.DeepEqual(again, j) {
				t.Fatalf("job %+v does not survive a second round trip: %+v (%v)", j, again, err)
			}
		}
		if r, err := decodeResult(data); err == nil {
			again, err := decodeResult(encodeResult(&r))
			if err != nil {
				t.Fatalf("result %+v does not encode back: %v", r, err)
			}
			equalResults(t, again, r)
		}
		if rs, err := decodeResults(data); err == nil {
			b := appendGroupHeader(nil)
			for i := range rs {
				b = appendGroupResult(b, &rs[i])
			}
			again, err := decodeResults(b)
			if err != nil || len(again) != len(rs) {
				t.Fatalf("group of %d does not encode back: %d, %v", len(rs), len(again), err)
			}
			for i := range rs {
				equalResults(t, again[i], rs[i])
			}
		}
	})
}

func BenchmarkWire(b *testing.B) {
	j := sampleJob()
	r := sampleResult()
	r.Trace = nil
	b.Run("binary", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeJob(encodeJob(&j)); err != nil {
				b.Fatal(err)
			}
			if _, err := decodeResult(encodeResult(&r)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) { // what the queue used before, for comparison
		r.ParetoDistance, r.NashDistance = 0.1, 0.2
		for b.Loop() {
			data, _ := json.Marshal(&j)
			var j2 tournament.Job
			if err := json.Unmarshal(data, &j2); err != nil {
				b.Fatal(err)
			}
			data, _ = json.Marshal(&r)
			var r2 store.Result
			if err := json.Unmarshal(data, &r2); err != nil {
				b.Fatal(err)
			}
		}
	})
}
