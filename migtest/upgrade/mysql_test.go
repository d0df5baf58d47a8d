package upgrade

import (
	"context"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/snapshot"
)

// TestMySQLRoundTrip backs Sakila up on MySQL 9 with Backup and restores
// it on MySQL 9: the same schema and rows (MySQL's dump dialect: no
// sequences, utf8mb4_0900 collations, expression defaults).
func TestMySQLRoundTrip(t *testing.T) {
	matrixImages(t, "migtest/mysql:9")
	srv := start(t, "migtest/mysql:9")
	file := backup(t, sakila(t, srv))
	rep, err := Compare(context.Background(), file, srv, srv)
	if err != nil {
		t.Fatalf("Sakila backed up and restored on %s: %v", srv.Version(), err)
	}
	if !rep.Empty() {
		t.Errorf("Sakila restored twice from one backup differs:\n%s", rep)
	}
	// The backup restores what the stock load made.
	orig := sakila(t, srv)
	db, err := orig.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want, err := snapshot.Take(context.Background(), db, orig.Name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := restoreAndTake(context.Background(), file, srv)
	if err != nil {
		t.Fatal(err)
	}
	if d := snapshot.Compare(want, got.snap); !d.Empty() {
		t.Errorf("Sakila after Backup and Restore on %s differs from the original:\n%s", srv.Version(), d)
	}
}

// TestMySQLToMariaDB moves Sakila from MySQL 9 to MariaDB 11.8, as a team
// leaving MySQL would: every row arrives, and the report names what the
// move changed.
func TestMySQLToMariaDB(t *testing.T) {
	matrixImages(t, "migtest/mysql:9", "migtest/mariadb:11.8")
	from, to := start(t, "migtest/mysql:9"), start(t, "migtest/mariadb:11.8")
	file := backup(t, sakila(t, from))
	rep, err := Compare(context.Background(), file, from, to)
	if err != nil {
		t.Fatalf("MySQL 9 → MariaDB 11.8: %v", err)
	}
	t.Logf("\n%s", rep)
	for _, c := range rep.Schema.Changes {
		if c.Op == snapshot.RowsChanged {
			t.Errorf("rows differ after the move: %s", c)
		}
	}
	// What README's support table says the move reports.
	for _, want := range []string{"~ table actor: collation=utf8mb3_general_ci → collation=utf8mb3_uca1400_ai_ci", "~ sql_mode: ONLY_FULL_GROUP_BY,", "~ view actor_info: "} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
