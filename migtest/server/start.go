package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Start starts (or, for the dsn provider, connects to) a server with the
// chosen provider. The caller closes it.
func Start(ctx context.Context, opts ...Option) (Server, error) {
	c := newConfig(opts)
	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return start(ctx, c)
}

func start(ctx context.Context, c *config) (Server, error) {
	switch c.provider {
	case ProviderLocal:
		return startLocal(ctx, c)
	case ProviderDocker:
		return startDocker(ctx, c)
	case ProviderDockertest:
		return startDockertest(ctx, c)
	case ProviderDSN:
		return startDSN(ctx, c)
	case ProviderAuto:
		p, err := choose(ctx, c)
		if err != nil {
			return nil, err
		}
		c.logger.Debug("auto provider chose", "provider", p)
		c.provider = p
		return start(ctx, c)
	default:
		return nil, fmt.Errorf("unknown provider %q: use auto, local, docker, dockertest or dsn", c.provider)
	}
}

// choose picks the provider for "auto": dsn if a DSN is set, else local if
// the server binaries exist, else docker if an engine answers.
func choose(ctx context.Context, c *config) (string, error) {
	if c.dsn != "" {
		return ProviderDSN, nil
	}
	if _, err := findLocalBinaries(); err == nil {
		return ProviderLocal, nil
	}
	if err := dockerPing(ctx); err == nil {
		return ProviderDocker, nil
	}
	return "", fmt.Errorf("no MariaDB server available: install the server (apt-get install mariadb-server), start a Docker engine, or set MIGTEST_DSN=user:pass@tcp(host:3306)/")
}

var shared struct {
	sync.Mutex
	srv Server
	err error
}

// Shared returns the server shared by everything in this process, starting
// it on first use with the environment's settings (MIGTEST_PROVIDER,
// MIGTEST_DSN, MIGTEST_IMAGE). A failed start is remembered, so a test
// binary tries once. CloseShared stops it; a process that exits without
// calling it leaves no server behind either (see the providers' docs).
func Shared(ctx context.Context) (Server, error) {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = Start(ctx)
	}
	return shared.srv, shared.err
}

// CloseShared stops the shared server if one was started.
func CloseShared() error {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil {
		return nil
	}
	err := shared.srv.Close()
	shared.srv, shared.err = nil, fmt.Errorf("shared server was closed")
	return err
}

// ownerPID is recorded with every local server and container so a later
// start can tell an orphan (owner gone) from a live one.
var ownerPID = os.Getpid()
