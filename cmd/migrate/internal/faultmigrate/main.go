// Command faultmigrate is cmd/migrate over a test-only patch set chosen by
// the FAULT_SET environment variable (see faultpatches.Set). The
// reliability tests of cmd/migrate build and drive it; it is not shipped.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/migtest/migtest/cmd/migrate/internal/faultpatches"
	"github.com/migtest/migtest/migtest/cli"
)

func main() {
	set, err := faultpatches.Set(os.Getenv("FAULT_SET"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "faultmigrate:", err)
		os.Exit(cli.ExitUsage)
	}
	os.Exit(cli.Main(context.Background(), set, os.Args[1:], os.Stdout, os.Stderr))
}
