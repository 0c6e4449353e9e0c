/*
 * timeline_svg.c - a picture of a recorded run (`timeline`, `rewind trace
 * timeline DIR -o run.svg`): one self-contained SVG (no scripts, no
 * external references), guest time (or icount) across, one row each for
 *   console     one mark per console line (class "console-line", its
 *               text and icount in a <title> tooltip)
 *   hart N      trap density: exceptions and interrupts per column
 *               (classes "exc-density", "irq-density"), when the trace
 *               has the derived-event index
 *   KIND        inputs by kind (class "input"), density once there are
 *               more than INPUT_MARKS_MAX of a kind
 *   checkpoints class "checkpoint"
 *   bookmarks   class "bookmark" with its name, when the table has rows
 * Every text that came from the trace is escaped for XML, and control
 * characters (not allowed in XML 1.0) as \xNN (rr_query_escape).
 */
#include "shell/dindex.h"
#include "replay/inspect.h"
#include "tracedb/trace.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define SVG_W 1200
#define LEFT 150          /* label column */
#define PLOT_W (SVG_W - LEFT - 20)
#define ROW_H 22
#define TOP 50
#define COLUMNS 200       /* density buckets across */
#define INPUT_MARKS_MAX 2000

typedef struct Axis {
    bool by_icount;
    unsigned shift;       /* icount_shift: guest ns = icount << shift + idle */
    uint64_t *skip_icount, *skip_ns;   /* cumulative idle ns after each skip */
    size_t nskips;
    double max;           /* axis end (ns or instructions) */
} Axis;

static uint64_t one_u64(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    uint64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        v = (uint64_t)sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return v;
}

/* Guest ns at icount: icount << shift plus the idle skips before it. */
static double axis_value(const Axis *a, uint64_t icount)
{
    if (a->by_icount) {
        return (double)icount;
    }
    size_t lo = 0, hi = a->nskips;   /* first skip with icount > icount */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a->skip_icount[mid] <= icount) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    uint64_t idle = lo ? a->skip_ns[lo - 1] : 0;
    return (double)(icount << a->shift) + (double)idle;
}

static double xpos(const Axis *a, uint64_t icount)
{
    double v = axis_value(a, icount);
    return LEFT + (a->max > 0 ? v / a->max * PLOT_W : 0);
}

static void axis_load(Axis *a, sqlite3 *db, uint64_t last)
{
    a->shift = (unsigned)one_u64(db, "SELECT value FROM meta WHERE key ="
                                 " 'icount_shift'");
    if (a->shift > 30) {
        a->shift = 0;   /* hostile meta: fall back to instructions */
    }
    sqlite3_stmt *q = NULL;
    size_t cap = 0;
    uint64_t total = 0;
    if (sqlite3_prepare_v2(db, "SELECT icount, summary FROM events WHERE kind"
                           " = 'IDLE_SKIP' ORDER BY id", -1, &q, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *sum = (const char *)sqlite3_column_text(q, 1);
            uint64_t ns = sum && sum[0] == '+' ? strtoull(sum + 1, NULL, 10) : 0;
            if (a->nskips == cap) {
                cap = cap ? 2 * cap : 256;
                a->skip_icount = g_renew(uint64_t, a->skip_icount, cap);
                a->skip_ns = g_renew(uint64_t, a->skip_ns, cap);
            }
            total += ns;
            a->skip_icount[a->nskips] = (uint64_t)sqlite3_column_int64(q, 0);
            a->skip_ns[a->nskips++] = total;
        }
    }
    sqlite3_finalize(q);
    a->max = axis_value(a, last);
}

/* XML text of a value from the trace. */
static void put_text(FILE *f, const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        return;
    }
    rr_query_escape(m, s ? s : "", s ? strlen(s) : 0);
    fclose(m);
    for (const char *p = buf; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*p, f);
        }
    }
    free(buf);
}

