// Package patchtest gives tests of patches and of the runner a fresh MariaDB
// database on the test binary's shared server (see package
// server/servertest, which it wraps with the (name, *sql.DB) shape these
// tests use).
package patchtest

import (
	"database/sql"
	"testing"

	"github.com/migtest/migtest/migtest/server/servertest"
)

// Main runs the tests and stops the shared server, if one was started.
func Main(m *testing.M) { servertest.Main(m) }

// ServerDSN returns the DSN of the shared server (no database), starting it
// if needed; it skips t when no server can be had (fails in CI).
func ServerDSN(t testing.TB) string {
	t.Helper()
	return servertest.Server(t).DSN("")
}

// DSN returns the DSN of database name on the test server.
func DSN(t testing.TB, name string) string {
	t.Helper()
	return servertest.Server(t).DSN(name)
}

// NewDatabase creates a fresh database, dropped when the test ends, and
// returns its name and an open handle to it.
func NewDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	d, db := servertest.NewDatabase(t)
	return d.Name, db
}
