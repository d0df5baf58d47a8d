package server

import (
	"context"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/dsn"
)

// startDSN connects to the existing server named by the DSN. Databases it
// creates are dropped by Database.Drop or, at the latest, by Close; the
// server itself is left running.
func startDSN(ctx context.Context, c *config) (Server, error) {
	if c.dsn == "" {
		return nil, fmt.Errorf("dsn provider: MIGTEST_DSN is not set: set it to user:pass@tcp(host:3306)/")
	}
	cfg, err := ParseDSN(c.dsn)
	if err != nil {
		return nil, fmt.Errorf("dsn provider: the server DSN (WithDSN or MIGTEST_DSN): %w", err)
	}
	b, err := newBase(ctx, ProviderDSN, cfg, min(c.startTimeout, 15*time.Second), nil)
	if err != nil {
		return nil, fmt.Errorf("dsn provider: %w", err)
	}
	b.dropAll = true
	return b, nil
}

// ParseDSN parses a go-sql-driver/mysql DSN or a mysql:// / mariadb:// URL.
func ParseDSN(s string) (*mysql.Config, error) {
	return dsn.Parse(s)
}
