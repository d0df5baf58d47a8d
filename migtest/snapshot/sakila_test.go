package snapshot_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/migtest/snapshot"
)

// sakilaDir finds shared/data/sakila beside the repository, or skips.
func sakilaDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(filepath.Dir(dir), "shared", "data", "sakila")
			if _, err := os.Stat(filepath.Join(p, "sakila-schema.sql")); err == nil {
				return p
			}
			break
		}
	}
	t.Skip("no ../shared/data/sakila beside the repository")
	return ""
}

// mariadbClient runs the mariadb command-line client on the database with
// sql as its input (it understands DELIMITER, which the driver does not).
func mariadbClient(t *testing.T, dsn string, sql io.Reader) {
	t.Helper()
	bin, err := exec.LookPath("mariadb")
	if err != nil {
		if bin, err = exec.LookPath("mysql"); err != nil {
			t.Skip("no mariadb client on PATH")
		}
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-defaults", "--user=" + cfg.User, "--default-character-set=utf8mb4"}
	if cfg.Net == "unix" {
		args = append(args, "--socket="+cfg.Addr)
	} else {
		host, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "--protocol=tcp", "--host="+host, "--port="+port)
	}
	cmd := exec.CommandContext(t.Context(), bin, append(args, cfg.DBName)...)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+cfg.Passwd)
	cmd.Stdin = sql
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mariadb client: %v\n%s", err, out)
	}
}

var sakilaSchemaLines = regexp.MustCompile(`(?m)^(DROP SCHEMA|CREATE SCHEMA|USE) .*$`)

// TestTakeSakila loads the Sakila sample (tables, views, triggers,
// routines, FULLTEXT and SPATIAL indexes; with -short, without its 47,000
// rows) into a fresh database and takes its snapshot.
func TestTakeSakila(t *testing.T) {
	t.Parallel()
	dir := sakilaDir(t)
	d, db := servertest.NewDatabase(t)
	schema, err := os.ReadFile(filepath.Join(dir, "sakila-schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	// Load into this test's database rather than `sakila`.
	schema = sakilaSchemaLines.ReplaceAll(schema, nil)
	schema = bytes.ReplaceAll(schema, []byte("sakila."), nil)
	mariadbClient(t, d.DSN, bytes.NewReader(schema))
	withData := !testing.Short()
	if withData {
		f, err := os.Open(filepath.Join(dir, "sakila-data.sql.gz"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		mariadbClient(t, d.DSN, bytes.NewReader(sakilaSchemaLines.ReplaceAll(data, nil)))
	}

	s := take(t, db, d.Name)
	text := string(s.Format())
	t.Logf("sakila: %d tables, %d views, %d triggers, %d routines, %d bytes", len(s.Tables), len(s.Views), len(s.Triggers), len(s.Routines), len(text))
	if len(s.Tables) != 16 || len(s.Views) != 7 || len(s.Triggers) != 6 || len(s.Routines) != 6 {
		t.Errorf("got %d tables, %d views, %d triggers, %d routines; want 16, 7, 6, 6", len(s.Tables), len(s.Views), len(s.Triggers), len(s.Routines))
	}
	for _, want := range []string{
		"  index idx_title_description FULLTEXT (title, description)\n",
		"  fk fk_film_actor_film (film_id) REFERENCES film (film_id) ON UPDATE CASCADE\n",
		"  column last_update timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()\n",
		"  column rating enum('G','PG','PG-13','R','NC-17') NULL DEFAULT 'G'\n",
		"  column special_features set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes') NULL\n",
		"trigger ins_film ON film AFTER INSERT\n  | BEGIN\n",
		"function get_customer_balance (p_customer_id int, p_effective_date datetime) returns=decimal(5,2) deterministic sql='READS SQL DATA'\n",
		"procedure film_in_stock (IN p_film_id int, IN p_store_id int, OUT p_film_count int) sql='READS SQL DATA'\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("sakila snapshot lacks %q", want)
		}
	}
	if strings.Contains(text, d.Name) {
		t.Errorf("the snapshot names the database %s", d.Name)
	}
	if withData {
		rows := map[string]int64{}
		for _, tb := range s.Tables {
			rows[tb.Name] = tb.Rows
		}
		for table, want := range map[string]int64{"actor": 200, "film": 1000, "rental": 16044, "payment": 16049, "film_text": 1000} {
			if rows[table] != want {
				t.Errorf("rows of %s = %d, want %d", table, rows[table], want)
			}
		}
	}
	p, err := snapshot.Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if again := string(p.Format()); again != text {
		t.Error("Format(Parse(Format(sakila))) differs")
	}
	if diff := snapshot.Compare(p, take(t, db, d.Name)); !diff.Empty() {
		t.Errorf("the parsed snapshot differs from a new Take:\n%s", diff)
	}
}