static void row_label(FILE *f, double y, const char *label)
{
    fprintf(f, "<text class=\"label\" x=\"6\" y=\"%.1f\">", y + ROW_H * 0.7);
    put_text(f, label);
    fputs("</text>\n", f);
    fprintf(f, "<line class=\"row\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
            "y2=\"%.1f\"/>\n", LEFT, LEFT + PLOT_W, y + ROW_H, y + ROW_H);
}

/* One density row: the rows of q (icount in column 0) bucketed. */
static void density_row(FILE *f, const Axis *a, sqlite3_stmt *q, double y,
                        const char *cls)
{
    uint64_t count[COLUMNS] = { 0 }, peak = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        double x = xpos(a, (uint64_t)sqlite3_column_int64(q, 0)) - LEFT;
        int c = (int)(x / PLOT_W * COLUMNS);
        c = c < 0 ? 0 : c >= COLUMNS ? COLUMNS - 1 : c;
        count[c]++;
    }
    for (int c = 0; c < COLUMNS; c++) {
        peak = count[c] > peak ? count[c] : peak;
    }
    double w = (double)PLOT_W / COLUMNS;
    for (int c = 0; c < COLUMNS; c++) {
        if (!count[c]) {
            continue;
        }
        double h = 2 + (ROW_H - 4) * (double)count[c] / (double)peak;
        fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"><title>%" PRIu64 "</title></rect>\n", cls,
                LEFT + c * w, y + ROW_H - h, w, h, count[c]);
    }
}

static void marks_row(FILE *f, const Axis *a, sqlite3_stmt *q, double y,
                      const char *cls, bool titles)
{
    while (sqlite3_step(q) == SQLITE_ROW) {
        uint64_t ic = (uint64_t)sqlite3_column_int64(q, 0);
        double x = xpos(a, ic);
        fprintf(f, "<line class=\"%s\" x1=\"%.2f\" x2=\"%.2f\" y1=\"%.1f\" "
                "y2=\"%.1f\">", cls, x, x, y + 3, y + ROW_H - 2);
        fprintf(f, "<title>icount %" PRIu64, ic);
        if (titles && sqlite3_column_count(q) > 1) {
            fputs(": ", f);
            put_text(f, (const char *)sqlite3_column_text(q, 1));
        }
        fputs("</title></line>\n", f);
    }
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return NULL;
    }
    return q;
}

static void axis_ticks(FILE *f, const Axis *a, double bottom)
{
    for (int i = 0; i <= 10; i++) {
        double x = LEFT + PLOT_W * i / 10.0;
        double v = a->max * i / 10.0;
        fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
                "y2=\"%.1f\"/>\n", x, x, TOP - 5, bottom);
        if (a->by_icount) {
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%.3g</text>\n",
                    x, TOP - 8, v);
        } else {
            fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%.3gs</text>\n",
                    x, TOP - 8, v / 1e9);
        }
    }
}

static bool has_table(sqlite3 *db, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1", name);
    sqlite3_stmt *q = prep(db, sql);
    sqlite3_finalize(q);
    return q != NULL;
}

