/*
 * Parsing of `-rtc` (see core/rtc.h). Dates are proleptic Gregorian, UTC,
 * from 1970-01-01 to the last second whose ns count fits in 64 bits
 * (2554-07-21T23:34:33).
 */
#include "core/rtc.h"

#include <stdio.h>
#include <string.h>

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned mon)
{
    static const unsigned char days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    return days[mon - 1] + (mon == 2 && is_leap(y));
}

/* Parse exactly `n` decimal digits. */
static bool digits(const char **s, unsigned n, unsigned *out)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(c - '0');
    }
    *s += n;
    *out = v;
    return true;
}

static bool expect(const char **s, char c)
{
    if (**s != c) {
        return false;
    }
    (*s)++;
    return true;
}

/* YYYY-MM-DD[THH:MM:SS] spanning exactly [s, end). */
static bool parse_datetime(const char *s, const char *end, uint64_t *ns)
{
    unsigned y, mon, d, h = 0, min = 0, sec = 0;

    if (!digits(&s, 4, &y) || !expect(&s, '-') || !digits(&s, 2, &mon) ||
        !expect(&s, '-') || !digits(&s, 2, &d)) {
        return false;
    }
    if (s != end && (!expect(&s, 'T') || !digits(&s, 2, &h) ||
                     !expect(&s, ':') || !digits(&s, 2, &min) ||
                     !expect(&s, ':') || !digits(&s, 2, &sec))) {
        return false;
    }
    if (s != end || y < 1970 || mon < 1 || mon > 12 || d < 1 ||
        d > days_in_month(y, mon) || h > 23 || min > 59 || sec > 59) {
        return false;
    }
    uint64_t days = d - 1;
    for (unsigned yy = 1970; yy < y; yy++) {
        days += is_leap(yy) ? 366 : 365;
    }
    for (unsigned mm = 1; mm < mon; mm++) {
        days += days_in_month(y, mm);
    }
    uint64_t secs = ((days * 24 + h) * 60 + min) * 60 + sec;
    if (secs > UINT64_MAX / 1000000000u) {
        return false;
    }
    *ns = secs * 1000000000u;
    return true;
}

bool core_rtc_parse_base(const char *arg, bool *use_host, uint64_t *ns)
{
    bool host = true;
    uint64_t when = 0;
    bool seen_base = false, seen_clock = false;

    if (!*arg) {
        return false;
    }

    for (const char *p = arg; *p;) {
        const char *end = strchr(p, ',');
        if (!end) {
            end = p + strlen(p);
        }
        size_t len = (size_t)(end - p);
        if (len > 5 && strncmp(p, "base=", 5) == 0 && !seen_base) {
            const char *v = p + 5;
            seen_base = true;
            if ((size_t)(end - v) == 3 && strncmp(v, "utc", 3) == 0) {
                host = true;
            } else if (parse_datetime(v, end, &when)) {
                host = false;
            } else {
                return false;
            }
        } else if (len == 8 && strncmp(p, "clock=vm", 8) == 0 && !seen_clock) {
            seen_clock = true;
        } else {
            return false;
        }
        p = *end ? end + 1 : end;
        if (*end && !*p) {
            return false;   /* trailing comma */
        }
    }
    *use_host = host;
    if (!host) {
        *ns = when;
    }
    return true;
}
