package sheet

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// The generated inventory: a municipality's 12-column list of devices as
// a supplier delivers it, with Swedish letters, quoted cells (semicolons,
// quotes, line breaks) and mostly unique serial numbers, host names and
// addresses.
var (
	genHeader = []string{"Serienummer", "Inventarienummer", "Klass", "Modell", "Tillverkare", "Värdnamn",
		"IP-adress", "Plats", "Ägare", "Leverantör", "Inköpsdatum", "Anteckning"}
	genClasses   = []string{"Dator", "Server", "Skrivare", "Nätverksswitch", "Mobiltelefon"}
	genModels    = []string{"HP EliteBook 840 G10", "Dell PowerEdge R760", "Kyocera ECOSYS M3145dn", "Cisco Catalyst 9300-48P", "iPhone 15"}
	genMakers    = []string{"HP", "Dell", "Kyocera", "Cisco", "Apple"}
	genPlaces    = []string{"Växjö stadshus, plan 3", "Östra Lugnets skola", "Räddningstjänsten, Högstorp", "Äldreboendet Åbacken", "Serverhallen, Söder"}
	genOwners    = []string{"Åsa Öberg", "Per Ström", "Jönsson, Märta", "Örjan Ås", "Ylva Ängström"}
	genSuppliers = []string{"Atea Sverige AB", "Dustin AB", "Tele2 Sverige AB"}
	genEpoch     = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

// genRow is row i (0-based) of the generated inventory.
func genRow(i int) []string {
	note := ""
	switch {
	case i%50 == 0:
		note = "Rad ett\nrad två"
	case i%10 == 0:
		note = "Byttes skärm; garanti till 2027"
	case i%7 == 0:
		note = `Skärm 24" extra`
	}
	return []string{
		fmt.Sprintf("CZC%07d", i),
		strconv.Itoa(100000 + i),
		genClasses[i%len(genClasses)],
		genModels[i%len(genModels)],
		genMakers[i%len(genMakers)],
		fmt.Sprintf("VXO-PC%06d", i),
		fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
		genPlaces[i%len(genPlaces)],
		genOwners[i/3%len(genOwners)],
		genSuppliers[i%len(genSuppliers)],
		genEpoch.AddDate(0, 0, i%900).Format(time.DateOnly),
		note,
	}
}

// csvLine is a row as Swedish Excel saves it: semicolons, quoted where
// needed, CRLF, in Windows-1252.
func csvLine(cells []string) []byte {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(';')
		}
		if strings.ContainsAny(c, ";\"\r\n") {
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		} else {
			b.WriteString(c)
		}
	}
	b.WriteString("\r\n")
	// A line break inside a cell stays a line feed, as Excel writes it.
	out, err := charmap.Windows1252.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return out
}

// genCSV streams the inventory of n rows as CSV without holding it: the
// memory test measures the reader, not its input.
type genCSV struct {
	n, next int
	buf     []byte
}

func newGenCSV(n int) *genCSV { return &genCSV{n: n, buf: csvLine(genHeader)} }

func (g *genCSV) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.next == g.n {
			return 0, io.EOF
		}
		g.buf = csvLine(genRow(g.next))
		g.next++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// genXLSX writes the inventory of n rows as Excel writes a workbook:
// text in the shared strings, numbers as numbers, the dates as serial
// numbers in a date style (14, the locale's short date).
func genXLSX(w io.Writer, n int) error {
	zw := zip.NewWriter(w)
	part := func(name, content string) error {
		pw, err := zw.Create(name)
		if err == nil {
			_, err = io.WriteString(pw, content)
		}
		return err
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	for _, p := range [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ` + ns + ` xmlns:r="` + rel + `">` +
			`<sheets><sheet name="Inventarie" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="` + rel + `/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="` + rel + `/styles" Target="styles.xml"/>` +
			`<Relationship Id="rId3" Type="` + rel + `/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet ` + ns + `>` +
			`<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>` +
			`<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
			`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`},
	} {
		if err := part(p[0], p[1]); err != nil {
			return err
		}
	}
	strs := map[string]int{}
	var order []string
	index := func(s string) int {
		i, ok := strs[s]
		if !ok {
			i = len(order)
			strs[s] = i
			order = append(order, s)
		}
		return i
	}
	sw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ` + ns + `><sheetData>`)
	row := func(r int, cells []string) {
		fmt.Fprintf(&b, `<row r="%d" spans="1:12">`, r)
		for c, v := range cells {
			ref := string(rune('A'+c)) + strconv.Itoa(r)
			switch {
			case v == "":
			case r > 1 && c == 1:
				fmt.Fprintf(&b, `<c r="%s"><v>%s</v></c>`, ref, v)
			case r > 1 && c == 10:
				d, _ := time.Parse(time.DateOnly, v)
				fmt.Fprintf(&b, `<c r="%s" s="1"><v>%d</v></c>`, ref, int(d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours()/24))
			default:
				fmt.Fprintf(&b, `<c r="%s" t="s"><v>%d</v></c>`, ref, index(v))
			}
		}
		b.WriteString(`</row>`)
	}
	row(1, genHeader)
	for i := range n {
		row(i+2, genRow(i))
		if b.Len() > 64<<10 {
			if _, err := sw.Write(b.Bytes()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.WriteString(`</sheetData></worksheet>`)
	if _, err := sw.Write(b.Bytes()); err != nil {
		return err
	}
	ssw, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	b.Reset()
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst %s count="%d" uniqueCount="%d">`, ns, len(order), len(order))
	for _, s := range order {
		b.WriteString(`<si><t xml:space="preserve">`)
		xmlEscaper.WriteString(&b, s)
		b.WriteString(`</t></si>`)
	}
	b.WriteString(`</sst>`)
	if _, err := ssw.Write(b.Bytes()); err != nil {
		return err
	}
	return zw.Close()
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
