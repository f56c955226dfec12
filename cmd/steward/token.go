package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/steward-sh/steward/internal/auth"
	"github.com/steward-sh/steward/internal/cli"
)

func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	return runTokenWith(args, os.Stdin, stdout, stderr)
}

func runTokenWith(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	usage := func() error {
		fmt.Fprintf(stderr, `Usage: steward token generate | hash | bcrypt

  generate  print a new random bearer token and its SHA-256, for auth.tokens
  hash      read a token from standard input, print its SHA-256 (the sha256 of an auth.tokens entry)
  bcrypt    read a password from standard input, print its bcrypt hash (a basic_auth_users entry of --web.config.file)

Example:
  steward token generate
  printf %%s "$TOKEN" | steward token hash > /etc/steward/ci.sha256
`)
		return errUsage
	}
	if len(args) == 0 {
		return usage()
	}
	sub, rest := args[0], args[1:]
	fs := newFlags("token "+sub, "See steward token.", stderr)
	cost := fs.Int("cost", 12, "bcrypt cost (bcrypt only).")
	if err := cli.Parse(fs, rest); err != nil {
		return err
	}
	switch sub {
	case "generate":
		token, err := auth.NewToken()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token:  %s\nsha256: %s\n", token, auth.HashToken(token))
		fmt.Fprintln(stderr, "give the token to the client and put only the sha256 in auth.tokens (or a sha256_file); the token is not stored anywhere")
		return nil
	case "hash":
		token, err := readSecretLine(stdin, true)
		if err != nil {
			return fmt.Errorf("token hash: %w", err)
		}
		fmt.Fprintln(stdout, auth.HashToken(token))
		return nil
	case "bcrypt":
		password, err := readSecretLine(stdin, false)
		if err != nil {
			return fmt.Errorf("token bcrypt: %w", err)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(password), *cost)
		if err != nil {
			return fmt.Errorf("token bcrypt: %w", err)
		}
		fmt.Fprintln(stdout, string(hash))
		return nil
	}
	return usage()
}

// readSecretLine reads the first line of r without its line ending (which
// echo adds) and, with trim, without surrounding white space (which no
// token contains; the server trims what clients send too). A password
// keeps its spaces.
func readSecretLine(r io.Reader, trim bool) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if trim {
		line = strings.TrimSpace(line)
	}
	if line == "" {
		return "", errors.New("nothing on standard input")
	}
	return line, nil
}
