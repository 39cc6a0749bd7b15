package main

import (
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
				Usage:     "write a new Ed25519 key pair: FILE (private, mode 0600) and FILE.pub",
				ArgsUsage: "FILE",
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.NArg() != 1 {
						return usagef("record keygen needs one FILE")
					}
					f := cmd.Args().First()
					pub, priv, err := ed25519.GenerateKey(rand.Reader)
					if err != nil {
						return err
					}
					if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "BACKCHANNEL ED25519 PRIVATE KEY", Bytes: priv.Seed()}), 0o600); err != nil {
						return err
					}
					if err := os.WriteFile(f+".pub", []byte(hex.EncodeToString(pub)+"\n"), 0o644); err != nil {
						return err
					}
					fmt.Printf("wrote %s and %s (public key %s)\n", f, f+".pub", hex.EncodeToString(pub))
					return nil
				},
			},
			{
				Name:      "verify",
				Usage:     "check a trace's hash chain and, if sealed, its signature",
				ArgsUsage: "TRACE.jsonl",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "key", Usage: "require a seal by the public key in `FILE` (hex)"}},
				Action: func(ctx context.Context, cmd *cli.Command) error {
					if cmd.NArg() != 1 {
						return usagef("record verify needs one TRACE file")
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
					f, err := os.Open(cmd.Args().First())
					if err != nil {
						return err
					}
					defer f.Close()
					s, err := record.Verify(f, want)
					if err != nil {
						return fmt.Errorf("%s: %w", cmd.Args().First(), err)
					}
					seal := "not sealed (chain only)"
					if s.Signed {
						seal = "sealed by " + hex.EncodeToString(s.Key)
					}
					fmt.Printf("%s: intact, %d lines, %s %s seed %d, %s\n", cmd.Args().First(), s.Lines, s.Header.Scenario, s.Header.Protocol, s.Header.Seed, seal)
					return nil
				},
			},
			replayCommand(),
		},
	})
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
