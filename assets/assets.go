// Package assets holds the files gdprdesk embeds: demo data, checklist text
// and message templates. It imports nothing of the product.
package assets

import "embed"

// FS is the embedded file tree (demo/...).
//
//go:embed demo templates
var FS embed.FS
