/*
 * Event codec: how events sit inside a frame's decompressed bytes, the
 * table of kinds with their payload sizes, the META payload, and the
 * one-line summaries stored in the index.
 *
 * An event is four unsigned LEB128 varints and the payload:
 *     kind, hart, icount (the first event of a frame: absolute; the others:
 *     delta from the previous event), payload length, payload bytes.
 * A META payload is a list of "key=value\0" strings; inputs appear as
 * input.N.name / input.N.path / input.N.size / input.N.hash.
 */
#include "tracedb/tracedb_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct KindDesc {
    uint32_t kind;
    const char *name;
    uint32_t min_len, max_len;
} KindDesc;

static const KindDesc kinds[] = {
    { TDB_EV_META, "META", 0, TDB_MAX_PAYLOAD },
    { TDB_EV_SERIAL_RX, "SERIAL_RX", 1, TDB_MAX_PAYLOAD },
    { TDB_EV_WALLCLOCK, "WALLCLOCK", 8, 8 },
    { TDB_EV_IDLE_SKIP, "IDLE_SKIP", 8, 8 },
    { TDB_EV_SHUTDOWN, "SHUTDOWN", 4, 4 },
    { TDB_EV_INTERRUPT, "INTERRUPT", 4, 4 },
    { TDB_EV_ENTROPY, "ENTROPY", 0, TDB_MAX_PAYLOAD },
    { TDB_EV_NET_RX, "NET_RX", 1, 1 + TDB_NET_FRAME_MAX },
    { TDB_EV_SERIAL_CONNECT, "SERIAL_CONNECT", 2, 2 },
    { TDB_EV_CONSOLE, "CONSOLE", 0, TDB_MAX_PAYLOAD },
    { TDB_EV_CHECKPOINT, "CHECKPOINT", 32, 32 },
    { TDB_EV_END, "END", 8, 16 },
    { TDB_EV_PORT_CONSOLE, "PORT_CONSOLE", 1, TDB_MAX_PAYLOAD },
};

static const KindDesc *kind_desc(uint32_t kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (kinds[i].kind == kind) {
            return &kinds[i];
        }
    }
    return NULL;
}

const char *tdb_kind_name(uint32_t kind)
{
    const KindDesc *d = kind_desc(kind);
    return d ? d->name : "UNKNOWN";
}

int tdb_kind_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcasecmp(kinds[i].name, name) == 0) {
            return (int)kinds[i].kind;
        }
    }
    return -1;
}

const char *tdb_event_check(const TdbEvent *ev)
{
    const KindDesc *d = kind_desc(ev->kind);
    if (!d) {
        return "unknown event kind";
    }
    if (ev->len < d->min_len || ev->len > d->max_len) {
        return "bad payload length for its kind";
    }
    if (ev->len > 0 && !ev->data) {
        return "payload pointer is NULL";
    }
    if (ev->kind == TDB_EV_SERIAL_RX && ev->data[0] >= TDB_SERIAL_PORTS) {
        return "serial port out of range";
    }
    if (ev->kind == TDB_EV_SERIAL_CONNECT &&
        (ev->data[0] >= TDB_SERIAL_PORTS || ev->data[1] > 1)) {
        return "serial port or connection state out of range";
    }
    if (ev->kind == TDB_EV_PORT_CONSOLE &&
        (ev->data[0] == 0 || ev->data[0] >= TDB_SERIAL_PORTS)) {
        return "console port out of range";
    }
    return NULL;
}

/* ---- buffers and varints ---- */

