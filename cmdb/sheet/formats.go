package sheet

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// A number format's kind decides how an XLSX number reaches the caller.
type formatKind uint8

const (
	keepFormat formatKind = iota // as excelize formats it: text, zero padding, durations
	general                      // the stored number in full, '.' for decimals
	date                         // 2026-12-07
	dateTime                     // 2026-12-07 14:30:00
	timeOfDay                    // 14:30:00
)

// isoFormats are the formats dates and times are read in, whatever the
// sheet shows: the same in every locale, and what an importer parses.
var isoFormats = map[formatKind]string{
	date:      "yyyy-mm-dd",
	dateTime:  "yyyy-mm-dd hh:mm:ss",
	timeOfDay: "hh:mm:ss",
}

// normaliseFormats rewrites, in the workbook excelize holds in memory
// (never saved), the number format of every cell style: dates and times
// to isoFormats, other number formats to General. excelize formats a
// cell by its style when the iterator reads it, so the values come out
// as the file's numbers rather than as one locale displays them: a sheet
// showing "1 234,50 kr" or "7 dec. 2026" gives "1234.5" and "2026-12-07".
// Text ("@"), zero padding ("00000": a serial number's leading zeros are
// part of it) and durations ("[h]:mm") keep their formats.
func normaliseFormats(f *excelize.File) error {
	st := f.Styles
	if st == nil || st.CellXfs == nil {
		return nil
	}
	custom := map[int]string{}
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			if nf == nil {
				continue
			}
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	// NewStyle adds to the styles, so the ones to rewrite are counted
	// first.
	n := len(st.CellXfs.Xf)
	ids := map[formatKind]int{general: 0}
	for kind, code := range isoFormats {
		idx, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return err
		}
		if id := st.CellXfs.Xf[idx].NumFmtID; id != nil {
			ids[kind] = *id
		}
	}
	for i := range n {
		xf := &st.CellXfs.Xf[i]
		if xf.NumFmtID == nil {
			continue
		}
		var kind formatKind
		if code, ok := custom[*xf.NumFmtID]; ok {
			kind = classify(code)
		} else {
			kind = builtInKind(*xf.NumFmtID)
		}
		if id, ok := ids[kind]; ok && kind != keepFormat {
			xf.NumFmtID = &id
		}
	}
	return nil
}

// builtInKind classifies the number formats a file names by ID only
// (ECMA-376 part 1, 18.8.30; 27-36 and 50-58 are the East Asian
// locales' dates and times).
func builtInKind(id int) formatKind {
	switch {
	case id == 0:
		return keepFormat // General already
	case id >= 1 && id <= 13, id >= 37 && id <= 44, id == 48:
		return general
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return date
	case id >= 18 && id <= 21, id >= 32 && id <= 35:
		return timeOfDay
	case id == 22:
		return dateTime
	}
	return keepFormat // 45-47 minutes and durations, 49 text, unknown IDs
}

// classify reads a custom number format code's first section (the one
// for positive numbers). Letters outside quotes are date and time codes
// in Excel's format language (text must be quoted or escaped), so y or d
// make a date, h or s a time, and m alone a month; [h], [m] and [s] are
// durations.
func classify(code string) formatKind {
	var letters, plain strings.Builder
	duration := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ';':
			i = len(code) // the first section only
			continue
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
			continue
		case '\\', '_', '*':
			i++ // an escaped character, a space as wide as it, a fill character
			continue
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				continue
			}
			if inner := strings.ToLower(code[i+1 : i+j]); inner != "" && strings.Trim(inner, "hms") == "" {
				duration = true
			}
			i += j
			continue
		}
		plain.WriteByte(c)
		if lc := c | 0x20; lc >= 'a' && lc <= 'z' {
			letters.WriteByte(lc)
		}
	}
	l := strings.ReplaceAll(letters.String(), "general", "")
	if duration {
		return keepFormat
	}
	hasDate := strings.ContainsAny(l, "yd")
	hasTime := strings.ContainsAny(l, "hs")
	switch {
	case hasDate && hasTime:
		return dateTime
	case hasDate:
		return date
	case hasTime:
		return timeOfDay
	case strings.Contains(l, "m"):
		return date // a month ("mmmm")
	}
	p := strings.TrimSpace(plain.String())
	if strings.Contains(p, "@") {
		return keepFormat
	}
	if len(p) > 1 && strings.Trim(p, "0") == "" {
		return keepFormat
	}
	return general
}
