package runbook

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
)

// Target is the database the runbook works on: typed connection settings
// (Config.DBName names the database) and the site name reports use.
type Target struct {
	// Config holds the connection settings; Config.DBName is required.
	Config *mysql.Config
	// Site names the site in reports, logs and backup file names
	// (default: the database name).
	Site string
}

// Validate reports what is wrong with t, or nil.
func (t Target) Validate() error {
	if t.Config == nil {
		return inputErrorf("no database given: the target has no connection settings")
	}
	if t.Config.DBName == "" {
		return inputErrorf("the DSN names no database: add /dbname, e.g. user:pass@tcp(host:3306)/mysite")
	}
	return nil
}

// Database is the target's database name.
func (t Target) Database() string { return t.Config.DBName }

// SiteName is Site, or the database name when Site is empty.
func (t Target) SiteName() string {
	if t.Site != "" {
		return t.Site
	}
	return t.Config.DBName
}

// Redacted is the target's DSN without its password, for logs.
func (t Target) Redacted() string {
	c := t.Config.Clone()
	if c.Passwd != "" {
		c.Passwd = "xxxxx"
	}
	return c.FormatDSN()
}

// Open opens a pool on the target's database and pings it; a failure is
// one line that says what to check (password, database name, TLS, host).
func (t Target) Open(ctx context.Context) (*sql.DB, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", t.Config.FormatDSN())
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
func connectError(t Target, err error) error {
	var me *mysql.MySQLError
	var ne net.Error
	c := t.Config
	switch {
	case errors.As(err, &me) && me.Number == 1045:
		return fmt.Errorf("cannot connect to %s as %s: access denied; check the user and password in the DSN or site config", c.Addr, c.User)
	case errors.As(err, &me) && me.Number == 1049:
		return fmt.Errorf("database %s does not exist on %s; create it or fix the database name in the DSN", c.DBName, c.Addr)
	case errors.Is(err, mysql.ErrNoTLS):
		return fmt.Errorf("cannot connect to %s on %s: the DSN asks for TLS (tls=%s) but the server offers none; enable TLS on the server (ssl_cert, ssl_key) or use tls=preferred", c.DBName, c.Addr, c.TLSConfig)
	case strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "tls:"):
		return fmt.Errorf("cannot connect to %s on %s: %w; the server's certificate is not trusted here: install its CA in the system trust store, or use tls=skip-verify (encrypted, but the server is not authenticated)", c.DBName, c.Addr, err)
	case errors.As(err, &ne) || strings.Contains(err.Error(), "dial"):
		return fmt.Errorf("cannot reach the server at %s (%s): %w; check the host and port and that MariaDB is running", c.Addr, c.Net, err)
	default:
		return fmt.Errorf("cannot connect to %s on %s: %w", c.DBName, c.Addr, err)
	}
}

// SiteConfig reads the database settings of a Frappe site_config.json
// (db_name, db_user, db_password, db_host, db_port, db_socket) into a
// Target named after the site's directory (sites/SITE/site_config.json).
func SiteConfig(path string) (Target, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Target{}, inputErrorf("cannot read --site-config %s: %v", path, err)
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
		return Target{}, inputErrorf("--site-config %s is not valid JSON: %v", path, err)
	}
	var missing []string
	if sc.DBName == "" {
		missing = append(missing, "db_name")
	}
	if sc.DBPassword == "" {
		missing = append(missing, "db_password")
	}
	if len(missing) > 0 {
		return Target{}, inputErrorf("--site-config %s lacks %s; a Frappe site_config.json has db_name and db_password", path, strings.Join(missing, " and "))
	}
	if sc.DBType != "" && sc.DBType != "mariadb" && sc.DBType != "mysql" {
		return Target{}, inputErrorf("--site-config %s has db_type %q; migrate works on mariadb and mysql sites", path, sc.DBType)
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
			return Target{}, inputErrorf("--site-config %s has db_port %s; it must be a number", path, string(sc.DBPort))
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
	return Target{Config: cfg, Site: SiteName(path)}, nil
}

// SiteName is a site_config.json's site name: its directory's name
// (sites/SITE/site_config.json), or the file name without .json.
func SiteName(path string) string {
	parts := strings.Split(strings.ReplaceAll(path, "\\", "/"), "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2]
	}
	return strings.TrimSuffix(parts[0], ".json")
}
