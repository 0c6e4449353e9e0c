/*
 * Validation of what a trace says, as data: the rules every event of a
 * frame must follow (docs/trace-format.md, "Events"), strict parsing of
 * numbers found in metadata, and opening trace files without blocking.
 *
 * A trace comes from CI artifacts and colleagues, so nothing in it is
 * trusted: a wrong field is corruption reported with where it is, never
 * an assertion and never an allocation sized by the file. The reader runs
 * tdb_frame_check() over a whole decompressed frame before returning any
 * of its events:
 *
 *     TdbFrameRules rules = { .harts = 2, .first_frame = false, ... };
 *     char buf[200];
 *     const char *bad = tdb_frame_check(&rules, raw, len, buf, sizeof(buf));
 *     if (bad) ... the frame is corrupt, `bad` says which event and why
 *
 * Stream rules checked here: each event decodes (tdb_cursor_next) and has
 * a known kind and payload size (tdb_event_check: SERIAL_RX port below
 * TDB_SERIAL_PORTS); its hart is below the recorded hart count; META is
 * the first event of the trace, at icount 0, and only it; END is the last
 * event of the final frame; after SHUTDOWN only END may follow (in the
 * same frame, or as the lone event of the next one); a CHECKPOINT names
 * its own icount; the count and icount range agree with the header.
 */
#include "tracedb/tracedb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool tdb_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s || (s[0] == '0' && s[1] != '\0')) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static const char *event_where(char *buf, size_t buflen, uint32_t i,
                               const TdbEvent *ev, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* "event I (KIND at icount N, hart H): why". */
static const char *event_where(char *buf, size_t buflen, uint32_t i,
                               const TdbEvent *ev, const char *fmt, ...)
{
    int n = snprintf(buf, buflen, "event %u (%s at icount %" PRIu64
                     ", hart %u): ", i, tdb_kind_name(ev->kind), ev->icount,
                     ev->hart);
    if (n >= 0 && (size_t)n < buflen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + n, buflen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return buf;
}

const char *tdb_frame_check(const TdbFrameRules *f, const uint8_t *raw,
                            size_t len, char *buf, size_t buflen)
{
    TdbCursor c;
    TdbEvent ev = { 0 };
    const char *why = "malformed";
    bool shut_down = false;
    int rc;
    tdb_cursor_init(&c, raw, len);
    while ((rc = tdb_cursor_next(&c, &ev, &why)) > 0) {
        uint32_t i = c.index - 1;
        const char *bad = tdb_event_check(&ev);
        if (bad) {
            if (ev.kind == TDB_EV_SERIAL_RX && ev.len >= 1 &&
                ev.data[0] >= TDB_SERIAL_PORTS) {
                return event_where(buf, buflen, i, &ev, "serial port %u out "
                                   "of range (ports 0-%u)", ev.data[0],
                                   TDB_SERIAL_PORTS - 1);
            }
            return event_where(buf, buflen, i, &ev, "%s (kind %u, %u payload "
                               "bytes)", bad, ev.kind, ev.len);
        }
        if (i == 0 && ev.icount != f->first_icount) {
            return event_where(buf, buflen, i, &ev, "first event's icount "
                               "differs from the header's %" PRIu64,
                               f->first_icount);
        }
        if (ev.hart >= f->harts) {
            return event_where(buf, buflen, i, &ev, "hart %u out of range "
                               "(the trace has %u hart%s)", ev.hart, f->harts,
                               f->harts == 1 ? "" : "s");
        }
        if ((ev.kind == TDB_EV_META) != (f->first_frame && i == 0)) {
            return event_where(buf, buflen, i, &ev, "META must be the first "
                               "event of the trace, and only it");
        }
        if (ev.kind == TDB_EV_META && ev.icount != 0) {
            return event_where(buf, buflen, i, &ev, "META must be at icount 0");
        }
        if (ev.kind == TDB_EV_END && (!f->final || i + 1 != f->n_events)) {
            return event_where(buf, buflen, i, &ev, "END event before the "
                               "end of the trace");
        }
        if (shut_down && ev.kind != TDB_EV_END) {
            return event_where(buf, buflen, i, &ev, "event after SHUTDOWN "
                               "(only END may follow it)");
        }
        if (ev.kind == TDB_EV_SHUTDOWN) {
            shut_down = true;
        }
        TdbEvCheckpoint ck;
        if (ev.kind == TDB_EV_CHECKPOINT &&
            tdb_ev_checkpoint_decode(&ev, &ck, NULL, 0) != 0) {
            return event_where(buf, buflen, i, &ev, "records a checkpoint at "
                               "icount %" PRIu64 ", not its own",
                               tdb_get_u64(ev.data));
        }
    }
    if (rc < 0) {
        snprintf(buf, buflen, "event %u: %s", c.index, why);
        return buf;
    }
    if (c.index != f->n_events || c.icount != f->last_icount) {
        snprintf(buf, buflen, "%u events up to icount %" PRIu64 ", header "
                 "says %u up to %" PRIu64, c.index, c.icount, f->n_events,
                 f->last_icount);
        return buf;
    }
    if (f->final && ev.kind != TDB_EV_END) {
        return "final frame does not end with END";
    }
    if (shut_down && ev.kind == TDB_EV_SHUTDOWN && f->has_next &&
        !f->next_is_lone_end) {
        return event_where(buf, buflen, c.index - 1, &ev, "SHUTDOWN before "
                           "the end of the trace (more events follow in the "
                           "next frame)");
    }
    return NULL;
}

static const char *file_type(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a plain file";
}

int tdb_open_regular(const char *path, uint64_t *size, char *err,
                     size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
       writer forever. It is cleared once we know this is a plain file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: is %s, not a regular file", path,
                 file_type(st.st_mode));
        close(fd);
        errno = EINVAL;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

int tdb_check_regular(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: is %s, not a regular file", path,
                 file_type(st.st_mode));
        return -1;
    }
    return 1;
}
