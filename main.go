// Command gdprdesk runs GDPR compliance for a small business from a
// terminal: contacts and their lawful bases, consent proof, the request
// inbox, erasure, the readiness checklist and access packages.
//
// The command line lives in internal/cli; this file only starts it.
package main

import (
	"os"
	_ "time/tzdata" // the timezone setting works where the system has no zone files (Windows)

	"github.com/gdprdesk/gdprdesk/internal/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:]))
}
