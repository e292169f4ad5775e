package sheet

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// A number format's kind decides how an XLSX number reaches the caller.
type formatKind uint8

const (
	keepFormat formatKind = iota // as excelize formats it: zero padding, durations, unknown formats
	general                      // the stored value: a number in full with '.' for decimals, text as it is
	date                         // 2026-12-07
	dateTime                     // 2026-12-07 14:30:05
	timeOfDay                    // 14:30:05
)

// rawFormat is a number format ID no workbook defines and Excel does not
// build in: excelize gives a cell whose format it does not know its value
// as stored (a number written in full by strconv, which is what General
// shows too), without parsing a format code for every cell.
const rawFormat = -1

// normaliseFormats rewrites, in the workbook excelize holds in memory
// (never saved), the number format of every cell style whose numbers
// should reach the caller as stored: all but zero padding ("00000", a
// serial number's leading zeros are part of it) and durations ("[h]:mm").
// The values then come out as the file's numbers, not as one locale
// shows them: a sheet showing "1 234,50 kr" or "25 %" gives "1234.5" and
// "0.25". It returns each style's kind, by the style's index (a cell's s
// attribute): dates and times are stored as serial numbers, and the
// formula scan, which sees each cell's style, finds the cells that
// xlsxSource turns into ISO dates and times (excelize would format them
// by parsing the format code and looking up its locale at every cell, a
// third of the reading's time).
func normaliseFormats(f *excelize.File) []formatKind {
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
	kinds := make([]formatKind, len(st.CellXfs.Xf))
	for i := range st.CellXfs.Xf {
		xf := &st.CellXfs.Xf[i]
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		if code, ok := custom[id]; ok {
			kinds[i] = classify(code)
		} else {
			kinds[i] = builtInKind(id)
		}
		if kinds[i] != keepFormat {
			raw := rawFormat
			xf.NumFmtID = &raw
		}
	}
	return kinds
}

// excelEpoch is day 0 of Excel's 1900 date system; its 1904 system (old
// Macs) counts from 1904-01-01.
var (
	excelEpoch     = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	excelEpoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// maxSerial is 10000-01-01, the first day Excel cannot show.
const maxSerial = 2958466

// excelTime writes a date or time serial number as ISO 8601 does, to the
// second; a value that is no serial number stays as it is.
func excelTime(v string, kind formatKind, date1904 bool) string {
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 0 || serial >= maxSerial {
		return v
	}
	epoch := excelEpoch
	switch {
	case date1904:
		epoch = excelEpoch1904
	case serial < 61:
		// Excel counts a 29 February 1900 that never was (as Lotus 1-2-3
		// did): the days before it are one later than their serials say.
		epoch = epoch.AddDate(0, 0, 1)
	}
	// Days and seconds apart: ten thousand years of nanoseconds overflow
	// a Duration.
	days := math.Floor(serial)
	t := epoch.AddDate(0, 0, int(days)).Add(time.Duration(math.Round((serial-days)*86400)) * time.Second)
	switch kind {
	case date:
		return t.Format(time.DateOnly)
	case timeOfDay:
		return t.Format(time.TimeOnly)
	}
	return t.Format(time.DateTime)
}

// builtInKind classifies the number formats a file names by ID only
// (ECMA-376 part 1, 18.8.30; 27-36 and 50-58 are the East Asian
// locales' dates and times).
func builtInKind(id int) formatKind {
	switch {
	case id >= 0 && id <= 13, id >= 37 && id <= 44, id == 48, id == 49:
		return general // General, numbers, text
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 58:
		return date
	case id >= 18 && id <= 21, id >= 32 && id <= 35:
		return timeOfDay
	case id == 22:
		return dateTime
	}
	return keepFormat // 45-47 minutes and durations, unknown IDs
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
	if p := strings.TrimSpace(plain.String()); len(p) > 1 && strings.Trim(p, "0") == "" {
		return keepFormat
	}
	return general
}
