package distributed

import (
	"encoding/json"
	"math"

	"github.com/backchannel/backchannel/store"
)

// wire is a result on the results stream: JSON cannot hold NaN, so the
// figures that may be unknown travel as null.
type wire struct {
	store.Result
	Welfare        *float64
	ParetoDistance *float64
	NashDistance   *float64
}

func orNil(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func encodeResult(r *store.Result) ([]byte, error) {
	return json.Marshal(wire{Result: *r, Welfare: orNil(r.Welfare), ParetoDistance: orNil(r.ParetoDistance), NashDistance: orNil(r.NashDistance)})
}

func decodeResult(data []byte) (store.Result, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return store.Result{}, err
	}
	r := w.Result
	r.Welfare, r.ParetoDistance, r.NashDistance = orNaN(w.Welfare), orNaN(w.ParetoDistance), orNaN(w.NashDistance)
	return r, nil
}
