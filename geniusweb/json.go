package geniusweb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of JSON objects and arrays in a file.
const maxDepth = 64

// object is a JSON object with its keys in file order.
type object struct {
	keys []string
	vals map[string]json.RawMessage
}

// parseObject decodes data as one JSON object, keeping key order. It rejects
// duplicate keys, nesting deeper than maxDepth and trailing data.
func parseObject(data []byte, path string) (*object, error) {
	if err := checkDepth(data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: malformed JSON: %v", path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: want a JSON object, got %v", path, describe(tok))
	}
	o := &object{vals: map[string]json.RawMessage{}}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: malformed JSON: %v", path, err)
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s.%s: malformed JSON: %v", path, k, err)
		}
		if _, dup := o.vals[k]; dup {
			return nil, fmt.Errorf("%s: key %q appears twice", path, k)
		}
		o.keys = append(o.keys, k)
		o.vals[k] = raw
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s: malformed JSON: %v", path, err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("%s: data after the JSON object", path)
	}
	return o, nil
}

// checkDepth rejects JSON nested deeper than maxDepth before it is decoded.
func checkDepth(data []byte) error {
	depth, inStr, esc := 0, false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case inStr:
			if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return string(t)
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

// sub parses the value at key as an object.
func (o *object) sub(key, path string) (*object, error) {
	raw, ok := o.vals[key]
	if !ok {
		return nil, fmt.Errorf("%s: missing %q", path, key)
	}
	return parseObject(raw, path+"."+key)
}

// decimal reads a JSON number or a string holding a number (GeniusWeb writes
// BigDecimals both ways) as an exact rational and a float64.
func decimal(raw json.RawMessage, path string) (*big.Rat, float64, error) {
	s := strings.TrimSpace(string(raw))
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, 0, fmt.Errorf("%s: %v", path, err)
		}
		s = strings.TrimSpace(s)
	}
	if len(s) > 100 {
		return nil, 0, fmt.Errorf("%s: number %.20q… is too long", path, s)
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		if e, err := strconv.Atoi(s[i+1:]); err != nil || e > 400 || e < -400 {
			return nil, 0, fmt.Errorf("%s: %s is not a number in a usable range", path, s)
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/xXpP_") {
		return nil, 0, fmt.Errorf("%s: %s is not a number", path, s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, 0, fmt.Errorf("%s: %s is not a finite number", path, s)
	}
	return r, f, nil
}
