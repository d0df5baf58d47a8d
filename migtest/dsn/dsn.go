// Package dsn parses the ways a user names a MariaDB database: the
// go-sql-driver/mysql form user:pass@tcp(host:3306)/db or
// user:pass@unix(/path/sock)/db, and mysql:// or mariadb:// URLs; and it
// redacts passwords from anything that is printed.
package dsn

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Parse parses s into a driver config. A URL's query parameters become
// driver parameters (e.g. tls=true, charset=utf8mb4); socket=PATH in a URL
// selects a unix socket. Errors never contain the password.
func Parse(s string) (*mysql.Config, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty DSN: use user:pass@tcp(host:3306)/db or mysql://user:pass@host:3306/db")
	}
	if strings.HasPrefix(s, "mysql://") || strings.HasPrefix(s, "mariadb://") {
		return parseURL(s)
	}
	if strings.Contains(s, "://") {
		return nil, fmt.Errorf("DSN scheme %q not supported: use mysql:// or mariadb://", s[:strings.Index(s, "://")])
	}
	cfg, err := mysql.ParseDSN(s)
	if err != nil {
		return nil, fmt.Errorf("invalid DSN %q: %s (form: user:pass@tcp(host:3306)/db)", Redact(s), Redact(err.Error()))
	}
	return cfg, nil
}

func parseURL(s string) (*mysql.Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid DSN URL %q (form: mysql://user:pass@host:3306/db)", Redact(s))
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	q := u.Query()
	if sock := q.Get("socket"); sock != "" {
		cfg.Net, cfg.Addr = "unix", sock
		q.Del("socket")
	} else {
		host := u.Hostname()
		if host == "" {
			host = "127.0.0.1"
		}
		port := u.Port()
		if port == "" {
			port = "3306"
		}
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if len(q) > 0 {
		// Reuse the driver's own parameter handling by round-tripping
		// through its DSN form.
		tail := cfg.FormatDSN()
		sep := "?"
		if strings.Contains(tail, "?") {
			sep = "&"
		}
		parsed, err := mysql.ParseDSN(tail + sep + q.Encode())
		if err != nil {
			return nil, fmt.Errorf("invalid DSN URL %q: %s", Redact(s), Redact(err.Error()))
		}
		cfg = parsed
	}
	return cfg, nil
}

var (
	dsnPass = regexp.MustCompile(`([A-Za-z0-9_.\-]*):([^@\s/]*)@(tcp|unix|\(|[A-Za-z0-9.\-\[])`)
	urlPass = regexp.MustCompile(`((?:mysql|mariadb)://[^:/@\s]*):([^@\s]*)@`)
	kvPass  = regexp.MustCompile(`(?i)((?:password|passwd|db_password)["']?\s*[:=]\s*["']?)([^"'\s,&}]+)`)
)

// Redact replaces passwords in s (DSNs, URLs, password=... pairs) with "xxx".
func Redact(s string) string {
	s = urlPass.ReplaceAllString(s, "$1:xxx@")
	s = dsnPass.ReplaceAllStringFunc(s, func(m string) string {
		sub := dsnPass.FindStringSubmatch(m)
		if sub[2] == "" || sub[2] == "xxx" {
			return m
		}
		return sub[1] + ":xxx@" + sub[3]
	})
	return kvPass.ReplaceAllString(s, "${1}xxx")
}

// String formats cfg as a DSN with the password redacted, for display.
func String(cfg *mysql.Config) string {
	c := cfg.Clone()
	if c.Passwd != "" {
		c.Passwd = "xxx"
	}
	return c.FormatDSN()
}

// Open opens a pool with typed connection settings (mysql.NewConnector),
// without formatting them into a DSN string to be parsed again.
func Open(cfg *mysql.Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", String(cfg), err)
	}
	return sql.OpenDB(conn), nil
}
