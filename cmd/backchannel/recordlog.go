package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/record/tlog"
)

// 'backchannel record verify' of a session log (docs/commitments.md): the
// file a server's GET {link}/log answers with, checked offline, with any
// receipts against it and against each other.

// isSessionLog reports whether data is a session log export rather than a
// trace.
func isSessionLog(data []byte) bool {
	var head struct {
		Format string `json:"format"`
	}
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) && json.Unmarshal(data, &head) == nil && head.Format == api.LogFormat
}

// logReport is the outcome of verifying a session log, --json's shape.
type logReport struct {
	File       string          `json:"file"`
	OK         bool            `json:"ok"`
	Error      string          `json:"error,omitempty"`
	Alarm      string          `json:"alarm,omitempty"` // fork, signature, inclusion, entry
	Session    string          `json:"session,omitempty"`
	Key        string          `json:"key,omitempty"`
	Size       int64           `json:"size"`
	Root       string          `json:"root,omitempty"`
	Opened     int             `json:"opened"`
	Moves      int             `json:"moves"`
	Events     int             `json:"events"`
	Receipts   []receiptReport `json:"receipts,omitempty"`
	Agreement  *agreementCheck `json:"agreement,omitempty"`
	SplitViews []string        `json:"split_views,omitempty"`
}

type receiptReport struct {
	File  string `json:"file"`
	OK    bool   `json:"ok"`
	Leaf  int64  `json:"leaf"`
	Size  int64  `json:"size"`
	Entry string `json:"entry,omitempty"`
	Error string `json:"error,omitempty"`
}

// verifySessionLog checks the log in data (from path), then each receipt
// file against it and every two receipts against each other. want, if not
// nil, is the public key the log must be signed by.
func verifySessionLog(w io.Writer, path string, data []byte, want ed25519.PublicKey, receipts, checkpoints []string, agreement string, asJSON bool) error {
	rep := &logReport{File: path}
	err := checkSessionLog(rep, data, want, receipts, checkpoints, agreement)
	if err != nil {
		rep.Error = err.Error()
		var a *tlog.Alarm
		if errors.As(err, &a) {
			rep.Alarm = a.Kind
		}
	}
	rep.OK = err == nil
	if asJSON {
		if werr := writeJSON(w, rep); werr != nil {
			return werr
		}
	} else if err == nil {
		fmt.Fprintf(w, "%s: intact session log of session %s: %d leaves (%d moves, %d events), %d opened, root %s, signed by %s\n",
			path, rep.Session, rep.Size, rep.Moves, rep.Events, rep.Opened, rep.Root, rep.Key)
		for _, r := range rep.Receipts {
			fmt.Fprintf(w, "%s: receipt for leaf %d, in the log (checkpoint of %d leaves is a prefix of it): %s\n", r.File, r.Leaf, r.Size, r.Entry)
		}
		if a := rep.Agreement; a != nil {
			fmt.Fprintf(w, "%s: agreement of session %s at checkpoint %d, signed by %d of %d parties and the server: %s\n", agreement, rep.Session, a.Size, a.Signed, a.Parties, a.Summary)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func checkSessionLog(rep *logReport, data []byte, want ed25519.PublicKey, receipts, checkpoints []string, agreement string) error {
	x, err := tlog.ReadExport(data)
	if err != nil {
		return err
	}
	rep.Session, rep.Key = x.Session, x.Key
	if want != nil {
		pub, err := tlog.PublicKey(x.Key)
		if err != nil {
			return err
		}
		if !pub.Equal(want) {
			return &tlog.Alarm{Kind: tlog.AlarmSignature, Detail: fmt.Sprintf("the log is signed by %s, not by the key given", x.Key)}
		}
	}
	o, err := tlog.VerifyExport(x, "")
	if err != nil {
		return err
	}
	rep.Size, rep.Root, rep.Opened = o.Checkpoint.Size, base64.StdEncoding.EncodeToString(o.Checkpoint.Root[:]), o.OpenedCount()
	for _, e := range o.Entries {
		switch {
		case e == nil:
		case e.Type == tlog.TypeMove:
			rep.Moves++
		default:
			rep.Events++
		}
	}
	var cps, names []string // checkpoints that passed, and their files
	var firstErr error
	for _, f := range receipts {
		rr := receiptReport{File: f}
		r, err := readReceipt(f)
		if err == nil {
			rr.Leaf = r.Index
			var e *tlog.Entry
			if e, err = o.CheckReceipt(r); err == nil {
				rr.Entry = fmt.Sprintf("%s %s %s at step %d", e.Type, e.Party, e.Kind, e.Step)
				if c, perr := tlog.ParseCheckpoint(checkpointText(r.Checkpoint)); perr == nil {
					rr.Size = c.Size
				}
				cps, names = append(cps, r.Checkpoint), append(names, f)
			}
		}
		if err != nil {
			rr.Error = err.Error()
			if firstErr == nil {
				firstErr = fmt.Errorf("receipt %s: %w", f, err)
			}
		}
		rr.OK = err == nil
		rep.Receipts = append(rep.Receipts, rr)
	}
	for _, f := range checkpoints {
		b, err := os.ReadFile(f)
		if err == nil {
			err = o.CheckCheckpoint(string(b))
		}
		if err != nil {
			rep.SplitViews = append(rep.SplitViews, fmt.Sprintf("%s: %v", f, err))
			if firstErr == nil {
				firstErr = fmt.Errorf("checkpoint %s: %w", f, err)
			}
			continue
		}
		cps = append(cps, string(b))
		names = append(names, f)
	}
	for i := range cps {
		for j := i + 1; j < len(cps); j++ {
			if err := tlog.CompareCheckpoints(cps[i], cps[j], x.Key); err != nil {
				rep.SplitViews = append(rep.SplitViews, fmt.Sprintf("%s and %s: %v", names[i], names[j], err))
				if firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if agreement != "" {
		a, err := checkAgreementFile(agreement, o)
		rep.Agreement = a
		if err != nil {
			return fmt.Errorf("agreement %s: %w", agreement, err)
		}
	}
	return nil
}

// checkpointText is the note text of a signed checkpoint (before the
// blank line and the signatures).
func checkpointText(signed string) string {
	if i := bytes.Index([]byte(signed), []byte("\n\n")); i >= 0 {
		return signed[:i+1]
	}
	return signed
}

// readReceipt reads a receipt, alone or in the Ack it came with.
func readReceipt(path string) (*api.Receipt, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ack api.Ack
	if err := json.Unmarshal(b, &ack); err == nil && ack.Receipt != nil {
		return ack.Receipt, nil
	}
	var r api.Receipt
	if err := json.Unmarshal(b, &r); err != nil || r.Checkpoint == "" {
		return nil, fmt.Errorf("%s: not a receipt (an Ack with one, or a receipt alone)", path)
	}
	return &r, nil
}

// agreementCheck is what checking an agreement document found.
type agreementCheck = tlog.AgreementReport

// checkAgreementFile checks the agreement document in path against the
// verified log o.
func checkAgreementFile(path string, o *tlog.Opened) (*agreementCheck, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a api.Agreement
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("not an agreement document: %w", err)
	}
	return tlog.CheckAgreement(&a, o)
}
