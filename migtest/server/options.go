package server

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ory/dockertest/v3"

	mtconfig "github.com/migtest/migtest/migtest/config"
)

// Provider names.
const (
	ProviderAuto       = "auto"
	ProviderLocal      = "local"
	ProviderDocker     = "docker"
	ProviderDockertest = "dockertest"
	ProviderDSN        = "dsn"
)

// DefaultImage is the Docker image used when MIGTEST_IMAGE is not set: the
// official MariaDB image of the current long-term-support series.
const DefaultImage = "mariadb:11.4"

// DefaultStartTimeout bounds how long Start waits for a server to answer.
const DefaultStartTimeout = 90 * time.Second

// Option configures Start.
type Option func(*config)

type config struct {
	provider     string
	image        string
	dsn          string
	logger       *slog.Logger
	startTimeout time.Duration
	cacheDir     string
	noTemplate   bool
	pool         *dockertest.Pool // dockertest provider: the caller's pool (WithPool)
	errs         []error          // options given bad values
}

func newConfig(opts []Option) *config {
	c := &config{startTimeout: DefaultStartTimeout}
	for _, o := range opts {
		o(c)
	}
	// an option, else the environment, else the default
	c.provider = mtconfig.Resolve(c.provider, mtconfig.EnvProvider, ProviderAuto).Value
	c.image = mtconfig.Resolve(c.image, mtconfig.EnvImage, DefaultImage).Value
	c.dsn = mtconfig.Resolve(c.dsn, mtconfig.EnvDSN, "").Value
	c.cacheDir = mtconfig.Resolve(c.cacheDir, mtconfig.EnvCache, "").Value
	if c.logger == nil {
		c.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// WithProvider selects the provider: "auto" (default, or MIGTEST_PROVIDER),
// "local", "docker", "dockertest" or "dsn".
func WithProvider(name string) Option {
	return func(c *config) {
		switch name {
		case "", ProviderAuto, ProviderLocal, ProviderDocker, ProviderDockertest, ProviderDSN:
			if name != "" {
				c.provider = name
			}
		default:
			c.errs = append(c.errs, fmt.Errorf("unknown provider %q given to server.WithProvider: use auto, local, docker, dockertest or dsn", name))
		}
	}
}

// WithImage sets the Docker image for the docker and dockertest providers
// (default MIGTEST_IMAGE, else DefaultImage).
func WithImage(image string) Option {
	return func(c *config) {
		if image != "" {
			c.image = image
		}
	}
}

// WithDSN names the existing server for the dsn provider (default MIGTEST_DSN).
func WithDSN(dsn string) Option {
	return func(c *config) {
		if dsn != "" {
			c.dsn = dsn
		}
	}
}

// WithLogger sets the logger for start and stop messages (default: none).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithStartTimeout bounds the wait for the server to answer (default
// DefaultStartTimeout). The error on expiry names the deadline.
func WithStartTimeout(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("server.WithStartTimeout(%s): want a positive duration; leave the option out for %s", d, DefaultStartTimeout))
			return
		}
		c.startTimeout = d
	}
}

// WithCacheDir sets where the local provider keeps its initialised template
// datadir (default MIGTEST_CACHE, else the user cache dir).
func WithCacheDir(dir string) Option {
	return func(c *config) { c.cacheDir = dir }
}

// WithoutTemplate makes the local provider run mariadb-install-db for this
// server instead of copying the cached template datadir. It exists to
// measure a cold start.
func WithoutTemplate() Option {
	return func(c *config) { c.noTemplate = true }
}
