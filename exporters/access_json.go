package exporters

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteAccessJSON writes the package as one JSON document (schema
// "gdprdesk.access/v2", see docs/access-package.md), indented for reading.
// JSON is data, not a spreadsheet: values are written exactly as held,
// without formula neutralization.
func WriteAccessJSON(w io.Writer, p *AccessPackage) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write access package JSON: %w", err)
	}
	return nil
}
