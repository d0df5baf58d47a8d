package dsn

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                      string
		net, addr, user, db, pw string
		tls                     string
	}{
		{in: "root:s3cret@tcp(127.0.0.1:3307)/site", net: "tcp", addr: "127.0.0.1:3307", user: "root", db: "site", pw: "s3cret"},
		{in: "u:p@unix(/run/mysqld/mysqld.sock)/db1", net: "unix", addr: "/run/mysqld/mysqld.sock", user: "u", db: "db1", pw: "p"},
		{in: "mysql://u:p%40ss@db.example:3310/erp", net: "tcp", addr: "db.example:3310", user: "u", db: "erp", pw: "p@ss"},
		{in: "mariadb://u@db.example/erp", net: "tcp", addr: "db.example:3306", user: "u", db: "erp"},
		{in: "mariadb://u:p@localhost/erp?socket=/tmp/m.sock", net: "unix", addr: "/tmp/m.sock", user: "u", db: "erp", pw: "p"},
		{in: "mysql://u:p@h:3306/erp?tls=skip-verify", net: "tcp", addr: "h:3306", user: "u", db: "erp", pw: "p", tls: "skip-verify"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Net != tt.net || cfg.Addr != tt.addr || cfg.User != tt.user || cfg.DBName != tt.db || cfg.Passwd != tt.pw || cfg.TLSConfig != tt.tls {
				t.Errorf("Parse(%q) = net %q addr %q user %q db %q pw %q tls %q", tt.in, cfg.Net, cfg.Addr, cfg.User, cfg.DBName, cfg.Passwd, cfg.TLSConfig)
			}
		})
	}
}

func TestParseErrorsHidePassword(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "postgres://u:hunter2@h/db", "u:hunter2@tcp(h:3306", "u:hunter2@tcp(h:3306)/db?timeout=soon"} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q): no error", in)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q) error shows the password: %v", in, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) error is not one line: %q", in, err)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"root:hunter2@tcp(127.0.0.1:3306)/db", "root:xxx@tcp(127.0.0.1:3306)/db"},
		{"dial root:hunter2@unix(/s)/db failed", "dial root:xxx@unix(/s)/db failed"},
		{"mysql://root:hunter2@host/db", "mysql://root:xxx@host/db"},
		{`{"db_password": "hunter2"}`, `{"db_password": "xxx"}`},
		{"password=hunter2&x=1", "password=xxx&x=1"},
		{"root@tcp(h)/db", "root@tcp(h)/db"},
		{"no secrets here: 12:30 at noon", "no secrets here: 12:30 at noon"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
