package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/dsn"
)

// target is the database a command works on.
type target struct {
	cfg  *mysql.Config
	name string // database name
	site string // site name for reports: the site config's directory, or the database
}

// DSN returns the go-sql-driver DSN of the target, with the settings every
// command wants.
func (t *target) DSN() string {
	return t.cfg.FormatDSN()
}

// Redacted returns the target without its password, for logs.
func (t *target) Redacted() string {
	c := t.cfg.Clone()
	if c.Passwd != "" {
		c.Passwd = "xxxxx"
	}
	return c.FormatDSN()
}

// resolveTarget finds the database to work on from --dsn, MIGRATE_DSN or --site-config.
func (a *app) resolveTarget() (*target, error) {
	var (
		cfg  *mysql.Config
		site string
		err  error
	)
	switch {
	case a.siteConfig != "":
		cfg, site, err = siteConfigDSN(a.siteConfig)
		if err != nil {
			return nil, err
		}
		a.secrets.add(cfg.Passwd)
	default:
		s := a.dsn
		if s == "" {
			s = config.Get(config.EnvMigrateDSN)
		}
		if s == "" {
			return nil, usageErrorf("no database given: pass --dsn user:pass@tcp(host:3306)/db, set MIGRATE_DSN, or pass --site-config sites/SITE/site_config.json")
		}
		a.secrets.addDSN(s) // a sites file's DSN is not on the command line
		cfg, err = dsn.Parse(s)
		if err != nil {
			return nil, usageErrorf("invalid --dsn: %v", err)
		}
	}
	if cfg.DBName == "" {
		return nil, usageErrorf("the DSN names no database: add /dbname, e.g. user:pass@tcp(host:3306)/mysite")
	}
	cfg.ParseTime = true
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	for k, v := range a.params {
		if _, set := cfg.Params[k]; !set {
			cfg.Params[k] = v
		}
	}
	if site == "" {
		site = cfg.DBName
	}
	return &target{cfg: cfg, name: cfg.DBName, site: site}, nil
}

// openTarget resolves the target from the flags and opens it.
func (a *app) openTarget(ctx context.Context) (*sql.DB, *target, error) {
	t, err := a.resolveTarget()
	if err != nil {
		return nil, nil, err
	}
	db, err := a.open(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	return db, t, nil
}

// open opens and pings the target database.
func (a *app) open(ctx context.Context, t *target) (*sql.DB, error) {
	db, err := dsn.Open(t.cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t.Redacted(), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, connectError(t, err)
	}
	return db, nil
}

// connectError turns a failed connection into one line that says what to check.
func connectError(t *target, err error) error {
	var me *mysql.MySQLError
	var ne net.Error
	switch {
	case errors.As(err, &me) && me.Number == 1045:
		return fmt.Errorf("cannot connect to %s as %s: access denied; check the user and password in the DSN or site config", t.cfg.Addr, t.cfg.User)
	case errors.As(err, &me) && me.Number == 1049:
		return fmt.Errorf("database %s does not exist on %s; create it or fix the database name in the DSN", t.name, t.cfg.Addr)
	case errors.Is(err, mysql.ErrNoTLS):
		return fmt.Errorf("cannot connect to %s on %s: the DSN asks for TLS (tls=%s) but the server offers none; enable TLS on the server (ssl_cert, ssl_key) or use tls=preferred", t.name, t.cfg.Addr, t.cfg.TLSConfig)
	case strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "tls:"):
		return fmt.Errorf("cannot connect to %s on %s: %w; the server's certificate is not trusted here: install its CA in the system trust store, or use tls=skip-verify (encrypted, but the server is not authenticated)", t.name, t.cfg.Addr, err)
	case errors.As(err, &ne) || strings.Contains(err.Error(), "dial"):
		return fmt.Errorf("cannot reach the server at %s (%s): %w; check the host and port and that MariaDB is running", t.cfg.Addr, t.cfg.Net, err)
	default:
		return fmt.Errorf("cannot connect to %s on %s: %w", t.name, t.cfg.Addr, err)
	}
}

// siteConfigDSN reads a Frappe site_config.json.
func siteConfigDSN(path string) (*mysql.Config, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", usageErrorf("cannot read --site-config %s: %v", path, err)
	}
	var sc struct {
		DBName     string          `json:"db_name"`
		DBUser     string          `json:"db_user"`
		DBPassword string          `json:"db_password"`
		DBHost     string          `json:"db_host"`
		DBPort     json.RawMessage `json:"db_port"`
		DBSocket   string          `json:"db_socket"`
		DBType     string          `json:"db_type"`
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, "", usageErrorf("--site-config %s is not valid JSON: %v", path, err)
	}
	var missing []string
	if sc.DBName == "" {
		missing = append(missing, "db_name")
	}
	if sc.DBPassword == "" {
		missing = append(missing, "db_password")
	}
	if len(missing) > 0 {
		return nil, "", usageErrorf("--site-config %s lacks %s; a Frappe site_config.json has db_name and db_password", path, strings.Join(missing, " and "))
	}
	if sc.DBType != "" && sc.DBType != "mariadb" && sc.DBType != "mysql" {
		return nil, "", usageErrorf("--site-config %s has db_type %q; migrate works on mariadb and mysql sites", path, sc.DBType)
	}
	cfg := mysql.NewConfig()
	cfg.User = sc.DBUser
	if cfg.User == "" {
		cfg.User = sc.DBName // Frappe's default: the user is named after the database
	}
	cfg.Passwd = sc.DBPassword
	cfg.DBName = sc.DBName
	port := "3306"
	if len(sc.DBPort) > 0 && string(sc.DBPort) != "null" {
		p := strings.Trim(string(sc.DBPort), `"`)
		if _, err := strconv.Atoi(p); err != nil {
			return nil, "", usageErrorf("--site-config %s has db_port %s; it must be a number", path, string(sc.DBPort))
		}
		port = p
	}
	switch {
	case sc.DBSocket != "":
		cfg.Net, cfg.Addr = "unix", sc.DBSocket
	default:
		host := sc.DBHost
		if host == "" {
			host = "127.0.0.1"
		}
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	}
	site := siteName(path)
	return cfg, site, nil
}

// siteName is the site's directory name (sites/SITE/site_config.json), or the file name.
func siteName(path string) string {
	parts := strings.Split(strings.ReplaceAll(path, "\\", "/"), "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2]
	}
	return strings.TrimSuffix(parts[0], ".json")
}

// redactError removes passwords from an error text.
func redactError(s string) string {
	return dsn.Redact(s)
}
