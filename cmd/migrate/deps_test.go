package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the packages the production binary must not link: the
// disposable servers and their Docker clients, tracing, and test code.
var forbidden = []string{
	"testing",
	"github.com/migtest/migtest/migtest/server",
	"github.com/migtest/migtest/migtest/fixture",
	"github.com/migtest/migtest/migtest/rehearsal",
	"github.com/testcontainers/",
	"github.com/ory/dockertest",
	"github.com/docker/",
	"github.com/moby/",
	"go.opentelemetry.io/",
}

// TestThinBinary fails when cmd/migrate links a disposable-server, Docker,
// OpenTelemetry or test package: operators copy this binary onto
// production hosts. The developer commands that need them are cmd/migtest.
func TestThinBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) || strings.HasPrefix(d, f+"/") {
				t.Errorf("cmd/migrate links %s (forbidden: %s); keep it in cmd/migtest or out of migtest/cli's imports", d, f)
			}
		}
	}
	t.Logf("cmd/migrate links %d packages", len(deps))
}
