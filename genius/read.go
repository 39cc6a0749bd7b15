// Package genius reads and writes the XML scenarios of GENIUS 10.4 (the
// ANAC 2010–2018 format): one domain file (the issues and their values) and
// one profile file per party (weights and evaluations).
//
// Reading reproduces GENIUS 10.4's own evaluation exactly (see ParseProfile
// and docs/formats.md), including its quirks: weights are not renormalised,
// discrete evaluations are divided by their issue's maximum, utilities are
// capped at 1. Profiles read here carry Semantics preference.Genius.
// Writing turns a scenario into a domain file and one profile per party and
// lists what GENIUS cannot express.
package genius

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/backchannel/backchannel/preference"
	"github.com/backchannel/backchannel/scenario"
)

// File is the name and content of one file of a scenario.
type File struct {
	Name string // used in errors and for party ids (the base name without .xml)
	Data []byte
}

// ReadFile reads path into a File, refusing files over MaxFileSize.
func ReadFile(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return File{}, &Error{File: filepath.Base(path), Problem: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}
	}
	return File{Name: filepath.Base(path), Data: data}, nil
}

// Read reads the GENIUS domain at domainPath and the profiles at
// profilePaths, in that order, into a scenario (see Parse). Source is set
// to the domain's path.
func Read(domainPath string, profilePaths ...string) (*scenario.Scenario, error) {
	dom, err := ReadFile(domainPath)
	if err != nil {
		return nil, err
	}
	profs := make([]File, len(profilePaths))
	for i, p := range profilePaths {
		if profs[i], err = ReadFile(p); err != nil {
			return nil, err
		}
	}
	s, err := Parse(dom, profs...)
	if err != nil {
		return nil, err
	}
	s.Source = domainPath
	return s, nil
}

// Parse builds a scenario from a GENIUS domain and its profiles: one party per
// profile, in the order given, with id and name the profile's base name
// (made unique with a -2, -3 … suffix when a file is given twice). Format is
// "genius"; Warnings holds every quirk GENIUS would apply silently.
// Errors are *Error values naming the file and element.
func Parse(domain File, profiles ...File) (*scenario.Scenario, error) {
	d, err := ParseDomain(domain.Data, domain.Name)
	if err != nil {
		return nil, err
	}
	s := &scenario.Scenario{
		ID:     d.Name,
		Title:  d.Name,
		Format: "genius",
		Space:  d.Space,
	}
	ids := map[string]int{}
	for _, pf := range profiles {
		p, warns, err := ParseProfile(pf.Data, pf.Name, d)
		if err != nil {
			return nil, err
		}
		id := strings.TrimSuffix(baseName(pf.Name), ".xml")
		ids[id]++
		if n := ids[id]; n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		p.Name = id
		s.Parties = append(s.Parties, &scenario.Party{ID: id, Name: id, Profile: p})
		s.Warnings = append(s.Warnings, warns...)
	}
	return s, nil
}

// compile-time check that Nonlinear is a preference.Func.
var _ preference.Func = (*Nonlinear)(nil)

// ReadDir reads the GENIUS scenario in folder dir: the one file whose root
// has a <utility_space> child is the domain, every file whose root is
// <utility_space> is a profile, in file-name order. Other files (notes,
// pareto.xml lists, tournament set-ups, non-XML files) are skipped. It
// returns an error if the folder holds no domain, more than one, or no
// profile.
func ReadDir(dir string) (*scenario.Scenario, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var doms []File
	var profs []File
	var ignored []string
	for _, e := range ents {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".xml") {
			continue
		}
		f, err := ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		root, err := parseXML(f.Data, f.Name)
		if err != nil {
			// A file that starts like XML (or is empty) is a damaged domain
			// or profile; other text (GENIUS's pareto.xml lists numbers)
			// is not part of the scenario.
			if t := bytes.TrimLeft(bytes.TrimPrefix(f.Data, []byte("\xef\xbb\xbf")), " \t\r\n"); len(t) == 0 || t[0] == '<' {
				return nil, fmt.Errorf("%w (every XML file in a GENIUS folder is read as its domain or a profile: repair it or move it out)", err)
			}
			ignored = append(ignored, f.Name+": ignored: not XML, so neither a GENIUS domain nor a profile")
			continue
		}
		switch {
		case root.child("utility_space") != nil:
			doms = append(doms, f)
		case root.name == "utility_space":
			profs = append(profs, f)
		default:
			ignored = append(ignored, fmt.Sprintf("%s: ignored: an XML file that is neither a GENIUS domain nor a profile (root <%s>)", f.Name, root.name))
		}
	}
	switch {
	case len(doms) == 0:
		return nil, fmt.Errorf("%s: no GENIUS domain file (an XML file whose root holds <utility_space>)", dir)
	case len(doms) > 1:
		names := make([]string, len(doms))
		for i, d := range doms {
			names[i] = d.Name
		}
		return nil, fmt.Errorf("%s: %d domain files (%s); name the domain and profiles explicitly", dir, len(doms), strings.Join(names, ", "))
	case len(profs) == 0:
		return nil, fmt.Errorf("%s: domain %s but no profile (an XML file whose root is <utility_space>)", dir, doms[0].Name)
	}
	s, err := Parse(doms[0], profs...)
	if err != nil {
		return nil, err
	}
	s.Source = dir
	s.Warnings = append(s.Warnings, ignored...)
	return s, nil
}
