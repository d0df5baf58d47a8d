package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/server"
)

func (a *app) sandboxCommand() *cobra.Command {
	var fixture string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Start a disposable MariaDB, print its DSN, keep it until interrupted",
		Long: `sandbox starts a disposable MariaDB server with one fresh database (restored
from --fixture when given), prints the database's DSN as the first line of
stdout, and keeps it until SIGINT or SIGTERM; then it removes everything.`,
		Example: `  migrate sandbox --provider local
  DSN=$(migrate sandbox --fixture fixtures/demo-site.sql.gz | head -1)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.sandbox(cmd.Context(), fixture)
		},
	}
	a.providerFlag(cmd)
	cmd.Flags().StringVar(&fixture, "fixture", "", "restore this .sql or .sql.gz `FILE` into the database")
	return cmd
}

// providerFlag adds --provider to cmd.
func (a *app) providerFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.provider, "provider", os.Getenv("MIGTEST_PROVIDER"),
		"disposable server provider: auto, local, docker, dockertest or dsn (env MIGTEST_PROVIDER)")
	cmd.Flags().StringVar(&a.image, "image", "",
		"server `IMAGE` for the docker providers, a server version: migtest/mariadb:10.5, :10.11, :11.8, migtest/mysql:9 (make images); implies --provider docker (default MIGTEST_IMAGE)")
}

// startServer starts a disposable server with the chosen provider.
func (a *app) startServer(ctx context.Context) (server.Server, error) {
	p := a.provider
	if p == "" {
		p = "auto"
	}
	if a.image != "" && p == "auto" {
		p = server.ProviderDocker // a named image is a server version: the local binaries are another
	}
	srv, err := server.Start(ctx, server.WithProvider(p), server.WithImage(a.image), server.WithLogger(a.log))
	if err != nil {
		return nil, err
	}
	return srv, nil
}

func (a *app) sandbox(ctx context.Context, fixture string) (err error) {
	if fixture != "" {
		if _, err := os.Stat(fixture); err != nil {
			return usageErrorf("fixture %s cannot be read: %v; give an existing .sql or .sql.gz file", fixture, err)
		}
	}
	srv, err := a.startServer(ctx)
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
		if err := a.restoreFile(ctx, db.DSN, db.Name, fixture, false); err != nil {
			return err
		}
	}
	fmt.Fprintln(a.stdout, db.DSN)
	a.log.Info("sandbox ready; stop it with Ctrl-C or SIGTERM", "provider", srv.Provider(), "version", srv.Version(), "database", db.Name)
	<-ctx.Done()
	a.log.Info("stopping sandbox")
	return nil
}
