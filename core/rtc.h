/*
 * The `-rtc` option: where the guest's real-time clock starts.
 *
 * QEMU spells it `-rtc base=utc|localtime|DATETIME[,clock=host|rt|vm]`.
 * rewind's RTC always runs on virtual time (QEMU's clock=vm), so that is
 * the only clock accepted; base=utc (the default) starts it at the host's
 * wall clock, read once through the input door (core/input.h), and
 * base=YYYY-MM-DDTHH:MM:SS or base=YYYY-MM-DD (UTC) pins it, which makes
 * a run independent of when it happens. base=localtime needs the host's
 * time zone and is refused.
 *
 * Usage:
 *     bool host; uint64_t ns;
 *     if (!core_rtc_parse_base(optarg, &host, &ns)) error...
 *     if (!host) core_input_set_wallclock(m->input, ns);
 */
#ifndef CORE_RTC_H
#define CORE_RTC_H

#include "core/types.h"

/* Parse the argument of -rtc. On success *use_host says whether the host
   clock gives the start time; if not, *ns is the start time in ns since
   the Unix epoch. False if the argument is malformed or asks for
   something unsupported (outputs unchanged). */
bool core_rtc_parse_base(const char *arg, bool *use_host, uint64_t *ns);

#endif
