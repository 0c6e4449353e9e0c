/*
 * check.h - the assertion helpers every unit test shares.
 *
 * A unit test is one C file with a main(); it includes this header once,
 * counts each expectation with CHECK and ends with check_done:
 *
 *     CHECK(rd(m, LSR) == 0x60);                      // prints the condition
 *     CHECK(in.rd == rd, "%s: rd %u want %d", n, in.rd, rd);   // or a message
 *     ...
 *     return check_done("devices");   // "devices: N passed, M failed"
 *
 * A failed expectation prints "FAIL file:line: ..." and the test goes on, so
 * one run lists every failure; check_done's status is non-zero when any
 * failed.  The counters are static: each test is a single translation unit.
 */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned check_passed, check_failed;

/* Counts one expectation; on failure prints the message, or the condition's
   text when the message is empty.  `fmt` starts with CHECK's ": " prefix. */
static inline bool __attribute__((format(printf, 5, 6)))
check_report(bool ok, const char *file, int line, const char *cond,
             const char *fmt, ...)
{
    if (ok) {
        check_passed++;
        return true;
    }
    check_failed++;
    printf("FAIL %s:%d", file, line);
    if (strcmp(fmt, ": ") == 0) {
        printf(": %s\n", cond);
    } else {
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
    }
    return false;
}

/* CHECK(cond) or CHECK(cond, printf-format, args...); true when cond held. */
#define CHECK(cond, ...)                                                    \
    check_report((cond) ? true : false, __FILE__, __LINE__, #cond,          \
                 ": " __VA_ARGS__)

/* Prints the closing "NAME: N passed, M failed" line; the exit status. */
static inline int check_done(const char *name)
{
    printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
    return check_failed != 0;
}

static const char *check_hang_what;

static inline void check_hang_alarm(int sig)
{
    static const char head[] = "FAIL: hung: ", tail[] = "\n";
    (void)sig;
    fflush(stdout);   /* not async-signal-safe; the process ends anyway */
    (void)!write(1, head, sizeof(head) - 1);
    (void)!write(1, check_hang_what, strlen(check_hang_what));
    (void)!write(1, tail, sizeof(tail) - 1);
    _exit(1);
}

/* Around a call that must return at once and that a bug would block
   forever (an open() of a FIFO): check_hang_guard(10, "what") before it
   ends the test with "FAIL: hung: what" after 10 s instead of at meson's
   timeout; check_hang_guard(0, NULL) after it disarms the guard. */
static inline void check_hang_guard(unsigned seconds, const char *what)
{
    if (seconds) {
        check_hang_what = what;
        signal(SIGALRM, check_hang_alarm);
    }
    alarm(seconds);
}

#endif
