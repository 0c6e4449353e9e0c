/*
 * Terminal-query filter (backends/termquery.c): queries that make a
 * terminal answer are removed, everything else passes byte for byte, and
 * the result does not depend on where the stream is cut (each case is fed
 * whole, one byte at a time, and cut at every position).
 */
#include "backends/termquery.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Sink {
    char buf[4096];
    size_t len;
} Sink;

static void emit(void *opaque, const uint8_t *buf, size_t len)
{
    Sink *s = opaque;
    if (s->len + len <= sizeof(s->buf)) {
        memcpy(s->buf + s->len, buf, len);
    }
    s->len += len;
}

/* Filter `in` fed in pieces of `step` bytes (0: whole, one cut at `cut`). */
static void filter(const char *in, size_t len, size_t step, size_t cut, Sink *out)
{
    BeTermQuery q;
    be_termquery_init(&q);
    out->len = 0;
    if (step == 0) {
        be_termquery_feed(&q, (const uint8_t *)in, cut, emit, out);
        be_termquery_feed(&q, (const uint8_t *)in + cut, len - cut, emit, out);
    } else {
        for (size_t i = 0; i < len; i += step) {
            size_t n = len - i < step ? len - i : step;
            be_termquery_feed(&q, (const uint8_t *)in + i, n, emit, out);
        }
    }
    be_termquery_finish(&q, emit, out);
}

/* `in` must come out as `want`, however it is cut. */
static void expect(const char *in, size_t in_len, const char *want, size_t want_len)
{
    Sink s;
    int bad = 0;
    filter(in, in_len, 1, 0, &s);
    bad |= s.len != want_len || memcmp(s.buf, want, want_len) != 0;
    for (size_t cut = 0; cut <= in_len; cut++) {
        filter(in, in_len, 0, cut, &s);
        bad |= s.len != want_len || memcmp(s.buf, want, want_len) != 0;
    }
    if (bad) {
        fprintf(stderr, "  input:");
        for (size_t i = 0; i < in_len; i++) {
            fprintf(stderr, " %02x", (unsigned char)in[i]);
        }
        fprintf(stderr, "\n");
    }
    CHECK(!bad);
}

#define DROPS(s) expect(s, sizeof(s) - 1, "ab", 2)
#define KEEPS(s) expect(s, sizeof(s) - 1, s, sizeof(s) - 1)

int main(void)
{
    /* Queries between "a" and "b" vanish. */
    DROPS("a\x1b[6nb");                 /* cursor position (busybox) */
    DROPS("a\x1b[5nb");                 /* device status */
    DROPS("a\x1b[?6nb");                /* DECXCPR */
    DROPS("a\x1b[?996nb");              /* colour scheme query */
    DROPS("a\x1b[cb");                  /* DA1 */
    DROPS("a\x1b[0cb");
    DROPS("a\x1b[>cb");                 /* DA2 */
    DROPS("a\x1b[>0cb");
    DROPS("a\x1b[=cb");                 /* DA3 */
    DROPS("a\x1bZb");                   /* DECID */
    DROPS("a\x05" "b");                 /* ENQ */
    DROPS("a\x1b[1xb");                 /* DECREQTPARM */
    DROPS("a\x1b[?2026$pb");            /* DECRQM */
    DROPS("a\x1b[4$pb");
    DROPS("a\x1b[1$wb");                /* DECRQPSR */
    DROPS("a\x1b[1;1;1;1;5;5*yb");      /* DECRQCRA */
    DROPS("a\x1b[18tb");                /* text area size */
    DROPS("a\x1b[14;2tb");
    DROPS("a\x1b[21tb");                /* window title */
    DROPS("a\x1b[>qb");                 /* XTVERSION */
    DROPS("a\x1b[>0qb");
    DROPS("a\x1b[?ub");                 /* keyboard protocol */
    DROPS("a\x1b[?4mb");                /* XTQMODKEYS */
    DROPS("a\x1b[?1;1;0Sb");            /* XTSMGRAPHICS */
    DROPS("a\x1b]11;?\x07" "b");        /* background colour */
    DROPS("a\x1b]10;?\x1b\\b");         /* foreground colour, ST */
    DROPS("a\x1b]4;1;?\x07" "b");       /* palette entry */
    DROPS("a\x1b]52;c;?\x07" "b");      /* clipboard */
    DROPS("a\x1bP$qm\x1b\\b");          /* DECRQSS */
    DROPS("a\x1bP+q544e\x1b\\b");       /* XTGETTCAP */
    DROPS("a\x1b[6n\x1b[5n\x1b[c\x1b]11;?\x07" "b");

    /* Everything else passes unchanged. */
    KEEPS("plain text\r\n");
    KEEPS("\x1b[1;32mgreen\x1b[0m");    /* SGR */
    KEEPS("\x1b[2J\x1b[H\x1b[10;20H");  /* erase, cursor moves */
    KEEPS("\x1b[?25l\x1b[?25h");        /* cursor visibility */
    KEEPS("\x1b[8;24;80t");             /* resize: not a report */
    KEEPS("\x1b[22;0t\x1b[23;0t");      /* title stack */
    KEEPS("\x1b]0;title\x07");          /* set the title */
    KEEPS("\x1b]8;;http://x/?a=1\x1b\\link\x1b]8;;\x1b\\");
    KEEPS("\x1b]11;#000000\x07");       /* set, not query */
    KEEPS("\x1bPq#0;2;0;0;0\x1b\\");    /* sixel data */
    KEEPS("\x1b" "7\x1b" "8\x1b" "c");  /* save, restore, reset */
    KEEPS("\x1b[>4;1m");                /* XTMODKEYS set */
    KEEPS("\x1b[\x1b[6");               /* broken CSI, cut sequence */
    KEEPS("\x1b]0;unterminated");
    KEEPS("\x1b");
    KEEPS("\x1b\x1b[m");
    KEEPS("\xc3\xa9t\xc3\xa9 \xe2\x82\xac");   /* UTF-8 */

    /* A CSI broken by a control byte: as it was, then the byte. */
    KEEPS("\x1b[6\r\nx");
    /* A string ended by a new sequence: the query after it still goes. */
    expect("\x1b]0;t\x1b[6nz", 10, "\x1b]0;tz", 6);

    /* A string longer than the hold buffer passes through whole. */
    char big[BE_TERMQUERY_HOLD * 2 + 8];
    size_t n = 0;
    big[n++] = 0x1b;
    big[n++] = ']';
    big[n++] = '2';
    big[n++] = ';';
    while (n < sizeof(big) - 2) {
        big[n++] = 'x';
    }
    big[n++] = 0x1b;
    big[n++] = '\\';
    expect(big, n, big, n);
    char big_q[sizeof(big) + 4];
    memcpy(big_q, big, n);
    memcpy(big_q + n, "\x1b[6n", 4);
    expect(big_q, n + 4, big, n);

    return check_done("termquery_test");
}
