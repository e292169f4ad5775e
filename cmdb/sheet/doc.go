// Package sheet reads the inventories suppliers deliver (CM-3): a table
// whose first row names the columns, as CSV the way Excel saves it or as
// an XLSX workbook. It streams: a Reader holds one row and its buffers,
// not the file, and Next gives the rows one by one with the row numbers
// Excel shows, so that every refusal can say where the supplier finds the
// problem. It knows nothing of the CMDB: which column is which attribute,
// and what a value must look like, is the importer's business. Of spoc it
// knows only the error codes its refusals carry (itsm.CodeInvalid, 400
// over HTTP).
//
// # CSV
//
// The encoding is UTF-8 when the file starts with a byte order mark.
// Otherwise it is decided at the first byte outside ASCII, however far
// into the file (the rows before read alike in both encodings): UTF-8
// when the 64 KiB from there are valid UTF-8, Windows-1252 (Swedish
// Excel's "CSV (semicolon delimited)") when they are not. A byte that is
// not UTF-8 after a UTF-8 decision is refused with its row and column,
// never read as something else, and so is one of the five bytes
// Windows-1252 assigns no character. UTF-16 files (Excel's "Unicode
// text") and legacy .xls workbooks are refused with the way to save them
// instead. Encoding tells the decision.
//
// The delimiter is, unless Options.Comma gives it, the most frequent of
// ';', tab and ',' outside quotes on the header line: ';' on a tie and
// when there is none (a one-column file). Quoting is Excel's: a cell with
// the delimiter, a quote or a line break is quoted, its quotes doubled; a
// quote anywhere else refuses its row. A quoted cell may span lines, and
// the record is one row however many lines it takes: Row.Number counts
// rows as Excel does, empty lines included, not lines of the file. A row
// may take as many bytes as its cells may hold at most (MaxCell for each
// column, every character a doubled quote): beyond that, a quote that is
// never closed is told as such rather than read to the end of the file.
//
// # XLSX
//
// Options.Sheet picks a sheet by the name on its tab, letter case aside;
// "" reads the first worksheet. Hidden rows and sheets are read as any
// other; a merged cell's value is in its first cell. Cells give:
//
//   - text as it is;
//   - numbers as stored, not as the sheet shows them: "1234.5" for a cell
//     showing "1 234,50 kr", "0.25" for "25 %", with '.' for decimals
//     and Excel's 15 significant digits; except number formats that only
//     pad with zeros ("00000"), whose leading zeros are part of a serial
//     number ("00042"), and durations ("[h]:mm"), which excelize formats;
//   - numbers in a date or time style as ISO 8601, whatever the locale
//     showed: "2026-12-07", "2026-12-07 14:30:05", "14:30:05" (1900 and
//     1904 date systems);
//   - booleans as "TRUE" and "FALSE";
//   - formulas as the value Excel computed and saved with them. A formula
//     without one (a file written by a program that cannot compute, never
//     opened in Excel) refuses its row: open it in Excel and save it.
//
// The workbook is copied to a temporary file (a zip archive is read from
// its end), which Close removes with the ones excelize makes. It may have
// 256 MiB, and 1 GiB unzipped, checked on the archive's directory before
// anything is unzipped; each part excelize keeps in memory (all but the
// worksheets and the shared strings) at most 16 MiB. Worksheets and
// shared strings over 1 MiB excelize unzips to temporary files and reads
// from there; what it keeps in memory grows only with the shared strings,
// about 40 bytes for each distinct text (an offset into its file): some
// 13 MB for 100,000 rows with three unique texts each. The rows themselves
// stream, through excelize's iterator and a scan of the same sheet beside
// it that finds what the iterator hides (formulas without a value, the
// cells' date and time styles).
//
// # Rows and cells
//
// The header is the first row that is not blank. Its names are trimmed
// and must be there and differ, letter case aside; empty cells after the
// last name are not columns (Excel writes them when a row below is
// wider). At most MaxColumns (256) columns are read.
//
// Rows whose cells are all empty are skipped, and counted. A row has a
// cell for each column: empty cells beyond the header are tolerated, a
// value beyond it refuses the row naming its column, and a CSV row with
// fewer cells than the header is refused (an XLSX row ends at its last
// value, its missing cells are empty). Cells are trimmed of white space,
// the non-breaking space included. A cell is refused when it holds a
// control character other than tab and line feed (NUL, a carriage return
// alone), is longer than MaxCell bytes (32 KiB), is one of Excel's error
// values (#N/A, #REF!, ...), or would be a formula if the value went back
// into a spreadsheet: it starts with '=' or '@', or with '+' or '-' and
// holds more than a number or a phone number does ("-12", "+46 8 123 45
// 67" and "-" are values; "+A1" is not). The same rules hold for both
// formats.
//
// # Errors
//
// Every error is an *Error (Row, Column, Name: where; Err: what, wrapping
// one of the Err values) wrapped in an *itsm.Error of CodeInvalid, or of
// CodeUnavailable when reading the file itself failed. A row error
// refuses its row only: Next may be called again for the rows after it,
// so that an import can report every refused row. An error that ends the
// reading (the file cut short, a row too long, a broken workbook) has
// Fatal set, and Next returns it again.
package sheet
