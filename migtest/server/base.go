package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/sqltext"
)

// base is what every provider shares once a server answers: an admin pool,
// the version, and the bookkeeping of databases it created.
type base struct {
	provider string
	version  string
	cfg      *mysql.Config // admin config, DBName empty
	admin    *sql.DB
	stop     func() error // provider-specific teardown, after databases are dropped

	mu        sync.Mutex
	databases map[string]bool // created and not yet dropped
	dropAll   bool            // Close drops databases still there (dsn provider)
	closed    bool
}

// newBase connects with cfg, pinging until the deadline, and reads the version.
func newBase(ctx context.Context, provider string, cfg *mysql.Config, deadline time.Duration, stop func() error) (*base, error) {
	cfg = cfg.Clone()
	normalize(cfg)
	cfg.DBName = ""
	admin, err := waitReady(ctx, cfg, deadline)
	if err != nil {
		return nil, err
	}
	var version string
	if err := admin.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		admin.Close()
		return nil, fmt.Errorf("%s server: read version: %w", provider, err)
	}
	return &base{provider: provider, version: version, cfg: cfg, admin: admin, stop: stop, databases: map[string]bool{}}, nil
}

// normalize sets the connection settings every DSN handed out carries.
func normalize(cfg *mysql.Config) {
	cfg.ParseTime = true
	cfg.MultiStatements = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	cfg.InterpolateParams = false
	cfg.MaxAllowedPacket = 0 // read the server's value
}

// waitReady pings the server until it answers or the deadline passes. Errors
// that waiting cannot fix (access denied, unknown database) return at once.
func waitReady(ctx context.Context, cfg *mysql.Config, deadline time.Duration) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("server DSN: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxIdleConns(4)
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	var last error
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		last = db.PingContext(pctx)
		pcancel()
		if last == nil {
			return db, nil
		}
		var me *mysql.MySQLError
		if errors.As(last, &me) {
			db.Close()
			if me.Number == 1045 || me.Number == 1044 {
				return nil, fmt.Errorf("server at %s refused the login: %w (check the user and password)", cfg.Addr, last)
			}
			return nil, fmt.Errorf("server at %s: %w", cfg.Addr, last)
		}
		select {
		case <-ctx.Done():
			db.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("server at %s did not answer within %s: %w", cfg.Addr, deadline, last)
			}
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
}

func (b *base) Provider() string { return b.provider }
func (b *base) Version() string  { return b.version }

func (b *base) DSN(database string) string { return b.Config(database).FormatDSN() }

func (b *base) Config(database string) *mysql.Config {
	c := b.cfg.Clone()
	c.DBName = database
	return c
}

// NewDatabase creates a fresh database named mt_<time>_<random>.
func (b *base) NewDatabase(ctx context.Context) (*Database, error) {
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := fmt.Sprintf("mt_%s_%s", time.Now().UTC().Format("150405"), hex.EncodeToString(r[:]))
	return b.CreateDatabase(ctx, name)
}

// CreateDatabase creates the named database (it must not exist) and returns it.
func (b *base) CreateDatabase(ctx context.Context, name string) (*Database, error) {
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("%s server: create database %s: server is closed", b.provider, name)
	}
	q := "CREATE DATABASE " + sqltext.QuoteIdent(name) + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	if _, err := b.admin.ExecContext(ctx, q); err != nil {
		return nil, fmt.Errorf("%s server: create database %s: %w", b.provider, name, err)
	}
	b.mu.Lock()
	b.databases[name] = true
	b.mu.Unlock()
	return &Database{Name: name, DSN: b.DSN(name), Config: b.Config(name), drop: func(ctx context.Context) error { return b.dropDatabase(ctx, name) }}, nil
}

func (b *base) dropDatabase(ctx context.Context, name string) error {
	if _, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+sqltext.QuoteIdent(name)); err != nil {
		return fmt.Errorf("%s server: drop database %s: %w", b.provider, name, err)
	}
	b.mu.Lock()
	delete(b.databases, name)
	b.mu.Unlock()
	return nil
}

func (b *base) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var names []string
	if b.dropAll {
		for n := range b.databases {
			names = append(names, n)
		}
	}
	b.mu.Unlock()
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, n := range names {
		if _, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+sqltext.QuoteIdent(n)); err != nil {
			errs = append(errs, fmt.Errorf("drop database %s: %w", n, err))
		}
	}
	errs = append(errs, b.admin.Close())
	if b.stop != nil {
		errs = append(errs, b.stop())
	}
	return errors.Join(errs...)
}
