package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// WithPool makes the dockertest provider start its container through the
// caller's pool (default: a pool for DOCKER_HOST, else the local socket).
// The pool is used as it is: its MaxWait is not changed, and the start is
// bounded by WithStartTimeout.
func WithPool(pool *dockertest.Pool) Option {
	return func(c *config) { c.pool = pool }
}

// startDockertest starts the image in a container through ory/dockertest:
// the same container as the docker provider (datadir on tmpfs, disposable
// settings, random root password, removed by Close), ready when a MySQL
// handshake and a SQL ping succeed within the start timeout.
func startDockertest(ctx context.Context, c *config) (srv Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			srv, err = nil, engineError(ProviderDockertest, fmt.Errorf("dockertest panicked: %v", r))
		}
	}()
	pool := c.pool
	if pool == nil {
		if err := checkDockerHost(ctx, ProviderDockertest); err != nil {
			return nil, err
		}
		pool, err = dockertest.NewPool("")
		if err != nil {
			return nil, engineError(ProviderDockertest, err)
		}
		// Pool.Retry is not used here, but a pool's waits must be bounded.
		pool.MaxWait = c.startTimeout
	}
	pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
	err = pool.Client.PingWithContext(pctx)
	pcancel()
	if err != nil {
		return nil, fmt.Errorf("dockertest provider: no Docker engine answers at %s (deadline 10s): %s: %s", pool.Client.Endpoint(), oneLine(err.Error()), engineHint)
	}

	sweepContainers(ctx, c.logger,
		func(ctx context.Context) (map[string]map[string]string, error) {
			cs, err := pool.Client.ListContainers(dc.ListContainersOptions{All: true, Filters: map[string][]string{"label": {labelMigtest + "=1"}}, Context: ctx})
			if err != nil {
				return nil, err
			}
			m := map[string]map[string]string{}
			for _, s := range cs {
				m[s.ID] = s.Labels
			}
			return m, nil
		},
		func(ctx context.Context, id string) error {
			return removeContainerDT(ctx, pool, id)
		})

	repo, tag := splitImage(c.image)
	if err := ensureImageDT(ctx, pool, c.image, repo, tag); err != nil {
		return nil, err
	}

	password := randomPassword()
	opts := &dockertest.RunOptions{
		Repository:   repo,
		Tag:          tag,
		Env:          []string{"MARIADB_ROOT_PASSWORD=" + password},
		Cmd:          containerSettings(),
		ExposedPorts: []string{containerPort},
		Labels:       containerLabels(ProviderDockertest),
	}
	// No AutoRemove: a container whose server dies during start must keep
	// its log for the error; every path removes the container explicitly,
	// and sweepContainers removes those of a process that died.
	hostConfig := func(hc *dc.HostConfig) {
		hc.RestartPolicy = dc.RestartPolicy{Name: "no"}
		hc.Tmpfs = map[string]string{containerDatadir: "rw"}
	}
	started := time.Now()
	// RunWithOptions takes no context: run it aside and give up at the
	// deadline; a container it creates after that is removed at once.
	type result struct {
		r   *dockertest.Resource
		err error
	}
	done := make(chan result) // unbuffered: a result nobody takes is cleaned up
	abandoned := make(chan struct{})
	go func() {
		r, err := pool.RunWithOptions(opts, hostConfig)
		select {
		case done <- result{r, err}:
		case <-abandoned:
			if r != nil {
				_ = removeContainerDT(context.Background(), pool, r.Container.ID)
			}
		}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(c.startTimeout):
		close(abandoned)
		return nil, fmt.Errorf("dockertest provider: the container of %s did not start within %s", c.image, c.startTimeout)
	case <-ctx.Done():
		close(abandoned)
		return nil, ctx.Err()
	}
	if res.err != nil {
		if res.r != nil {
			_ = removeContainerDT(context.Background(), pool, res.r.Container.ID)
		}
		return nil, engineError(ProviderDockertest, fmt.Errorf("run %s: %w", c.image, res.err))
	}
	r := res.r
	id := r.Container.ID
	stop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := removeContainerDT(ctx, pool, id); err != nil {
			return fmt.Errorf("dockertest provider: remove container %s: %w", shortID(id), err)
		}
		return nil
	}
	fail := func(err error) (Server, error) {
		_ = stop()
		return nil, err
	}
	port := r.GetPort(containerPort)
	if port == "" {
		return fail(fmt.Errorf("dockertest provider: container %s has no published port for %s", shortID(id), containerPort))
	}
	addr := net.JoinHostPort(engineHost(pool.Client.Endpoint(), r.GetBoundIP(containerPort)), port)
	running := func(ctx context.Context) (bool, string) {
		ct, err := pool.Client.InspectContainerWithContext(id, ctx)
		var nsc *dc.NoSuchContainer
		if errors.As(err, &nsc) {
			return false, "(the container is gone)"
		}
		if err != nil || ct.State.Running {
			return true, ""
		}
		return false, containerLogTail(ctx, func(ctx context.Context) (io.ReadCloser, error) {
			var buf bytes.Buffer
			err := pool.Client.Logs(dc.LogsOptions{Context: ctx, Container: id, OutputStream: &buf, ErrorStream: &buf, Stdout: true, Stderr: true, Tail: "200"})
			return io.NopCloser(&buf), err
		})
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net = "root", password, "tcp"
	b, err := waitContainer(ctx, ProviderDockertest, c, cfg, []string{addr}, started, running, stop)
	if err != nil {
		return fail(err)
	}
	c.logger.Info("dockertest MariaDB started", "image", c.image, "container", shortID(id), "addr", addr, "version", b.version)
	return b, nil
}

