package devcli

import (
	"context"
	"fmt"
	"os"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/migtest/runbook"
)

func sandboxCommand(env *cli.Env) *cobra.Command {
	var fixture string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Start a disposable MariaDB, print its DSN, keep it until interrupted",
		Long: `sandbox starts a disposable MariaDB server with one fresh database (restored
from --fixture when given), prints the database's DSN as the first line of
stdout, and keeps it until SIGINT or SIGTERM; then it removes everything.`,
		Example: `  migtest sandbox --provider local
  DSN=$(migtest sandbox --fixture fixtures/demo-site.sql.gz | head -1)`,
		Args: cobra.NoArgs,
	}
	provider := providerFlag(cmd)
	cmd.Flags().StringVar(&fixture, "fixture", "", "restore this .sql or .sql.gz `FILE` into the database")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return sandbox(cmd.Context(), env, *provider, fixture)
	}
	return cmd
}

func sandbox(ctx context.Context, env *cli.Env, provider serverFlags, fixture string) (err error) {
	if fixture != "" {
		if _, err := os.Stat(fixture); err != nil {
			return usageErrorf("fixture %s cannot be read: %v; give an existing .sql or .sql.gz file", fixture, err)
		}
	}
	srv, err := startServer(ctx, env, provider)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := srv.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop sandbox server: %w", cerr)
		}
	}()
	db, err := srv.NewDatabase(ctx)
	if err != nil {
		return err
	}
	if fixture != "" {
		cfg, err := mysql.ParseDSN(db.DSN)
		if err != nil {
			return fmt.Errorf("sandbox DSN: %w", err)
		}
		_, err = runbook.Restore(ctx, runbook.Target{Config: cfg}, runbook.RestoreOptions{
			File: fixture, Logger: env.Log(), Bytes: env.Progress("bytes"), ToolVersion: cli.Version})
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(env.Stdout(), db.DSN)
	env.Log().Info("sandbox ready; stop it with Ctrl-C or SIGTERM", "provider", srv.Provider(), "version", srv.Version(), "database", db.Name)
	<-ctx.Done()
	env.Log().Info("stopping sandbox")
	return nil
}
