// Package servertest gives tests a fresh database on the server shared by
// the test binary (server.Shared), dropped when the test ends.
//
// Without a server the test is skipped with the reason, except where a
// server is required: when CI or MIGTEST_REQUIRE is set, it fails instead,
// so a CI run never reports a skipped rehearsal as a pass.
package servertest

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/server"
)

// Main runs the tests and then stops the shared server, so a test binary
// that uses it leaves nothing behind. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if err := server.CloseShared(); err != nil {
		os.Stderr.WriteString("servertest: " + err.Error() + "\n")
	}
	os.Exit(code)
}

// Required reports whether tests must fail rather than skip when no server
// can be had (CI or MIGTEST_REQUIRE set).
func Required() bool {
	return config.Required()
}

// Server returns the shared server, starting it on first use.
func Server(t testing.TB) server.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := server.Shared(ctx)
	if err != nil {
		if Required() {
			t.Fatalf("no MariaDB server, and one is required here (CI or MIGTEST_REQUIRE set): %v", err)
		}
		t.Skipf("no MariaDB server for this test: %v", err)
	}
	return srv
}

// NewDatabase creates a fresh database on the shared server and returns it
// with an open handle; both are dropped/closed when the test ends.
func NewDatabase(t testing.TB) (*server.Database, *sql.DB) {
	t.Helper()
	return DatabaseOn(t, Server(t))
}

// DatabaseOn creates a fresh database on srv and returns it with an open
// handle; both are dropped/closed when the test ends.
func DatabaseOn(t testing.TB, srv server.Server) (*server.Database, *sql.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := srv.NewDatabase(ctx)
	if err != nil {
		t.Fatalf("new database: %v", err)
	}
	db, err := d.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := d.Drop(ctx); err != nil {
			t.Errorf("drop %s: %v", d.Name, err)
		}
	})
	return d, db
}
