/*
 * Ctrl-A escapes and input focus of a shared back end (see backends/mux.h).
 */
#include "backends/mux.h"

#include <stdio.h>
#include <string.h>

static void say(BeMux *mux, const char *text)
{
    if (mux->say) {
        mux->say(mux->say_opaque, text);
    } else {
        fputs(text, stderr);
    }
}

bool be_mux_attach(BeMux *mux, const BeMuxFrontEnd *fe)
{
    if (fe->port >= 0) {
        for (unsigned i = 0; i < mux->nfe; i++) {
            if (mux->fe[i].port == fe->port) {
                return true;
            }
        }
    }
    if (mux->nfe >= BE_MUX_MAX_FE) {
        return false;
    }
    mux->fe[mux->nfe] = *fe;
    mux->focus = mux->nfe++;
    return true;
}

static void help(BeMux *mux)
{
    say(mux, "\r\n"
        "C-a h    print this help\r\n"
        "C-a x    exit rewind (a recording is closed, complete)\r\n"
        "C-a c    switch input to the next front end of this chardev "
        "(with -serial mon:stdio: the monitor, then the console)\r\n"
        "C-a C-a  send C-a\r\n"
        "C-c is input with -nographic, -serial mon:stdio and mux=on\r\n");
}

/* Ctrl-A c: the next front end in attach order takes the input. */
static void switch_focus(BeMux *mux)
{
    char text[160];
    if (mux->nfe < 2) {
        say(mux, "\r\nrewind: C-a c: there is no monitor (-serial mon:stdio "
            "has one) and no other front end on this chardev; input stays "
            "where it is\r\n");
        return;
    }
    mux->focus = (mux->focus + 1) % mux->nfe;
    snprintf(text, sizeof(text), "\r\nrewind: C-a c: input goes to %s\r\n",
             mux->fe[mux->focus].name);
    say(mux, text);
    if (mux->fe[mux->focus].focused) {
        mux->fe[mux->focus].focused(mux->fe[mux->focus].opaque);
    }
}

/* Hand buf[0..n) to the focused front end. */
static void emit(BeMux *mux, const uint8_t *buf, size_t n,
                 BeMuxDeliver deliver, void *opaque)
{
    if (n == 0 || mux->nfe == 0) {
        return;
    }
    const BeMuxFrontEnd *fe = &mux->fe[mux->focus];
    if (fe->port >= 0) {
        deliver(opaque, fe->port, buf, n);
    } else if (fe->receive) {
        fe->receive(fe->opaque, buf, n);
    }
}

void be_mux_input(BeMux *mux, const uint8_t *buf, size_t n,
                  BeMuxDeliver deliver, void *opaque, bool *quit)
{
    size_t run = 0;   /* start of the bytes not handed on yet */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (!mux->escape_pending) {
            if (c == 1) {
                emit(mux, buf + run, i - run, deliver, opaque);
                mux->escape_pending = true;
                run = i + 1;
            }
            continue;
        }
        mux->escape_pending = false;
        run = i + 1;
        if (c == 1) {
            emit(mux, buf + i, 1, deliver, opaque);
        } else if (c == 'x') {
            fprintf(stderr, "\nrewind: terminated (Ctrl-A x)\n");
            *quit = true;
            return;
        } else if (c == 'h' || c == '?') {
            help(mux);
        } else if (c == 'c') {
            switch_focus(mux);
        } else {
            char text[96];
            snprintf(text, sizeof(text), "\r\nrewind: C-a %s%c is not a "
                     "command (C-a h lists them)\r\n", c < 0x20 ? "C-" : "",
                     c < 0x20 ? c + '@' : (c < 0x7f ? c : '?'));
            say(mux, text);
        }
    }
    emit(mux, buf + run, n - run, deliver, opaque);
}
