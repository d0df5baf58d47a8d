// Package server provisions disposable MariaDB servers for rehearsals and
// tests, and hands out fresh, uniquely named databases on them.
//
// A Server is started by Start with a provider: "local" (a mariadbd process
// on a private socket and port), "docker" (testcontainers-go), "dockertest"
// (ory/dockertest), "dsn" (an existing server named by MIGTEST_DSN) or
// "auto", which picks the first that can work. Every wait has a deadline
// and every failure is one line that says what to install or set.
package server

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/dsn"
)

// Server is a running MariaDB (or MySQL) server that hands out fresh
// databases. Implementations are safe for concurrent use.
type Server interface {
	// Provider names the provider that started the server ("local", "docker", ...).
	Provider() string
	// Version is the server's version string, e.g. "10.11.6-MariaDB".
	Version() string
	// DSN returns a go-sql-driver/mysql DSN with full privileges on the
	// server, with database as its default database ("" for none).
	DSN(database string) string
	// Config returns the same connection settings typed: a copy the caller
	// may change, for mysql.NewConnector (see OpenDB).
	Config(database string) *mysql.Config
	// NewDatabase creates a fresh, uniquely named, empty database.
	// The caller drops it with Database.Drop when done.
	NewDatabase(ctx context.Context) (*Database, error)
	// Close stops the server (or, for the dsn provider, drops the databases
	// it created that are still there) and removes everything it left on disk.
	Close() error
}

// Database is one database on a Server.
type Database struct {
	// Name is the database (schema) name.
	Name string
	// DSN is a go-sql-driver/mysql DSN for the database, with multiStatements
	// off, parseTime on and the connection charset utf8mb4.
	DSN string
	// Config holds the same settings typed; Open connects with it.
	Config *mysql.Config

	drop func(ctx context.Context) error
}

// Open opens a *sql.DB for the database. The caller closes it.
func (d *Database) Open() (*sql.DB, error) {
	cfg := d.Config
	if cfg == nil {
		c, err := mysql.ParseDSN(d.DSN)
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", d.Name, err)
		}
		cfg = c
	}
	db, err := OpenDB(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", d.Name, err)
	}
	return db, nil
}

// OpenDB opens a pool with typed connection settings, without turning them
// into a DSN string and parsing it again.
func OpenDB(cfg *mysql.Config) (*sql.DB, error) { return dsn.Open(cfg) }

// Drop drops the database. Dropping twice is not an error.
func (d *Database) Drop(ctx context.Context) error {
	if d.drop == nil {
		return nil
	}
	return d.drop(ctx)
}
