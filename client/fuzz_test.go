package client

import "testing"

// FuzzDecodeMessage: any stream line decodes to exactly one message or an
// error, never a panic.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{`{"type":"snapshot","seq":3,"events":[{"type":"event","seq":1}]}`, `{"type":"turn","step":2,"request":{"kind":"vote"}}`,
		`{"type":"event","outcome":{"a":"b"}}`, `{"type":"end","status":"agreement"}`, `{"type":"x"}`, `[]`, `{"type":"turn","step":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := DecodeMessage(line)
		if err != nil {
			return
		}
		n := 0
		for _, set := range []bool{m.Snapshot != nil, m.Event != nil, m.Turn != nil, m.End != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%q decoded to %d messages", line, n)
		}
	})
}
