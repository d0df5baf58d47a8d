package sqlpatch_test

import (
	"fmt"
	"testing/fstest"

	"github.com/migtest/migtest/migtest/sqlpatch"
)

// A goose directory as patches: one per file, in version order, with the
// up statements only.
func ExampleLoad() {
	fsys := fstest.MapFS{
		"migrations/00002_add_email.sql": {Data: []byte(`-- +goose Up
ALTER TABLE users ADD COLUMN email VARCHAR(190) NULL;
UPDATE users SET email = CONCAT(name, '@example.com');

-- +goose Down
ALTER TABLE users DROP COLUMN email;
`)},
		"migrations/00001_create_users.sql": {Data: []byte(`-- +goose Up
-- +goose StatementBegin
CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL);
-- +goose StatementEnd
`)},
	}
	ms, err := sqlpatch.Load(fsys, "migrations", sqlpatch.Goose)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range ms {
		fmt.Println(m.ID(), m.Version, len(m.Statements))
	}
	// Output:
	// goose:00001_create_users 1 1
	// goose:00002_add_email 2 2
}
