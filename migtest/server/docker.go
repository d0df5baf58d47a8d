package server

import (
	"context"
	"errors"
)

// startDocker starts the image in a container through testcontainers-go.
func startDocker(ctx context.Context, c *config) (Server, error) {
	return nil, errors.New("docker provider: not built yet")
}

// startDockertest starts the image in a container through ory/dockertest.
func startDockertest(ctx context.Context, c *config) (Server, error) {
	return nil, errors.New("dockertest provider: not built yet")
}

// dockerPing reports whether a Docker engine answers.
func dockerPing(ctx context.Context) error {
	return errors.New("docker: not built yet")
}
