// Package assets holds the files gdprdesk embeds: demo data, checklist text
// and message templates. It imports nothing of the product.
package assets

import "embed"

// FS is the embedded file tree (demo/..., templates/...). "all:" keeps
// the templates whose names start with "_" (templates/letters/_common.L.txt),
// which a plain directory pattern would leave out.
//
//go:embed demo all:templates
var FS embed.FS