// removeContainerDT force-removes a container; one that is already gone is
// not an error.
func removeContainerDT(ctx context.Context, pool *dockertest.Pool, id string) error {
	err := pool.Client.RemoveContainer(dc.RemoveContainerOptions{ID: id, Force: true, RemoveVolumes: true, Context: ctx})
	var nsc *dc.NoSuchContainer
	if err == nil || errors.As(err, &nsc) || strings.Contains(err.Error(), "already in progress") || strings.Contains(err.Error(), "No such container") {
		return nil
	}
	return err
}

// ensureImageDT makes sure the image is on the engine, pulling it with a
// deadline if it is not (RunWithOptions would pull without one).
func ensureImageDT(ctx context.Context, pool *dockertest.Pool, image, repo, tag string) error {
	if _, err := pool.Client.InspectImage(image); err == nil {
		return nil
	} else if !errors.Is(err, dc.ErrNoSuchImage) {
		return engineError(ProviderDockertest, fmt.Errorf("inspect image %s: %w", image, err))
	}
	pctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	err := pool.Client.PullImage(dc.PullImageOptions{Repository: repo, Tag: tag, Context: pctx, InactivityTimeout: time.Minute}, dc.AuthConfiguration{})
	if err != nil {
		return fmt.Errorf("dockertest provider: image %s is not on the engine and cannot be pulled (deadline %s): %s: %s", image, pullTimeout, oneLine(err.Error()), imageHint)
	}
	return nil
}

// splitImage splits an image reference into repository and tag ("latest"
// when there is none); a registry port is not a tag.
func splitImage(image string) (repo, tag string) {
	slash := strings.LastIndexByte(image, '/')
	if colon := strings.LastIndexByte(image, ':'); colon > slash {
		return image[:colon], image[colon+1:]
	}
	return image, "latest"
}

// engineHost is the address at which published ports of an engine reached
// at endpoint are found: the loopback for a local socket, the engine's host
// for a TCP endpoint, unless the port is bound to a specific address.
func engineHost(endpoint, boundIP string) string {
	if boundIP != "" && boundIP != "localhost" && boundIP != "0.0.0.0" && boundIP != "::" {
		return boundIP
	}
	if u, err := url.Parse(endpoint); err == nil && (u.Scheme == "tcp" || u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
		return u.Hostname()
	}
	return "127.0.0.1"
}
