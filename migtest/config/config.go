// Package config is the one place migtest reads its environment. Every
// setting is resolved in one order everywhere: an explicit option or flag,
// then the environment variable, then the default.
//
// The environment is read when a setting is resolved (when a server
// starts, a rehearsal begins, a command runs), not cached at start-up, so
// that a test's t.Setenv is seen.
package config

import (
	"fmt"
	"os"
	"strings"
)

// The environment variables migtest reads.
const (
	// EnvProvider picks the disposable server's provider: auto, local,
	// docker, dockertest or dsn.
	EnvProvider = "MIGTEST_PROVIDER"
	// EnvDSN is the existing server of the dsn provider.
	EnvDSN = "MIGTEST_DSN"
	// EnvImage is the Docker image of the docker providers.
	EnvImage = "MIGTEST_IMAGE"
	// EnvFixture is a production-sized fixture every rehearsal restores
	// instead of its own; rehearsals then compare the schema and each
	// patch's declared row changes (CompareRowChanges).
	EnvFixture = "MIGTEST_FIXTURE"
	// EnvProduction is a production profile (the output of `migrate
	// snapshot` on production: schema and row counts) every rehearsal's
	// lint and duration estimate read, instead of snapshots/production.snap.
	EnvProduction = "MIGTEST_PRODUCTION"
	// EnvCache is the directory of the restored-fixture cache.
	EnvCache = "MIGTEST_CACHE"
	// EnvRequire lists providers that must run (comma-separated); any value
	// makes tests fail instead of skip when no server can be had.
	EnvRequire = "MIGTEST_REQUIRE"
	// EnvCI is set by CI systems; like EnvRequire it turns skips into failures.
	EnvCI = "CI"
	// EnvMigrateDSN is the database of the migrate command.
	EnvMigrateDSN = "MIGRATE_DSN"
	// EnvDockerHost is Docker's own DOCKER_HOST, read to tell the engine's
	// address in errors and to set the host testcontainers reaches.
	EnvDockerHost = "DOCKER_HOST"
	// EnvTestcontainersHost is testcontainers' TESTCONTAINERS_HOST_OVERRIDE.
	EnvTestcontainersHost = "TESTCONTAINERS_HOST_OVERRIDE"
)

// Source says where a resolved setting came from.
type Source int

const (
	// FromDefault is the built-in default.
	FromDefault Source = iota
	// FromEnv is the environment variable.
	FromEnv
	// FromOption is an explicit option or flag.
	FromOption
)

func (s Source) String() string {
	switch s {
	case FromEnv:
		return "environment"
	case FromOption:
		return "option"
	}
	return "default"
}

// Setting is a resolved setting: its value and where it came from.
type Setting struct {
	Value  string
	Source Source
	// Env is the environment variable consulted.
	Env string
}

// From names where the value came from, for messages: "MIGTEST_FIXTURE",
// "the option" or "the default".
func (s Setting) From() string {
	switch s.Source {
	case FromEnv:
		return s.Env
	case FromOption:
		return "the option"
	}
	return "the default"
}

// Resolve returns explicit when it is set, else the environment variable
// env when it is set, else def.
func Resolve(explicit, env, def string) Setting {
	switch {
	case explicit != "":
		return Setting{Value: explicit, Source: FromOption, Env: env}
	case Get(env) != "":
		return Setting{Value: Get(env), Source: FromEnv, Env: env}
	}
	return Setting{Value: def, Source: FromDefault, Env: env}
}

// Get returns the environment variable name ("" when unset). It is the
// only read of the environment in migtest's library.
func Get(name string) string { return os.Getenv(name) }

// IsSet reports whether the environment variable name is set, even empty.
func IsSet(name string) bool {
	_, ok := os.LookupEnv(name)
	return ok
}

// Required reports whether tests must fail rather than skip when something
// they need is missing: CI or MIGTEST_REQUIRE is set.
func Required() bool { return Get(EnvCI) != "" || Get(EnvRequire) != "" }

// RequiredProviders lists the providers MIGTEST_REQUIRE names.
func RequiredProviders() []string {
	var out []string
	for _, p := range strings.Split(Get(EnvRequire), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Compare is how a rehearsal compares row counts with the golden file.
type Compare int

const (
	// CompareAuto compares absolute counts, unless the fixture is a
	// production fixture (MIGTEST_FIXTURE, or given as one), where it
	// compares row changes.
	CompareAuto Compare = iota
	// CompareRowCounts compares the schema and every table's absolute row
	// count: for the fixture the golden was written from.
	CompareRowCounts
	// CompareRowChanges compares the schema, and checks row counts by each
	// patch's declared Patch.Rows: for a fixture with other counts than
	// the golden's (a production-sized dump).
	CompareRowChanges
)

func (c Compare) String() string {
	switch c {
	case CompareAuto:
		return "auto"
	case CompareRowCounts:
		return "row-counts"
	case CompareRowChanges:
		return "row-changes"
	}
	return fmt.Sprintf("Compare(%d)", int(c))
}

// Valid reports whether c is one of the modes.
func (c Compare) Valid() bool { return c >= CompareAuto && c <= CompareRowChanges }

// ResolveCompare resolves the mode: an explicit one wins; otherwise a
// production fixture compares row changes, any other absolute counts.
func ResolveCompare(explicit Compare, productionFixture bool) Compare {
	switch {
	case explicit != CompareAuto:
		return explicit
	case productionFixture:
		return CompareRowChanges
	}
	return CompareRowCounts
}
