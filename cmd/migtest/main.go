// Command migtest holds the developer commands over the example patch set
// of this repository (patches/): rehearse it on a disposable MariaDB,
// start a sandbox server, scaffold a new patch. They live apart from
// cmd/migrate so that the production binary links no disposable-server
// code. A team's own binary is this file with its own patches package.
package main

import (
	"context"
	"os"

	"github.com/migtest/migtest/migtest/cli/devcli"
	"github.com/migtest/migtest/patches"
)

func main() {
	os.Exit(devcli.Main(context.Background(), patches.Set, os.Args[1:], os.Stdout, os.Stderr))
}