int tdb_buf_reserve(TdbBuf *b, size_t extra)
{
    if (b->cap - b->len >= extra) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void tdb_buf_free(TdbBuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static void put_varint(TdbBuf *b, uint64_t v)
{
    while (v >= 0x80) {
        b->p[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (uint8_t)v;
}

static bool get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pp >= end) {
            return false;
        }
        uint8_t byte = *(*pp)++;
        if (shift == 63 && byte > 1) {
            return false;
        }
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

int tdb_event_encode(TdbBuf *b, const TdbEvent *ev, const uint64_t *prev_icount)
{
    if (tdb_buf_reserve(b, 4 * 10 + (size_t)ev->len) < 0) {
        return -1;
    }
    put_varint(b, ev->kind);
    put_varint(b, ev->hart);
    put_varint(b, prev_icount ? ev->icount - *prev_icount : ev->icount);
    put_varint(b, ev->len);
    if (ev->len) {
        memcpy(b->p + b->len, ev->data, ev->len);
        b->len += ev->len;
    }
    return 0;
}

void tdb_cursor_init(TdbCursor *c, const uint8_t *raw, size_t len)
{
    c->p = raw;
    c->end = raw + len;
    c->icount = 0;
    c->index = 0;
}

int tdb_cursor_next(TdbCursor *c, TdbEvent *ev, const char **why)
{
    if (c->p == c->end) {
        return 0;
    }
    uint64_t kind, hart, icount, len;
    if (!get_varint(&c->p, c->end, &kind) || !get_varint(&c->p, c->end, &hart) ||
        !get_varint(&c->p, c->end, &icount) || !get_varint(&c->p, c->end, &len)) {
        *why = "malformed event header";
        return -1;
    }
    if (kind > UINT32_MAX || hart > UINT32_MAX || len > TDB_MAX_PAYLOAD ||
        len > (uint64_t)(c->end - c->p)) {
        *why = "malformed event header";
        return -1;
    }
    if (c->index > 0) {
        if (icount > UINT64_MAX - c->icount) {
            *why = "icount overflow";
            return -1;
        }
        icount += c->icount;
    }
    ev->kind = (uint32_t)kind;
    ev->hart = (uint32_t)hart;
    ev->icount = icount;
    ev->len = (uint32_t)len;
    ev->data = c->p;
    c->p += len;
    c->icount = icount;
    c->index++;
    return 1;
}

/* ---- META payload ---- */

static int put_kv(TdbBuf *b, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    if (tdb_buf_reserve(b, kl + vl + 2) < 0) {
        return -1;
    }
    memcpy(b->p + b->len, key, kl);
    b->p[b->len + kl] = '=';
    memcpy(b->p + b->len + kl + 1, value, vl + 1);
    b->len += kl + vl + 2;
    return 0;
}

int tdb_meta_encode(TdbBuf *b, const TdbKV *kv, size_t nkv,
                    const TdbInput *in, size_t nin)
{
    for (size_t i = 0; i < nkv; i++) {
        if (put_kv(b, kv[i].key, kv[i].value) < 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < nin; i++) {
        char key[64], size[32];
        snprintf(size, sizeof(size), "%" PRIu64, in[i].size);
        const char *fields[4][2] = {
            { "name", in[i].name }, { "path", in[i].path },
            { "size", size }, { "hash", in[i].hash },
        };
        for (int f = 0; f < 4; f++) {
            snprintf(key, sizeof(key), "input.%zu.%s", i, fields[f][0]);
            if (put_kv(b, key, fields[f][1] ? fields[f][1] : "") < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Which field of an input an "input.N.FIELD" key names: 0..3 (name,
   path, size, hash) with *n = N, or -1 if the key is malformed. */
static int input_key(const char *key, uint64_t max, uint64_t *n)
{
    static const char *const fields[4] = { "name", "path", "size", "hash" };
    char num[24];
    const char *dot = strchr(key + 6, '.');
    size_t len = dot ? (size_t)(dot - (key + 6)) : 0;
    if (len == 0 || len >= sizeof(num)) {
        return -1;
    }
    memcpy(num, key + 6, len);
    num[len] = '\0';
    if (!tdb_parse_u64(num, max, n)) {
        return -1;
    }
    for (int f = 0; f < 4; f++) {
        if (strcmp(dot + 1, fields[f]) == 0) {
            return f;
        }
    }
    return -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Strict: at most TDB_MAX_META_ENTRIES entries, no key twice, inputs
   numbered densely from 0 with all four fields, sizes in decimal. Nothing
   is allocated by a count the payload claims, only by its real size. */
int tdb_meta_decode(TdbMeta *m, const uint8_t *p, size_t len, const char **why)
{
    memset(m, 0, sizeof(*m));
    if (len > 0 && p[len - 1] != '\0') {
        *why = "META payload does not end in NUL";
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += p[i] == '\0';
    }
    if (n > TDB_MAX_META_ENTRIES) {
        *why = "META has too many entries";
        return -1;
    }
    m->buf = malloc(len + 1);
    m->kv = calloc(n + 1, sizeof(*m->kv));
    m->in = calloc(n / 4 + 1, sizeof(*m->in));
    const char **keys = calloc(n + 1, sizeof(*keys));
    uint8_t *seen = calloc(n / 4 + 1, 1);   /* fields present per input */
    if (!m->buf || !m->kv || !m->in || !keys || !seen) {
        *why = "out of memory";
        goto fail;
    }
    memcpy(m->buf, p, len);
    size_t nkeys = 0;
    for (char *s = m->buf; s < m->buf + len; s += strlen(s) + 1) {
        char *eq = strchr(s, '=');
        if (!eq || eq == s) {
            *why = "META entry without key=";
            goto fail;
        }
        *eq = '\0';
        keys[nkeys++] = s;
        if (strncmp(s, "input.", 6) == 0) {
            uint64_t k;
            int f = input_key(s, n / 4, &k);
            if (f < 0) {
                *why = "malformed input.N entry in META";
                goto fail;
            }
            TdbInput *in = &m->in[k];
            const char *v = eq + 1;
            if (f == 0) {
                in->name = v;
            } else if (f == 1) {
                in->path = v;
            } else if (f == 2 && !tdb_parse_u64(v, UINT64_MAX, &in->size)) {
                *why = "input.N.size in META is not a decimal number";
                goto fail;
            } else if (f == 3) {
                in->hash = v;
            }
            seen[k] |= (uint8_t)(1u << f);
            if (k + 1 > m->nin) {
                m->nin = k + 1;
            }
        } else {
            m->kv[m->nkv].key = s;
            m->kv[m->nkv].value = eq + 1;
            m->nkv++;
        }
        s = eq + 1;
    }
    qsort(keys, nkeys, sizeof(*keys), cmp_str);
    for (size_t i = 1; i < nkeys; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            *why = "META has a key twice";
            goto fail;
        }
    }
    for (size_t i = 0; i < m->nin; i++) {
        if (seen[i] != 0xf) {
            *why = "META lacks a field of an input (input.N.name, path, size "
                   "and hash are all required, N from 0)";
            goto fail;
        }
    }
    free(keys);
    free(seen);
    return 0;
fail:
    free(keys);
    free(seen);
    tdb_meta_free(m);
    return -1;
}

const char *tdb_meta_get(const TdbMeta *m, const char *key)
{
    for (size_t i = 0; i < m->nkv; i++) {
        if (strcmp(m->kv[i].key, key) == 0) {
            return m->kv[i].value;
        }
    }
    return NULL;
}

void tdb_meta_free(TdbMeta *m)
{
    free(m->buf);
    free(m->kv);
    free(m->in);
    memset(m, 0, sizeof(*m));
}

/* ---- text ---- */

/* Appends bytes as a C-like quoted string, cut at the end of the buffer. */
static void quote_bytes(char *buf, size_t size, size_t pos, const uint8_t *p,
                        size_t n)
{
    static const char more[] = "...\"";
    if (pos + 1 >= size) {
        return;
    }
    buf[pos++] = '"';
    for (size_t i = 0; i < n; i++) {
        char tmp[8];
        uint8_t c = p[i];
        if (c == '\n') {
            strcpy(tmp, "\\n");
        } else if (c == '\r') {
            strcpy(tmp, "\\r");
        } else if (c == '"' || c == '\\') {
            snprintf(tmp, sizeof(tmp), "\\%c", c);
        } else if (c < 0x20 || c >= 0x7f) {
            snprintf(tmp, sizeof(tmp), "\\x%02x", c);
        } else {
            snprintf(tmp, sizeof(tmp), "%c", c);
        }
        size_t tl = strlen(tmp);
        if (pos + tl + sizeof(more) > size) {
            snprintf(buf + pos, size - pos, "%s", more);
            return;
        }
        memcpy(buf + pos, tmp, tl);
        pos += tl;
    }
    snprintf(buf + pos, size - pos, "\"");
}

void tdb_event_describe(const TdbEvent *ev, char *buf, size_t len)
{
    if (len == 0) {
        return;
    }
    buf[0] = '\0';
    if (tdb_event_check(ev)) {
        snprintf(buf, len, "%u payload bytes", ev->len);
        return;
    }
    const uint8_t *d = ev->data;
    switch (ev->kind) {
    case TDB_EV_META: {
        size_t n = 0;
        for (uint32_t i = 0; i < ev->len; i++) {
            n += d[i] == '\0';
        }
        snprintf(buf, len, "%zu entries", n);
        break;
    }
    case TDB_EV_SERIAL_RX: {
        TdbEvSerial rx;
        if (tdb_ev_serial_decode(ev, &rx, NULL, 0) == 0) {
            int pos = snprintf(buf, len, "port %u: ", rx.port);
            quote_bytes(buf, len, pos < 0 ? 0 : (size_t)pos, rx.bytes, rx.len);
        }
        break;
    }
    case TDB_EV_SERIAL_CONNECT: {
        TdbEvSerialConnect sc;
        if (tdb_ev_serial_connect_decode(ev, &sc, NULL, 0) == 0) {
            snprintf(buf, len, "port %u: %s", sc.port,
                     sc.connected ? "connected" : "disconnected");
        }
        break;
    }
    case TDB_EV_ENTROPY:
        /* The count, not the bytes: "how much entropy did the guest take"
           is the question a query asks (SUM over the events). */
        snprintf(buf, len, "%u bytes", ev->len);
        break;
    case TDB_EV_NET_RX: {
        TdbEvNetRx rx;
        if (tdb_ev_net_rx_decode(ev, &rx, NULL, 0) == 0) {
            snprintf(buf, len, "nic %u: %u bytes", rx.port, rx.len);
        }
        break;
    }
    case TDB_EV_WALLCLOCK: {
        TdbEvWallclock wc;
        if (tdb_ev_wallclock_decode(ev, &wc, NULL, 0) != 0) {
            break;
        }
        uint64_t ns = wc.ns;
        time_t secs = (time_t)(ns / 1000000000u);
        struct tm tm;
        char day[40] = "?";
        if (gmtime_r(&secs, &tm)) {
            strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
        }
        snprintf(buf, len, "%s.%09" PRIu64 "Z", day, ns % 1000000000u);
        break;
    }
    case TDB_EV_IDLE_SKIP: {
        TdbEvIdle idle;
        if (tdb_ev_idle_decode(ev, &idle, NULL, 0) == 0) {
            snprintf(buf, len, "+%" PRIu64 " ns", idle.ns);
        }
        break;
    }
    case TDB_EV_SHUTDOWN: {
        TdbEvShutdown sd;
        if (tdb_ev_shutdown_decode(ev, &sd, NULL, 0) == 0) {
            snprintf(buf, len, "reason %u", sd.reason);
        }
        break;
    }
    case TDB_EV_INTERRUPT: {
        TdbEvInterrupt in;
        if (tdb_ev_interrupt_decode(ev, &in, NULL, 0) == 0) {
            snprintf(buf, len, "reason %u", in.reason);
        }
        break;
    }
    case TDB_EV_CONSOLE:
        quote_bytes(buf, len, 0, d, ev->len);
        break;
    case TDB_EV_PORT_CONSOLE: {
        TdbEvSerial out;
        if (tdb_ev_port_console_decode(ev, &out, NULL, 0) == 0) {
            int pos = snprintf(buf, len, "port %u: ", out.port);
            quote_bytes(buf, len, pos < 0 ? 0 : (size_t)pos, out.bytes,
                        out.len);
        }
        break;
    }
    case TDB_EV_CHECKPOINT: {
        TdbEvCheckpoint ck;
        if (tdb_ev_checkpoint_decode(ev, &ck, NULL, 0) == 0) {
            snprintf(buf, len, "hash %016" PRIx64 " at %" PRIu64 "+%" PRIu64,
                     ck.state_hash, ck.offset, ck.length);
        } else {
            snprintf(buf, len, "%u payload bytes", ev->len);
        }
        break;
    }
    case TDB_EV_END: {
        TdbEvEnd end;
        if (tdb_ev_end_decode(ev, &end, NULL, 0) == 0) {
            snprintf(buf, len, "final hash %016" PRIx64, end.state_hash);
        } else {
            snprintf(buf, len, "%u payload bytes", ev->len);
        }
        break;
    }
    }
}

char *tdb_json_argv(int argc, char *const argv[])
{
    TdbBuf b = { 0 };
    if (tdb_buf_reserve(&b, 2) < 0) {
        return NULL;
    }
    b.p[b.len++] = '[';
    for (int i = 0; i < argc; i++) {
        const unsigned char *s = (const unsigned char *)argv[i];
        if (tdb_buf_reserve(&b, 6 * strlen(argv[i]) + 4) < 0) {
            tdb_buf_free(&b);
            return NULL;
        }
        if (i > 0) {
            b.p[b.len++] = ',';
        }
        b.p[b.len++] = '"';
        for (; *s; s++) {
            if (*s == '"' || *s == '\\') {
                b.p[b.len++] = '\\';
                b.p[b.len++] = *s;
            } else if (*s < 0x20) {
                b.len += (size_t)sprintf((char *)b.p + b.len, "\\u%04x", *s);
            } else {
                b.p[b.len++] = *s;
            }
        }
        b.p[b.len++] = '"';
    }
    if (tdb_buf_reserve(&b, 2) < 0) {
        tdb_buf_free(&b);
        return NULL;
    }
    b.p[b.len++] = ']';
    b.p[b.len] = '\0';
    return (char *)b.p;
}
