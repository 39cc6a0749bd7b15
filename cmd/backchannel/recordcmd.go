package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/backchannel/backchannel/record"
)

func init() {
	register(&cli.Command{
		Name:  "record",
		Usage: "make signing keys, verify negotiation logs and replay them",
		Commands: []*cli.Command{
			{
				Name:      "keygen",
				Usage:     "write a new Ed25519 key pair: FILE (private, mode 0600) and FILE.pub; never replaces an existing key",
				ArgsUsage: "FILE",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.NArg() != 1 {
						return usagef("record keygen needs one FILE")
					}
					f := cmd.Args().First()
					for _, name := range []string{f, f + ".pub"} {
						if _, err := os.Lstat(name); err == nil {
							return fmt.Errorf("%s exists; record keygen never replaces a key (records sealed with it could no longer be checked): remove it yourself or choose another FILE", name)
						}
					}
					pub, priv, err := ed25519.GenerateKey(rand.Reader)
					if err != nil {
						return err
					}
					if err := writeNew(f, pem.EncodeToMemory(&pem.Block{Type: "BACKCHANNEL ED25519 PRIVATE KEY", Bytes: priv.Seed()}), 0o600); err != nil {
						return err
					}
					if err := writeNew(f+".pub", []byte(hex.EncodeToString(pub)+"\n"), 0o644); err != nil {
						os.Remove(f)
						return err
					}
					fmt.Printf("wrote %s and %s (public key %s)\n", f, f+".pub", hex.EncodeToString(pub))
					return nil
				},
			},
			{
				Name:      "verify",
				Usage:     "check a trace's hash chain and, if sealed, its signature; or a session log, receipts and an agreement against it",
				ArgsUsage: "TRACE.jsonl | SESSION-LOG.json",
				Description: "A trace (run --trace, or a session's record) is checked for its hash chain and seal.\n" +
					"A session log (GET {link}/log, docs/commitments.md) is checked offline: its signed\n" +
					"checkpoint, every opened entry against its commitment, the Merkle root over all\n" +
					"leaves, every signed move; then each --receipt against it and every two receipts\n" +
					"against each other (same size, different root: a split view, named as such), and\n" +
					"the --agreement document. Exits 1 on any failure.\n\n" +
					"Example:\n  backchannel record verify log.json --receipt ack.json --agreement agreement.json --json",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "key", Usage: "require a seal (or a log signed) by the public key in `FILE` (hex)"},
					&cli.StringSliceFlag{Name: "receipt", Usage: "a receipt `FILE` (an action's Ack, or its receipt) to check against a session log; repeatable"},
					&cli.StringSliceFlag{Name: "checkpoint", Usage: "a signed checkpoint `FILE` a party kept (client.Link.LogCheckpoint) to check against a session log; repeatable"},
					&cli.StringFlag{Name: "agreement", Usage: "an agreement document `FILE` to check against a session log"},
					&cli.BoolFlag{Name: "json", Usage: "print what was checked as JSON"},
				},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.NArg() != 1 {
						return usagef("record verify needs one TRACE or SESSION-LOG file")
					}
					var want ed25519.PublicKey
					if k := cmd.String("key"); k != "" {
						b, err := os.ReadFile(k)
						if err != nil {
							return err
						}
						want, err = hex.DecodeString(strings.TrimSpace(string(b)))
						if err != nil || len(want) != ed25519.PublicKeySize {
							return fmt.Errorf("%s: not a hex Ed25519 public key", k)
						}
					}
					data, err := os.ReadFile(cmd.Args().First())
					if err != nil {
						return err
					}
					if isSessionLog(data) {
						return verifySessionLog(os.Stdout, cmd.Args().First(), data, want, cmd.StringSlice("receipt"), cmd.StringSlice("checkpoint"), cmd.String("agreement"), cmd.Bool("json"))
					}
					if len(cmd.StringSlice("receipt")) > 0 || len(cmd.StringSlice("checkpoint")) > 0 || cmd.String("agreement") != "" {
						return usagef("--receipt, --checkpoint and --agreement are checked against a session log, not a trace")
					}
					s, err := record.Verify(bytes.NewReader(data), want)
					if err != nil {
						return fmt.Errorf("%s: %w", cmd.Args().First(), err)
					}
					seal := "not sealed (chain only)"
					if s.Signed {
						seal = "sealed by " + hex.EncodeToString(s.Key)
					}
					state := "intact"
					if !s.Complete {
						state = fmt.Sprintf("INCOMPLETE (it ends at a %q event, before the negotiation did; the lines there verify)", s.LastKind)
					}
					if cmd.Bool("json") {
						out := struct {
							File     string `json:"file"`
							Intact   bool   `json:"intact"`
							Complete bool   `json:"complete"`
							Lines    int    `json:"lines"`
							Scenario string `json:"scenario"`
							Protocol string `json:"protocol"`
							Seed     uint64 `json:"seed"`
							Sealed   bool   `json:"sealed"`
							Key      string `json:"key,omitempty"`
						}{cmd.Args().First(), s.Complete, s.Complete, s.Lines, s.Header.Scenario, s.Header.Protocol, s.Header.Seed, s.Signed, hex.EncodeToString(s.Key)}
						if err := writeJSON(os.Stdout, out); err != nil {
							return err
						}
					} else {
						fmt.Printf("%s: %s, %d lines, %s %s seed %d, %s\n", cmd.Args().First(), state, s.Lines, s.Header.Scenario, s.Header.Protocol, s.Header.Seed, seal)
					}
					if !s.Complete {
						return fmt.Errorf("%s: incomplete: the log ends before the negotiation did", cmd.Args().First())
					}
					return nil
				},
			},
			replayCommand(),
		},
	})
}

// writeNew writes data to a file that must not exist yet (O_EXCL: a file
// made meanwhile is not replaced either).
func writeNew(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	return f.Close()
}

// readPrivateKey reads a key written by 'record keygen'.
func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "BACKCHANNEL ED25519 PRIVATE KEY" || len(blk.Bytes) != ed25519.SeedSize {
		return nil, errors.New(path + ": not a key written by 'backchannel record keygen'")
	}
	return ed25519.NewKeyFromSeed(blk.Bytes), nil
}