int sh_dix_timeline_svg(const char *dir, FILE *f, bool by_icount, char *err,
                        size_t errlen)
{
    sqlite3 *db = tdb_index_open_query(dir, err, errlen);
    if (!db) {
        return -1;
    }
    uint64_t last = one_u64(db, "SELECT MAX(last_icount) FROM frames");
    uint64_t harts = one_u64(db, "SELECT value FROM meta WHERE key = 'harts'");
    harts = harts < 1 ? 1 : harts > TDB_MAX_HARTS ? TDB_MAX_HARTS : harts;
    bool derived = has_table(db, "traps");
    Axis a = { .by_icount = by_icount };
    axis_load(&a, db, last);

    /* The rows, to size the picture first. */
    GPtrArray *kinds = g_ptr_array_new_with_free_func(g_free);
    sqlite3_stmt *q = prep(db, "SELECT DISTINCT kind FROM events WHERE kind"
                           " NOT IN ('META', 'CONSOLE', 'CHECKPOINT', 'END')"
                           " ORDER BY kind");
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        g_ptr_array_add(kinds, g_strdup((const char *)sqlite3_column_text(q, 0)));
    }
    sqlite3_finalize(q);
    bool bookmarks = one_u64(db, "SELECT COUNT(*) FROM bookmarks") > 0;
    unsigned rows = 1 + (derived ? 2 * (unsigned)harts : 0) + kinds->len + 1 +
                    (bookmarks ? 1 : 0);
    double height = TOP + rows * ROW_H + 40;

    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" font-family=\"monospace\" "
            "font-size=\"11\">\n", SVG_W, height, SVG_W, height);
    fputs("<style>\n"
          ".label{fill:#222} .tick{fill:#666;stroke:#ddd;text-anchor:middle}\n"
          ".row{stroke:#eee} .console-line{stroke:#2a7ab0;stroke-width:1}\n"
          ".exc-density{fill:#d9822b} .irq-density{fill:#7a4fb0}\n"
          ".input{stroke:#2b9a3e} .input-density{fill:#2b9a3e}\n"
          ".checkpoint{stroke:#888;stroke-width:2} .bookmark{stroke:#c0392b;"
          "stroke-width:2} .bookmark-name{fill:#c0392b}\n"
          "</style>\n", f);
    fputs("<title>rewind timeline of ", f);
    put_text(f, dir);
    fputs("</title>\n", f);
    fprintf(f, "<text class=\"label\" x=\"6\" y=\"16\">");
    put_text(f, dir);
    fprintf(f, ": %" PRIu64 " instructions, %s across%s</text>\n", last,
            by_icount ? "icount" : "guest time",
            derived ? "" : " (no derived-event index: rewind trace index)");

    axis_ticks(f, &a, TOP + rows * ROW_H);   /* the grid behind the rows */
    double y = TOP;
    row_label(f, y, "console");
    q = prep(db, "SELECT icount, text FROM console ORDER BY line");
    if (q) {
        marks_row(f, &a, q, y, "console-line", true);
    }
    sqlite3_finalize(q);
    y += ROW_H;
    for (uint64_t h = 0; derived && h < harts; h++) {
        char label[64];
        static const char *const kind[2] = { "exc", "irq" };
        for (int irq = 0; irq < 2; irq++) {
            snprintf(label, sizeof(label), "hart %" PRIu64 " %s", h,
                     irq ? "interrupts" : "exceptions");
            row_label(f, y, label);
            q = prep(db, "SELECT icount FROM traps WHERE hart = ?1 AND"
                     " irq = ?2");
            if (q) {
                char cls[32];
                snprintf(cls, sizeof(cls), "%s-density", kind[irq]);
                sqlite3_bind_int64(q, 1, (sqlite3_int64)h);
                sqlite3_bind_int(q, 2, irq);
                density_row(f, &a, q, y, cls);
            }
            sqlite3_finalize(q);
            y += ROW_H;
        }
    }
    for (guint i = 0; i < kinds->len; i++) {
        const char *k = g_ptr_array_index(kinds, i);
        row_label(f, y, k);
        q = prep(db, "SELECT icount, summary FROM events WHERE kind = ?1"
                 " ORDER BY id");
        if (q) {
            sqlite3_bind_text(q, 1, k, -1, SQLITE_STATIC);
            sqlite3_stmt *c = prep(db, "SELECT COUNT(*) FROM events WHERE"
                                   " kind = ?1");
            uint64_t n = 0;
            if (c) {
                sqlite3_bind_text(c, 1, k, -1, SQLITE_STATIC);
                if (sqlite3_step(c) == SQLITE_ROW) {
                    n = (uint64_t)sqlite3_column_int64(c, 0);
                }
            }
            sqlite3_finalize(c);
            if (n > INPUT_MARKS_MAX) {
                density_row(f, &a, q, y, "input-density");
            } else {
                marks_row(f, &a, q, y, "input", true);
            }
        }
        sqlite3_finalize(q);
        y += ROW_H;
    }
    row_label(f, y, "checkpoints");
    q = prep(db, "SELECT icount, 'checkpoint ' || id FROM checkpoints");
    if (q) {
        marks_row(f, &a, q, y, "checkpoint", true);
    }
    sqlite3_finalize(q);
    y += ROW_H;
    if (bookmarks) {
        row_label(f, y, "bookmarks");
        q = prep(db, "SELECT icount, name FROM bookmarks ORDER BY icount");
        while (q && sqlite3_step(q) == SQLITE_ROW) {
            uint64_t ic = (uint64_t)sqlite3_column_int64(q, 0);
            double x = xpos(&a, ic);
            fprintf(f, "<line class=\"bookmark\" x1=\"%.2f\" x2=\"%.2f\" "
                    "y1=\"%.1f\" y2=\"%.1f\"><title>icount %" PRIu64 ": ", x,
                    x, y + 3, y + ROW_H - 2, ic);
            put_text(f, (const char *)sqlite3_column_text(q, 1));
            fprintf(f, "</title></line>\n<text class=\"bookmark-name\" "
                    "x=\"%.2f\" y=\"%.1f\">", x + 2, y + ROW_H * 0.7);
            put_text(f, (const char *)sqlite3_column_text(q, 1));
            fputs("</text>\n", f);
        }
        sqlite3_finalize(q);
        y += ROW_H;
    }
    fputs("</svg>\n", f);
    g_ptr_array_free(kinds, TRUE);
    g_free(a.skip_icount);
    g_free(a.skip_ns);
    sqlite3_close(db);
    if (ferror(f)) {
        snprintf(err, errlen, "writing the SVG failed");
        return -1;
    }
    return 0;
}

