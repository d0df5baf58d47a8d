package server

import (
	"context"
	"strings"
	"testing"
)

// TestBadOptions: an option given a bad value is reported by Start, naming
// the option and the fix, before anything starts.
func TestBadOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opt  Option
		want string
	}{
		{WithStartTimeout(-1), "server.WithStartTimeout(-1ns): want a positive duration"},
		{WithProvider("podman"), `unknown provider "podman" given to server.WithProvider: use auto, local, docker, dockertest or dsn`},
	} {
		if _, err := Start(context.Background(), tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start = %v, want an error with %q", err, tt.want)
		}
	}
}

// TestOptionBeatsEnvironment: an option wins over the environment, which
// wins over the default.
func TestOptionBeatsEnvironment(t *testing.T) {
	t.Setenv("MIGTEST_IMAGE", "env/image:1")
	if got := newConfig([]Option{WithImage("opt/image:2")}).image; got != "opt/image:2" {
		t.Errorf("option: image = %s", got)
	}
	if got := newConfig(nil).image; got != "env/image:1" {
		t.Errorf("environment: image = %s", got)
	}
	t.Setenv("MIGTEST_IMAGE", "")
	if got := newConfig(nil).image; got != DefaultImage {
		t.Errorf("default: image = %s", got)
	}
}
