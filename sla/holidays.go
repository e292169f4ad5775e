package sla

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/ecb"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// countries maps a holiday code to the national holiday list of
// github.com/rickar/cal/v2. Only the definitions are used: rickar's own
// business-hours arithmetic is wrong on DST days and walks day by day.
var countries = map[string][]*cal.Holiday{
	"ar": ar.Holidays, "at": at.Holidays, "be": be.Holidays, "bg": bg.Holidays,
	"br": br.Holidays, "ca": ca.Holidays, "ch": ch.Holidays, "cz": cz.Holidays,
	"de": de.Holidays, "dk": dk.Holidays, "ecb": ecb.Holidays, "es": es.Holidays,
	"fr": fr.Holidays, "gb": gb.Holidays, "gr": gr.Holidays, "hr": hr.Holidays,
	"ie": ie.Holidays, "it": it.Holidays, "jp": jp.Holidays, "lt": lt.Holidays,
	"lv": lv.Holidays, "mw": mw.Holidays, "nc": nc.Holidays, "nl": nl.Holidays,
	"no": no.Holidays, "nz": nz.Holidays, "pl": pl.Holidays, "ro": ro.Holidays,
	"ru": ru.Holidays, "se": se.Holidays, "si": si.Holidays, "sk": sk.Holidays,
	"ua": ua.Holidays, "us": us.Holidays, "za": za.Holidays,
}

// Countries returns the holiday codes a CalendarSpec may name, sorted: the
// ISO 3166 country codes supported by github.com/rickar/cal/v2, and "ecb"
// for the TARGET holidays of the European Central Bank.
func Countries() []string {
	codes := make([]string, 0, len(countries))
	for c := range countries {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// holidayCache holds, per code, the sorted day numbers of every holiday in
// the calendar years. They are computed once per process: hundreds of years of
// Easter arithmetic is too slow to repeat for every calendar.
var holidayCache sync.Map // code -> func() []int64

// holidayDays returns the sorted, distinct day numbers on which the code's
// holidays fall (actual or observed dates) from FirstYear through LastYear.
// The result is shared and must not be modified.
func holidayDays(code string) ([]int64, bool) {
	defs, ok := countries[code]
	if !ok {
		return nil, false
	}
	once, _ := holidayCache.LoadOrStore(code, sync.OnceValue(func() []int64 {
		var days []int64
		add := func(y, m, d int) {
			if y >= FirstYear && y <= LastYear {
				days = append(days, daysFromCivil(Date{y, time.Month(m), d}))
			}
		}
		// Observed dates may move into the neighbouring year, so the years
		// just outside the range are computed too.
		for year := FirstYear - 1; year <= LastYear+1; year++ {
			for _, h := range defs {
				act, obs := h.Calc(year)
				if !act.IsZero() {
					y, m, d := act.Date()
					add(y, int(m), d)
				}
				if !obs.IsZero() {
					y, m, d := obs.Date()
					add(y, int(m), d)
				}
			}
		}
		slices.Sort(days)
		return slices.Compact(days)
	}))
	return once.(func() []int64)(), true
}
