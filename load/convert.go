package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/geniusweb"
	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// Convert writes s in format to ("native", "genius" or "geniusweb") at
// outPath and returns, one sentence each, what the target format could not
// keep. A native scenario is one file (JSON when outPath ends in .json, YAML
// otherwise); GENIUS and GeniusWeb scenarios are a folder of files.
//
// Every outcome keeps its utility for every party: GENIUS profiles going to
// native or GeniusWeb get their weights divided by their sum and their
// (already maximum-rescaled) evaluations multiplied by it; native profiles
// going to GENIUS get their discrete evaluations divided by the issue's
// maximum and weights multiplied by it. What cannot be kept (red lines and
// rules in GENIUS, discounts in GeniusWeb, GENIUS's cap where it binds,
// non-linear profiles outside GENIUS) is in the returned list, or an error
// when nothing sensible can be written.
func Convert(s *scenario.Scenario, to, outPath string) ([]string, error) {
	switch to {
	case "native":
		n, lossy, err := Native(s)
		if err != nil {
			return nil, err
		}
		format := "yaml"
		if strings.EqualFold(filepath.Ext(outPath), ".json") {
			format = "json"
		}
		data, err := scenario.Marshal(n, format)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(outPath, data, 0o644); err != nil {
			return nil, err
		}
		return lossy, nil
	case "genius":
		_, lossy, err := genius.Write(s, outPath)
		return lossy, err
	case "geniusweb":
		_, lossy, err := geniusweb.Write(s, outPath)
		return lossy, err
	}
	return nil, fmt.Errorf("unknown format %q (want native, genius or geniusweb)", to)
}

// Native returns s with every profile in the native reading (weights summing
// to 1, evaluations in [0,1], no cap), keeping utilities, and what could not
// be kept. Native profiles are returned unchanged.
func Native(s *scenario.Scenario) (*scenario.Scenario, []string, error) {
	c := *s
	c.Format = "native"
	c.Parties = make([]*scenario.Party, len(s.Parties))
	var lossy []string
	for i, p := range s.Parties {
		q := *p
		if p.Profile == nil {
			return nil, nil, fmt.Errorf("party %q has no profile", p.ID)
		}
		if p.Profile.Custom != nil {
			return nil, nil, fmt.Errorf("party %q: non-linear profiles cannot be written in the native format (keep them as GENIUS XML)", p.ID)
		}
		if p.Profile.Semantics != preference.Native {
			np, l := geniusweb.Normalised(s.Space, p.ID, p.Profile)
			np.Semantics = preference.Native
			np.RedLines = p.Profile.RedLines
			np.Discount = p.Profile.Discount
			if err := np.Prepare(s.Space); err != nil {
				return nil, nil, err
			}
			for _, x := range l {
				if !strings.Contains(x, "discount") && !strings.Contains(x, "red lines") {
					lossy = append(lossy, x)
				}
			}
			q.Profile = np
		}
		c.Parties[i] = &q
	}
	return &c, lossy, nil
}
