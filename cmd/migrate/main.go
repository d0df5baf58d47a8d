// Command migrate runs the example patch set of this repository (patches/)
// against a MariaDB database: status, plan, up with backup, verify,
// rollback and the other production commands of migtest/cli. It links no
// disposable-server or test code (the developer commands are cmd/migtest).
// A team's own binary is this file with its own patches package.
package main

import (
	"context"
	"os"

	"github.com/migtest/migtest/migtest/cli"
	"github.com/migtest/migtest/patches"
)

func main() {
	os.Exit(cli.Main(context.Background(), patches.Set, os.Args[1:], os.Stdout, os.Stderr))
}
