// Package load opens a scenario in any format backchannel reads — native
// YAML/JSON, GENIUS XML, GeniusWeb JSON — detecting the format from the
// files' content, and implements the convert and evaluate commands on top.
package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/backchannel/backchannel/genius"
	"github.com/backchannel/backchannel/geniusweb"
	"github.com/backchannel/backchannel/scenario"
)

// Scenario opens the scenario named by args:
//
//   - one folder: a GENIUS scenario (one domain XML and its profile XMLs) or
//     a GeniusWeb scenario (one domain JSON and its profile JSONs); the
//     profiles become the parties in file-name order;
//   - one file: a native scenario (YAML or JSON, see scenario.Load) or a
//     single GeniusWeb profile with its embedded domain (one party);
//   - a list DOMAIN PROFILE PROFILE…: a GENIUS or GeniusWeb domain followed
//     by the profiles that become the parties, in that order (GeniusWeb
//     profiles alone work too, their embedded domain is used).
//
// The format is detected from the content, not the file name. Errors name
// the file and what to do.
func Scenario(args ...string) (*scenario.Scenario, error) {
	switch len(args) {
	case 0:
		return nil, errors.New("no scenario given: name a scenario file, a folder, or a domain followed by its profiles")
	case 1:
		st, err := os.Stat(args[0])
		if err != nil {
			return nil, fmt.Errorf("open scenario: %w", err)
		}
		if st.IsDir() {
			return folder(args[0])
		}
		return single(args[0])
	}
	return list(args)
}

// kind names what a file holds.
type kind int

const (
	unknown kind = iota
	geniusDomain
	geniusProfile
	webDomain
	webProfile
)

func sniff(data []byte) kind {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(t) > 0 && t[0] == '<':
		switch {
		case genius.IsDomain(data):
			return geniusDomain
		case genius.IsProfile(data):
			return geniusProfile
		}
	case len(t) > 0 && t[0] == '{':
		switch {
		case geniusweb.IsDomain(data):
			return webDomain
		case geniusweb.IsProfile(data):
			return webProfile
		}
	}
	return unknown
}

func readHead(path string) ([]byte, error) {
	f, err := geniusweb.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Data, nil
}

func folder(dir string) (*scenario.Scenario, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var xmlFiles, webDomains, webProfiles, ignored []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".xml":
			xmlFiles = append(xmlFiles, p)
		case ".json":
			data, err := readHead(p)
			if err != nil {
				return nil, err
			}
			switch sniff(data) {
			case webDomain:
				webDomains = append(webDomains, p)
			case webProfile:
				webProfiles = append(webProfiles, p)
			default:
				if t := bytes.TrimSpace(data); (len(t) == 0 || t[0] == '{') && !json.Valid(data) {
					_, err := geniusweb.Read("", p)
					if err == nil {
						err = fmt.Errorf("%s: not valid JSON", p)
					}
					return nil, fmt.Errorf("%w (every .json file in a scenario folder is read as its domain or a profile: repair it or move it out)", err)
				}
				ignored = append(ignored, e.Name()+": ignored: JSON that is neither a GeniusWeb domain nor a profile")
			}
		}
	}
	switch {
	case len(xmlFiles) > 0 && len(webProfiles) == 0:
		return genius.ReadDir(dir)
	case len(webProfiles) > 0 && len(xmlFiles) == 0:
		if len(webDomains) > 1 {
			return nil, fmt.Errorf("%s: %d GeniusWeb domain files; name the domain and profiles explicitly", dir, len(webDomains))
		}
		dom := ""
		if len(webDomains) == 1 {
			dom = webDomains[0]
		}
		s, err := geniusweb.Read(dom, webProfiles...)
		if err != nil {
			return nil, err
		}
		s.Source = dir
		s.Warnings = append(s.Warnings, ignored...)
		return s, nil
	case len(webProfiles) > 0:
		return nil, fmt.Errorf("%s: holds both GENIUS XML and GeniusWeb JSON profiles; name the domain and profiles explicitly", dir)
	}
	return nil, fmt.Errorf("%s: no GENIUS or GeniusWeb scenario files in this folder (give a scenario file, or a folder with a domain and its profiles)", dir)
}

func single(path string) (*scenario.Scenario, error) {
	data, err := readHead(path)
	if err != nil {
		return nil, err
	}
	switch sniff(data) {
	case webProfile:
		return geniusweb.Read("", path)
	case webDomain, geniusDomain:
		return nil, fmt.Errorf("%s is a domain without profiles: give the folder, or the domain followed by its profile files", path)
	case geniusProfile:
		return nil, fmt.Errorf("%s is a GENIUS profile: give its domain file first, then the profiles (or the folder)", path)
	}
	return scenario.Load(path)
}

func list(args []string) (*scenario.Scenario, error) {
	data, err := readHead(args[0])
	if err != nil {
		return nil, err
	}
	switch sniff(data) {
	case geniusDomain:
		return genius.Read(args[0], args[1:]...)
	case webDomain:
		return geniusweb.Read(args[0], args[1:]...)
	case webProfile:
		return geniusweb.Read("", args...)
	case geniusProfile:
		return nil, fmt.Errorf("%s is a GENIUS profile: the domain file comes first", args[0])
	}
	return nil, fmt.Errorf("%s is neither a GENIUS nor a GeniusWeb domain; a list of files is DOMAIN PROFILE PROFILE…", args[0])
}
