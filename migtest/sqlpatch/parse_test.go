package sqlpatch_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/migtest/migtest/migtest/sqlpatch"
)

func load(t *testing.T, dir string, f sqlpatch.Format) []sqlpatch.Migration {
	t.Helper()
	ms, err := sqlpatch.Load(os.DirFS("testdata"), dir, f)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestLoadGooseMySQL(t *testing.T) {
	ms := load(t, "goose-mysql", sqlpatch.Goose)
	type want struct {
		id    string
		n     int
		noTx  bool
		first string
	}
	wants := []want{
		// goose sends this StatementBegin block of two CREATE TABLEs in one
		// multi-statement call; migtest sends two statements.
		{"goose:00001_table", 2, false, "CREATE TABLE owners ("},
		{"goose:00002_insert", 3, false, "INSERT INTO owners (owner_name, owner_type)\nVALUES\n  ('lucas'"},
		{"goose:00003_alter", 2, false, "ALTER TABLE repos \n    ADD COLUMN IF NOT EXISTS homepage_url TEXT"},
		{"goose:00004_empty", 0, false, ""},
		{"goose:00005_no_tx", 1, true, "CREATE UNIQUE INDEX owners_owner_name_idx ON owners(owner_name)"},
		// A stored program is one statement, its semicolons included.
		{"goose:00006_complex", 1, false, "CREATE OR REPLACE PROCEDURE insert_repository("},
	}
	if len(ms) != len(wants) {
		t.Fatalf("%d migrations, want %d", len(ms), len(wants))
	}
	for i, w := range wants {
		m := ms[i]
		if m.ID() != w.id || len(m.Statements) != w.n || m.NoTransaction != w.noTx || m.Version != strings.TrimLeft(w.id[6:11], "0") {
			t.Errorf("#%d: %s version %s, %d statements, no tx %v; want %+v", i, m.ID(), m.Version, len(m.Statements), m.NoTransaction, w)
			continue
		}
		if w.n > 0 && !strings.HasPrefix(m.Statements[0], w.first) {
			t.Errorf("%s starts %q, want %q", m.ID(), m.Statements[0], w.first)
		}
	}
	proc := ms[5].Statements[0]
	if !strings.HasSuffix(proc, "END") || !strings.Contains(proc, "SET v_owner_id = LAST_INSERT_ID();") {
		t.Errorf("the procedure was not kept whole:\n%s", proc)
	}
}

func TestLoadFlyway(t *testing.T) {
	ms := load(t, "flyway", sqlpatch.Flyway)
	var got []string
	for _, m := range ms {
		got = append(got, m.Version+" "+m.ID()+" "+m.Description)
	}
	want := []string{"1 flyway:V1__create_accounts create accounts", "1.1 flyway:V1.1__audit_trigger audit trigger",
		"1.2 flyway:V1_2__between between", "1.10 flyway:V1_10__later later"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("migrations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(ms[0].Statements); n != 2 {
		t.Errorf("V1 has %d statements, want 2 (a ; in a string does not split)", n)
	}
	trig := ms[1].Statements
	if len(trig) != 3 || !strings.HasPrefix(trig[1], "CREATE TRIGGER") || !strings.HasSuffix(trig[1], "END") {
		t.Errorf("the DELIMITER block: %q", trig)
	}
}

// TestFlywayChecksum checks the checksum on what Flyway's ChecksumCalculator
// computes: the CRC-32 of the lines without their ends, so that CRLF and LF
// files and a missing last newline give the same value.
func TestFlywayChecksum(t *testing.T) {
	a := sqlpatch.FlywayChecksum([]byte("CREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);\n"))
	for _, same := range []string{"CREATE TABLE t (id INT);\r\nINSERT INTO t VALUES (1);\r\n", "\ufeffCREATE TABLE t (id INT);\nINSERT INTO t VALUES (1);"} {
		if b := sqlpatch.FlywayChecksum([]byte(same)); b != a {
			t.Errorf("%q: %d, want %d", same, b, a)
		}
	}
	// Python: zlib.crc32(b"CREATE TABLE t (id INT);" b"INSERT INTO t VALUES (1);").
	if a != 194980085 {
		t.Errorf("checksum %d, want 194980085", a)
	}
	if b := sqlpatch.FlywayChecksum([]byte("CREATE TABLE t (id INT);\nINSERT INTO t VALUES (2);\n")); b == a {
		t.Error("a changed file has the same checksum")
	}
}

func TestGooseBlockWithComments(t *testing.T) {
	fsys := fstest.MapFS{"m/00001_p.sql": &fstest.MapFile{Data: []byte("-- +goose Up\n-- +goose StatementBegin\n-- a procedure\n\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n-- +goose StatementEnd\n")}}
	ms, err := sqlpatch.Load(fsys, "m", sqlpatch.Goose)
	if err != nil {
		t.Fatal(err)
	}
	if st := ms[0].Statements; len(st) != 1 || !strings.HasPrefix(st[0], "CREATE PROCEDURE p()") || !strings.HasSuffix(st[0], "END") {
		t.Errorf("statements %q", st)
	}
}

func TestLoadGolangMigrate(t *testing.T) {
	ms := load(t, "migrate-mysql", sqlpatch.GolangMigrate)
	if len(ms) != 1 || ms[0].ID() != "golang-migrate:1_init" || ms[0].Version != "1" || len(ms[0].Statements) != 1 {
		t.Fatalf("%+v", ms)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, c := range map[string]struct {
		format sqlpatch.Format
		files  map[string]string
		want   string
	}{
		"no up":              {sqlpatch.Goose, map[string]string{"00001_a.sql": "CREATE TABLE a (id int);\n"}, "no '-- +goose Up'"},
		"two ups":            {sqlpatch.Goose, map[string]string{"00001_a.sql": "-- +goose Up\nSELECT 1;\n-- +goose Up\n"}, "line 3: a second '-- +goose Up'"},
		"open block":         {sqlpatch.Goose, map[string]string{"00001_a.sql": "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n"}, "line 2: '-- +goose StatementBegin' without StatementEnd"},
		"indented":           {sqlpatch.Goose, map[string]string{"00001_a.sql": "  -- +goose Up\n"}, "must start the line"},
		"unknown annotation": {sqlpatch.Goose, map[string]string{"00001_a.sql": "-- +goose Sideways\n"}, "unknown goose annotation"},
		"envsub":             {sqlpatch.Goose, map[string]string{"00001_a.sql": "-- +goose Up\n-- +goose ENVSUB ON\nSELECT '${X}';\n"}, "ENVSUB' is not supported"},
		"down first":         {sqlpatch.Goose, map[string]string{"00001_a.sql": "-- +goose Down\nDROP TABLE a;\n"}, "must follow the Up section"},
		"same version":       {sqlpatch.Goose, map[string]string{"001_a.sql": "-- +goose Up\n", "1_b.sql": "-- +goose Up\n"}, "the same version 1"},
		"unterminated":       {sqlpatch.GolangMigrate, map[string]string{"1_a.up.sql": "INSERT INTO a VALUES ('x);\n"}, "unterminated '"},
		"repeatable":         {sqlpatch.Flyway, map[string]string{"R__views.sql": "CREATE VIEW v AS SELECT 1;"}, "repeatable migration (R__) is not supported"},
		"flyway version":     {sqlpatch.Flyway, map[string]string{"V1a__x.sql": "SELECT 1;"}, `Flyway version "1a"`},
		"flyway name":        {sqlpatch.Flyway, map[string]string{"V1_x.sql": "SELECT 1;"}, "V<version>__<description>.sql"},
	} {
		fsys := fstest.MapFS{}
		for n, body := range c.files {
			fsys["m/"+n] = &fstest.MapFile{Data: []byte(body)}
		}
		_, err := sqlpatch.Load(fsys, "m", c.format)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "m/") {
			t.Errorf("%s: error %v, want one naming the file and saying %q", name, err, c.want)
		}
	}
	if _, err := sqlpatch.Load(fstest.MapFS{}, "nowhere", sqlpatch.Goose); err == nil {
		t.Error("a missing directory loaded")
	}
	if _, err := sqlpatch.ParseFormat("liquibase"); err == nil || !strings.Contains(err.Error(), "goose, golang-migrate or flyway") {
		t.Errorf("ParseFormat: %v", err)
	}
}