/* [-o FILE] [--icount] after the command word(s). */
static int timeline_args(int argc, char **argv, int first, const char **file,
                         bool *by_icount, char *err, size_t errlen)
{
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            *file = argv[++i];
        } else if (strcmp(argv[i], "--icount") == 0) {
            *by_icount = true;
        } else {
            snprintf(err, errlen, "unexpected '%s' (timeline [-o FILE.svg] "
                     "[--icount])", argv[i]);
            return -1;
        }
    }
    return 0;
}

static int write_svg(const char *dir, const char *file, bool by_icount,
                     char *err, size_t errlen)
{
    char tmp_err[1024];
    char *tmp = g_strdup_printf("%s.tmp", file);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, g_strerror(errno));
        g_free(tmp);
        return -1;
    }
    int rc = sh_dix_timeline_svg(dir, f, by_icount, tmp_err, sizeof(tmp_err));
    if (fclose(f) != 0 && rc == 0) {
        snprintf(tmp_err, sizeof(tmp_err), "%s: %s", tmp, g_strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, file) != 0) {
        snprintf(tmp_err, sizeof(tmp_err), "%s: %s", file, g_strerror(errno));
        rc = -1;
    }
    if (rc != 0) {
        remove(tmp);
        snprintf(err, errlen, "%s", tmp_err);
    }
    g_free(tmp);
    return rc;
}

int sh_dix_timeline(const char *dir, int argc, char **argv, ShOut *out)
{
    const char *file = "timeline.svg";
    bool by_icount = false;
    char err[1200];
    if (timeline_args(argc, argv, 1, &file, &by_icount, err, sizeof(err)) < 0 ||
        write_svg(dir, file, by_icount, err, sizeof(err)) < 0) {
        return sh_error(out, "timeline: %s", err);
    }
    sh_printf(out, "wrote %s\n", file);
    sh_json_str(out, "file", file);
    return 0;
}

int sh_trace_timeline_main(int argc, char **argv)
{
    const char *file = NULL;
    bool by_icount = false;
    char err[1200];
    if (argc < 1 || argv[0][0] == '-' ||
        timeline_args(argc, argv, 1, &file, &by_icount, err, sizeof(err)) < 0 ||
        !file) {
        fprintf(stderr, "rewind: usage: rewind trace timeline DIR -o FILE.svg "
                "[--icount]\n");
        return 1;
    }
    if (write_svg(argv[0], file, by_icount, err, sizeof(err)) < 0) {
        fprintf(stderr, "rewind: trace timeline: %s\n", err);
        return 2;
    }
    printf("rewind: wrote %s\n", file);
    return 0;
}
