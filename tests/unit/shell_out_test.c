/*
 * shell_out_test - a shell command's result as text and as one JSON line.
 */
#include "check.h"
#include "shell/out.h"

#include <stdlib.h>

/* The line sh_out_emit writes, as a string the test owns. */
static char *emit(const ShOut *o, const char *cmd, bool json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sh_out_emit(o, cmd, json, f, f);
    fclose(f);
    return buf;
}

int main(void)
{
    ShOut o;
    sh_out_init(&o);

    sh_printf(&o, "pc 0x%x\n", 0x80000000u);
    sh_json_u64(&o, "pc", 0x80000000u);
    sh_json_begin_array(&o, "harts");
    sh_json_i64(&o, NULL, -1);
    sh_json_begin_object(&o, NULL);
    sh_json_str(&o, "sym", "a\"b\\c\n\x01");
    sh_json_bool(&o, "on", true);
    sh_json_end(&o);
    sh_json_str(&o, NULL, NULL);
    sh_json_end(&o);
    sh_json_double(&o, "t", 1.5);
    char *line = emit(&o, "regs", true);
    CHECK(strcmp(line, "{\"cmd\":\"regs\",\"ok\":true,\"pc\":2147483648,"
                       "\"harts\":[-1,{\"sym\":\"a\\\"b\\\\c\\n\\u0001\",\"on\":true},null],"
                       "\"t\":1.5,\"text\":\"pc 0x80000000\\n\"}\n") == 0,
          ": got %s", line);
    free(line);

    line = emit(&o, "regs", false);
    CHECK(strcmp(line, "pc 0x80000000\n") == 0, ": got %s", line);
    free(line);

    /* A failure: ok false and the message, in both forms. */
    sh_out_reset(&o);
    CHECK(sh_error(&o, "no symbol '%s'", "foo") == -1);
    CHECK(sh_failed(&o));
    line = emit(&o, "break", true);
    CHECK(strcmp(line, "{\"cmd\":\"break\",\"ok\":false,\"error\":\"no symbol 'foo'\","
                       "\"text\":\"\"}\n") == 0, ": got %s", line);
    free(line);
    line = emit(&o, "break", false);
    CHECK(strcmp(line, "error: no symbol 'foo'\n") == 0, ": got %s", line);
    free(line);

    /* An extra end at the top level is ignored; infinity is null. */
    sh_out_reset(&o);
    sh_json_end(&o);
    sh_json_double(&o, "x", 1.0 / 0.0);
    line = emit(&o, "c", true);
    CHECK(strcmp(line, "{\"cmd\":\"c\",\"ok\":true,\"x\":null,\"text\":\"\"}\n") == 0,
          ": got %s", line);
    free(line);

    sh_out_free(&o);
    return check_done("shell_out");
}
