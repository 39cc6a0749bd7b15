package strategy

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSpec reads a strategy spec written NAME or NAME:KEY=VALUE:KEY=VALUE
// (as 'backchannel run --parties' and the server's seats take it) and
// returns a fresh agent of it. The error names the spec and what is wrong.
func ParseSpec(spec string) (*Agent, error) {
	fields := strings.Split(strings.TrimSpace(spec), ":")
	var params map[string]float64
	for _, kv := range fields[1:] {
		k, v, ok := strings.Cut(kv, "=")
		x, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("strategy %q: parameter %q must be KEY=NUMBER", spec, kv)
		}
		if params == nil {
			params = map[string]float64{}
		}
		params[k] = x
	}
	return New(fields[0], params)
}
