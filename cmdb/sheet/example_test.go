package sheet_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spoc-itsm/spoc/cmdb/sheet"
)

// A supplier's inventory as Swedish Excel saves "CSV (semicolon
// delimited)": Windows-1252, semicolons, CRLF, a quoted cell with a line
// break. The importer reads it row by row, and a refused row does not
// stop the others.
func Example() {
	file := "Serienummer;Modell;Plats\r\n" +
		"SN-1;Dell Latitude 7440;V\xe4xj\xf6\r\n" +
		"SN-2;\"=HYPERLINK(\"\"http://x\"\")\";G\xf6teborg\r\n" +
		"SN-3;\"HP EliteBook\r\n840 G10\";Malm\xf6\r\n"
	r, err := sheet.NewReader(strings.NewReader(file), sheet.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println(r.Encoding(), r.Header())
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var e *sheet.Error
		if errors.As(err, &e) && !e.Fatal {
			fmt.Println("refused:", e)
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("row %d: %q\n", row.Number, row.Cells)
	}
	// Output:
	// windows-1252 [Serienummer Modell Plats]
	// row 2: ["SN-1" "Dell Latitude 7440" "Växjö"]
	// refused: row 3, column 2 (Modell): a formula, not a value: "=HYPERLINK(\"http://x\")" starts as a formula does; if it is text, start it with another character
	// row 4: ["SN-3" "HP EliteBook\n840 G10" "Malmö"]
}
