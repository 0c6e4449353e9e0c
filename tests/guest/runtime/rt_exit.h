/*
 * rt_exit.h - the exit code of a failing guest check, on its own so that
 * the host's unit test (tests/unit/guest_rt_test.c) checks the very macro
 * the guests use.
 *
 * 2..255 without 77, the code meson reads as "skipped": a failing check
 * must never pass for a skip.  (1 is an unexpected trap, 0 a pass.)
 */
#ifndef RT_EXIT_H
#define RT_EXIT_H

#define RT_CHECK_EXIT(line) \
    (2 + (int)((unsigned)(line) % 253u) + ((unsigned)(line) % 253u >= 75u))

#endif
