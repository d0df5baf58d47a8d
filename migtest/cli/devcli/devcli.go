// Package devcli is the migtest command line: the developer commands that
// need a disposable server or the source tree (rehearse, sandbox, new), kept
// out of the production binary so that it links no Docker client,
// testcontainers-go, dockertest or test code. A team's own developer binary
// is a main of a few lines:
//
//	func main() {
//		os.Exit(devcli.Main(context.Background(), patches.Set, os.Args[1:], os.Stdout, os.Stderr))
//	}
//
// The commands take the same flags as they did under migrate, and the same
// global flags, exit codes and error line (migtest/cli.Run).
package devcli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server"
)

// Main runs the migtest command line with args (without the program name)
// over set and returns the process exit code.
func Main(ctx context.Context, set patch.Set, args []string, stdout, stderr io.Writer) int {
	return cli.Run(ctx, Program(), set, args, stdout, stderr)
}

// Program is the migtest binary: its help and its commands.
func Program() cli.Program {
	return cli.Program{
		Name:  "migtest",
		Short: "Developer commands for migtest patches: rehearse, sandbox, new",
		Long: `migtest rehearses a patch set on a disposable MariaDB (as a patch's _test.go
does), starts a disposable MariaDB to try things on, and scaffolds new patches.
The production commands (up, rollback, ...) are in the migrate binary.`,
		Commands: Commands(),
	}
}

// Commands returns the developer commands: rehearse, sandbox and new.
func Commands() []cli.Command {
	return []cli.Command{rehearseCommand, sandboxCommand, newCommand}
}

// usageErrorf is a command-line mistake (exit 2).
func usageErrorf(format string, args ...any) error {
	return cli.Exit(cli.ExitUsage, fmt.Errorf(format, args...))
}

// providerFlag adds --provider to cmd and returns where its value goes.
func providerFlag(cmd *cobra.Command) *string {
	p := new(string)
	cmd.Flags().StringVar(p, "provider", config.Get(config.EnvProvider),
		"disposable server provider: auto, local, docker, dockertest or dsn (env MIGTEST_PROVIDER)")
	return p
}

// startServer starts a disposable server with the chosen provider.
func startServer(ctx context.Context, env *cli.Env, provider string) (server.Server, error) {
	if provider == "" {
		provider = "auto"
	}
	return server.Start(ctx, server.WithProvider(provider), server.WithLogger(env.Log()))
}
