/*
 * shell_progress_test - the progress bar: drawn only on a terminal, at
 * most one redraw per 100 ms, percentage and time left, erased at the end.
 */
#include "check.h"
#include "shell/progress.h"

#include <stdlib.h>

static uint64_t fake_now;

static uint64_t fake_clock(void *opaque)
{
    (void)opaque;
    return fake_now;
}

/* Number of redraws (each starts with \r) in s. */
static unsigned redraws(const char *s)
{
    unsigned n = 0;
    for (; *s; s++) {
        n += *s == '\r';
    }
    return n;
}

int main(void)
{
    char *buf = NULL;
    size_t len = 0;

    /* Not a terminal: nothing at all. */
    FILE *f = open_memstream(&buf, &len);
    ShProgressOpts notty = { fake_clock, NULL, 0 };
    ShProgress *p = sh_progress_new_opts(f, "indexing", 100, &notty);
    CHECK(!sh_progress_active(p));
    sh_progress_update(p, 50);
    sh_progress_done(p);
    fclose(f);
    CHECK(len == 0, ": wrote %zu bytes to a non-terminal", len);
    free(buf);

    /* A memory stream is no terminal either, by isatty. */
    f = open_memstream(&buf, &len);
    p = sh_progress_new(f, "x", 10);
    CHECK(!sh_progress_active(p));
    sh_progress_done(p);
    fclose(f);
    CHECK(len == 0);
    free(buf);

    /* A terminal: first update draws, then at most one per 100 ms. */
    f = open_memstream(&buf, &len);
    ShProgressOpts tty = { fake_clock, NULL, 1 };
    fake_now = 1000000000ull;
    p = sh_progress_new_opts(f, "indexing", 1000, &tty);
    CHECK(sh_progress_active(p));
    sh_progress_update(p, 0);
    for (int i = 1; i < 100; i++) {
        fake_now += 1000000;          /* 1 ms: 99 updates in 99 ms */
        sh_progress_update(p, (uint64_t)i);
    }
    fflush(f);
    CHECK(redraws(buf) == 1, ": %u redraws in 99 ms", redraws(buf));
    fake_now += 1000000;              /* 100 ms since the first drawing */
    sh_progress_update(p, 100);
    fflush(f);
    CHECK(redraws(buf) == 2, ": %u redraws in 100 ms", redraws(buf));
    CHECK(strstr(buf, " 10%") != NULL, ": %s", buf);
    /* 10% in 100 ms... too early for an estimate (< 0.5 s). */
    CHECK(strstr(buf, "left") == NULL, ": %s", buf);
    fake_now = 1000000000ull + 2000000000ull;   /* 2 s, half done */
    sh_progress_update(p, 500);
    fflush(f);
    CHECK(strstr(buf, " 50%  0:02 left") != NULL, ": %s", buf);
    CHECK(strstr(buf, "indexing [############            ]") != NULL,
          ": %s", buf);
    size_t before = len;
    sh_progress_done(p);
    fclose(f);
    CHECK(len > before && strcmp(buf + before, "\r\033[K") == 0,
          ": the line is erased at the end");
    free(buf);

    sh_progress_update(NULL, 1);
    sh_progress_done(NULL);
    return check_done("shell_progress");
}
