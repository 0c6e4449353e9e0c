/*
 * guest_rt_test.c - what the bare-metal guest runtime (tests/guest/runtime)
 * promises its harness, checked on the host.
 *
 * A failing CHECK in a guest test ends the run with RT_CHECK_EXIT(line):
 * that code must read as a failure to meson, so never 0 (pass), never 77
 * (meson's "skipped") and inside 2..255 (1 is an unexpected trap).  Until
 * session 19 a failure on a line with 2 + line % 254 = 77 passed for a
 * skip.
 */
#include "check.h"
#include "../guest/runtime/rt_exit.h"

int main(void)
{
    unsigned bad = 0, first_bad = 0;

    for (unsigned line = 0; line < 200000; line++) {
        int code = RT_CHECK_EXIT(line);
        if (code < 2 || code > 255 || code == 77) {
            if (!bad++) {
                first_bad = line;
            }
        }
    }
    CHECK(bad == 0, "%u lines give a bad exit code, first line %u (code %d)",
          bad, first_bad, RT_CHECK_EXIT(first_bad));
    /* Lines next to each other still give different codes (the code helps
       find the check when the output is lost). */
    CHECK(RT_CHECK_EXIT(74) != RT_CHECK_EXIT(75));
    CHECK(RT_CHECK_EXIT(75) != RT_CHECK_EXIT(76));
    return check_done("guest_rt");
}
