/*
 * out.c - a shell command's result as text and as JSON members (out.h).
 */
#include "shell/out.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>

void sh_out_init(ShOut *o)
{
    o->text = g_string_new(NULL);
    o->json = g_string_new(NULL);
    o->error = g_string_new(NULL);
    sh_out_reset(o);
}

void sh_out_reset(ShOut *o)
{
    g_string_truncate(o->text, 0);
    g_string_truncate(o->json, 0);
    g_string_truncate(o->error, 0);
    for (int i = 0; i < SH_OUT_DEPTH; i++) {
        o->need_comma[i] = false;
    }
    o->depth = 0;
}

void sh_out_free(ShOut *o)
{
    g_string_free(o->text, TRUE);
    g_string_free(o->json, TRUE);
    g_string_free(o->error, TRUE);
}

void sh_printf(ShOut *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(o->text, fmt, ap);
    va_end(ap);
}

int sh_error(ShOut *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_truncate(o->error, 0);
    g_string_append_vprintf(o->error, fmt, ap);
    va_end(ap);
    return -1;
}

bool sh_failed(const ShOut *o)
{
    return o->error->len > 0;
}

void sh_json_quote(GString *dst, const char *v)
{
    g_string_append_c(dst, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '"':  g_string_append(dst, "\\\""); break;
        case '\\': g_string_append(dst, "\\\\"); break;
        case '\n': g_string_append(dst, "\\n"); break;
        case '\r': g_string_append(dst, "\\r"); break;
        case '\t': g_string_append(dst, "\\t"); break;
        default:
            /* Control bytes and bytes that are not UTF-8 the guest printed
               must not break the line: escape them all below 0x20 and 0x7f. */
            if (*p < 0x20 || *p == 0x7f) {
                g_string_append_printf(dst, "\\u%04x", *p);
            } else {
                g_string_append_c(dst, (char)*p);
            }
        }
    }
    g_string_append_c(dst, '"');
}

/* Starts one member (or array element) at the current level. */
static void member(ShOut *o, const char *key)
{
    if (o->need_comma[o->depth]) {
        g_string_append_c(o->json, ',');
    }
    o->need_comma[o->depth] = true;
    if (key) {
        sh_json_quote(o->json, key);
        g_string_append_c(o->json, ':');
    }
}

void sh_json_u64(ShOut *o, const char *key, uint64_t v)
{
    member(o, key);
    g_string_append_printf(o->json, "%" PRIu64, v);
}

void sh_json_i64(ShOut *o, const char *key, int64_t v)
{
    member(o, key);
    g_string_append_printf(o->json, "%" PRId64, v);
}

void sh_json_double(ShOut *o, const char *key, double v)
{
    member(o, key);
    if (isfinite(v)) {
        g_string_append_printf(o->json, "%.17g", v);
    } else {
        g_string_append(o->json, "null");  /* JSON has no inf or nan */
    }
}

void sh_json_bool(ShOut *o, const char *key, bool v)
{
    member(o, key);
    g_string_append(o->json, v ? "true" : "false");
}

void sh_json_str(ShOut *o, const char *key, const char *v)
{
    member(o, key);
    if (v) {
        sh_json_quote(o->json, v);
    } else {
        g_string_append(o->json, "null");
    }
}

static void begin(ShOut *o, const char *key, char open, char close)
{
    member(o, key);
    g_string_append_c(o->json, open);
    /* Nesting deeper than SH_OUT_DEPTH is a programming error: stay at the
       deepest level rather than write past the stacks. */
    if (o->depth + 1 < SH_OUT_DEPTH) {
        o->depth++;
    }
    o->need_comma[o->depth] = false;
    o->closer[o->depth] = close;
}

void sh_json_begin_object(ShOut *o, const char *key)
{
    begin(o, key, '{', '}');
}

void sh_json_begin_array(ShOut *o, const char *key)
{
    begin(o, key, '[', ']');
}

void sh_json_end(ShOut *o)
{
    if (o->depth == 0) {
        return;  /* nothing open: the result object closes in sh_out_emit */
    }
    g_string_append_c(o->json, o->closer[o->depth]);
    o->depth--;
}

void sh_out_emit(const ShOut *o, const char *cmd, bool json, FILE *out, FILE *err)
{
    if (json) {
        GString *line = g_string_new("{\"cmd\":");
        sh_json_quote(line, cmd);
        g_string_append_printf(line, ",\"ok\":%s", sh_failed(o) ? "false" : "true");
        if (o->json->len) {
            g_string_append_c(line, ',');
            g_string_append_len(line, o->json->str, o->json->len);
        }
        if (sh_failed(o)) {
            g_string_append(line, ",\"error\":");
            sh_json_quote(line, o->error->str);
        }
        g_string_append(line, ",\"text\":");
        sh_json_quote(line, o->text->str);
        g_string_append(line, "}\n");
        fputs(line->str, out);
        g_string_free(line, TRUE);
        fflush(out);
        return;
    }
    fputs(o->text->str, out);
    fflush(out);
    if (sh_failed(o)) {
        fprintf(err, "error: %s\n", o->error->str);
        fflush(err);
    }
}
