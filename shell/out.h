/*
 * out.h - one shell command's result, for a person or for a program.
 *
 * Every shell command (and every `monitor` command from gdb) writes into a
 * ShOut: the text a person reads, and the same result as JSON members for
 * `--json`, where each command prints one object per line:
 *
 *     {"cmd":"regs","ok":true,"pc":2147483648,...,"text":"pc 0x80000000\n..."}
 *
 * A command prints its text with sh_printf and adds the members a program
 * needs with sh_json_*; nested objects and arrays open with sh_json_begin_*
 * and close with sh_json_end (commas and escaping are done here). A failed
 * command calls sh_error (one line, no newline needed) and returns its
 * result: {"cmd":...,"ok":false,"error":"..."}.
 */
#ifndef SHELL_OUT_H
#define SHELL_OUT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SH_OUT_DEPTH 16

typedef struct ShOut {
    GString *text;    /* what a person sees */
    GString *json;    /* members of the result object so far, no braces */
    GString *error;   /* empty unless the command failed */
    bool need_comma[SH_OUT_DEPTH]; /* per nesting level: a member came before */
    char closer[SH_OUT_DEPTH];     /* per nesting level: '}' or ']' */
    int depth;        /* 0: the result object itself */
} ShOut;

void sh_out_init(ShOut *o);
void sh_out_reset(ShOut *o);
void sh_out_free(ShOut *o);

void sh_printf(ShOut *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Records the failure; returns -1 so that `return sh_error(o, ...)` reads. */
int sh_error(ShOut *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
bool sh_failed(const ShOut *o);

/* key is NULL inside an array. */
void sh_json_u64(ShOut *o, const char *key, uint64_t v);
void sh_json_i64(ShOut *o, const char *key, int64_t v);
void sh_json_double(ShOut *o, const char *key, double v);
void sh_json_bool(ShOut *o, const char *key, bool v);
void sh_json_str(ShOut *o, const char *key, const char *v);  /* NULL: null */
void sh_json_begin_object(ShOut *o, const char *key);
void sh_json_begin_array(ShOut *o, const char *key);
void sh_json_end(ShOut *o);

/* Writes the result: JSON mode one line {"cmd":CMD,"ok":..,members,"text":..};
   text mode the text to out and the error as "error: MSG" to err. */
void sh_out_emit(const ShOut *o, const char *cmd, bool json, FILE *out, FILE *err);

/* Appends v as a JSON string literal (quotes and escapes). */
void sh_json_quote(GString *dst, const char *v);

#endif
