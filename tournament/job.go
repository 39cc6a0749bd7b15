package tournament

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Job is one negotiation of a tournament. It carries everything a worker on
// another machine needs besides the scenario itself (fetched by key), and
// its ID is a hash of all of it: the same job always has the same id, so
// results are stored once however often it runs.
type Job struct {
	ID          string        `json:"id"`
	Plan        string        `json:"plan"`
	Scenario    string        `json:"scenario"`     // scenario id, for reports
	ScenarioKey string        `json:"scenario_key"` // content hash of the scenario
	Protocol    string        `json:"protocol"`
	Strategies  []string      `json:"strategies"` // canonical spec per party, in party order
	Repetition  int           `json:"repetition"`
	Seed        uint64        `json:"seed"`
	Rounds      int           `json:"rounds"` // the protocol's deadline (texts for text-based protocols)
	MoveTime    time.Duration `json:"move_time"`
	JobTime     time.Duration `json:"job_time"`
	Trace       bool          `json:"trace"`
}

// content is what the id is a hash of: everything that decides the
// negotiation's outcome and what is recorded of it (not the plan).
type content struct {
	V           int           `json:"v"`
	ScenarioKey string        `json:"scenario_key"`
	Protocol    string        `json:"protocol"`
	Strategies  []string      `json:"strategies"`
	Repetition  int           `json:"repetition"`
	Seed        uint64        `json:"seed"`
	Rounds      int           `json:"rounds"`
	MoveTime    time.Duration `json:"move_time"`
	JobTime     time.Duration `json:"job_time"`
	Trace       bool          `json:"trace"`
}

// computeID returns the job's id: the first 128 bits of SHA-256 over its
// canonical JSON content, in hex.
func (j *Job) computeID() string {
	b, err := json.Marshal(content{1, j.ScenarioKey, j.Protocol, j.Strategies, j.Repetition, j.Seed, j.Rounds, j.MoveTime, j.JobTime, j.Trace})
	if err != nil {
		panic(err) // strings and numbers only
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// jobSeed derives a job's seed from the plan seed and what the job is, so
// that a job's seed does not depend on its position in the plan.
func jobSeed(plan uint64, scenarioKey, protocol string, strategies []string, rep int) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], plan)
	h.Write(b[:])
	for _, s := range append([]string{scenarioKey, protocol}, strategies...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	binary.LittleEndian.PutUint64(b[:], uint64(rep))
	h.Write(b[:])
	return binary.LittleEndian.Uint64(h.Sum(nil))
}
