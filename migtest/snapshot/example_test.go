package snapshot_test

import (
	"fmt"

	"github.com/migtest/migtest/migtest/snapshot"
)

func ExampleCompare() {
	before, _ := snapshot.Parse([]byte(`# migtest snapshot v1

table tabCustomer rows=1000 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci
  column name varchar(140) NOT NULL
  column age int NULL
  index PRIMARY UNIQUE (name)
  index idx_x (age)
`))
	after, _ := snapshot.Parse([]byte(`# migtest snapshot v1

table tabCustomer rows=1005 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci
  column name varchar(140) NOT NULL
  column age bigint NULL
  column custom_region varchar(140) NULL DEFAULT 'EMEA'
  index PRIMARY UNIQUE (name)

table tabNew rows=0 engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci
  column id int NOT NULL

patch v1_0.add_custom_region
`))
	d := snapshot.Compare(before, after)
	fmt.Println(d)
	fmt.Println("schema unchanged:", d.SchemaEmpty())
	// Output:
	// ~ column tabCustomer.age: int NULL → bigint NULL
	// + column tabCustomer.custom_region varchar(140) NULL DEFAULT 'EMEA'
	// - index tabCustomer.idx_x
	// + table tabNew engine=InnoDB charset=utf8mb4 collation=utf8mb4_unicode_ci
	// + column tabNew.id int NOT NULL
	// + patch v1_0.add_custom_region
	// rows tabCustomer 1000 → 1005
	// rows tabNew 0 → 0 (new table)
	// schema unchanged: false
}
