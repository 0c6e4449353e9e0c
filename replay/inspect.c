/*
 * Looking at traces without running them: `rewind info` and `rewind trace
 * reindex` (see replay/inspect.h; `rewind query` is in replay/query.c).
 * Nothing here writes to a trace except reindex, which replaces
 * index.sqlite atomically.
 */
#include "replay/inspect.h"
#include "core/clock.h"
#include "tracedb/payload.h"
#include "tracedb/trace.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t file_size(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Checks the record in checkpoints.zst that a CHECKPOINT event announces
   (present, same icount/hash/length, CRC and zstd intact); NULL if good. */
static const char *checkpoint_problem(TdbReader *r, const TdbEvent *ev,
                                      char *buf, size_t len)
{
    TdbEvCheckpoint ev_ck;
    if (tdb_ev_checkpoint_decode(ev, &ev_ck, buf, len) != 0) {
        return buf;
    }
    uint64_t off = ev_ck.offset;
    const TdbCheckpoint *ck;
    size_t n = tdb_reader_checkpoints(r, &ck), i = 0;
    while (i < n && ck[i].offset != off) {
        i++;
    }
    if (i == n) {
        const char *why = tdb_reader_checkpoint_damage(r);
        snprintf(buf, len, "missing from checkpoints.zst (offset %" PRIu64
                 ")%s%s", off, why ? ": " : "", why ? why : "");
        return buf;
    }
    if (ck[i].icount != ev_ck.icount || ck[i].state_hash != ev_ck.state_hash ||
        ck[i].length != ev_ck.length) {
        snprintf(buf, len, "the record at offset %" PRIu64 " of "
                 "checkpoints.zst does not match its event", off);
        return buf;
    }
    void *blob;
    size_t blen;
    if (tdb_reader_load_checkpoint(r, i, &blob, &blen) != 0) {
        snprintf(buf, len, "%s", tdb_reader_error(r));
        return buf;
    }
    free(blob);
    return NULL;
}

static double mib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

int rr_cmd_info(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "rewind: usage: rewind info DIR\n");
        return 1;
    }
    const char *dir = argv[0];
    char err[1024];
    TdbReader *r = tdb_reader_open(dir, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "rewind: %s\n", err);
        return 2;
    }
    uint64_t counts[32] = { 0 };
    uint64_t raw = 0, idle_ns = 0, last = 0, final_hash = 0, end_ns = 0;
    bool ended = false;
    uint64_t announced = 0, bad_ckpts = 0;
    char ckpt_warn[5][700];
    TdbEvent ev;
    int rc;
    while ((rc = tdb_reader_next(r, &ev)) > 0) {
        if (ev.kind == TDB_EV_CHECKPOINT) {
            char why[600];
            const char *bad = checkpoint_problem(r, &ev, why, sizeof(why));
            announced++;
            if (bad && bad_ckpts < 5) {
                snprintf(ckpt_warn[bad_ckpts], sizeof(ckpt_warn[0]),
                         "checkpoint at icount %" PRIu64 ": %s", ev.icount, bad);
            }
            bad_ckpts += bad != NULL;
        }
        counts[ev.kind < 32 ? ev.kind : 0]++;
        raw += ev.len + 12;
        last = ev.icount;
        TdbEvIdle idle;
        if (ev.kind == TDB_EV_IDLE_SKIP &&
            tdb_ev_idle_decode(&ev, &idle, NULL, 0) == 0) {
            idle_ns += idle.ns;
        }
        TdbEvEnd end;
        if (ev.kind == TDB_EV_END) {
            ended = true;
            if (tdb_ev_end_decode(&ev, &end, NULL, 0) == 0) {
                final_hash = end.state_hash;
                end_ns = end.guest_ns;
            }
        }
    }
    const char *shift_s = tdb_reader_meta(r, "icount_shift");
    uint64_t shift = 0;
    if (shift_s && !tdb_parse_u64(shift_s, CORE_ICOUNT_SHIFT_MAX, &shift)) {
        fprintf(stderr, "rewind: %s/events.zst: META icount_shift=%.24s is "
                "not a number from 0 to %d\n", dir, shift_s,
                CORE_ICOUNT_SHIFT_MAX);
        tdb_reader_close(r);
        return 2;
    }
    const char *argv_s = tdb_reader_meta(r, "argv");
    const char *ver = tdb_reader_meta(r, "rewind_version");
    const char *created = tdb_reader_meta(r, "created_utc");

    printf("trace:        %s\n", dir);
    printf("recorded by:  rewind %s%s%s\n", ver ? ver : "?",
           created ? " at " : "", created ? created : "");
    printf("command line: %s\n", argv_s ? argv_s : "?");
    const TdbInput *inputs;
    size_t ninputs = tdb_reader_inputs(r, &inputs);
    for (size_t i = 0; i < ninputs; i++) {
        printf("input:        %-7s %s (%" PRIu64 " bytes, hash %s)\n",
               inputs[i].name, inputs[i].path, inputs[i].size, inputs[i].hash);
    }
    /* Skips to a timer deadline are not logged (replay redoes them), so
       the guest time comes from END when the trace has one. */
    uint64_t guest_ns = (last << shift) + idle_ns;
    if (end_ns >= guest_ns) {
        idle_ns = end_ns - (last << shift);
        guest_ns = end_ns;
    }
    printf("duration:     %" PRIu64 " instructions, %.3f s of guest time "
           "(%.3f s idle)%s\n", last, (double)guest_ns / 1e9, (double)idle_ns / 1e9,
           ended ? "" : " so far (idle skips to deadlines not counted)");
    printf("state:        %s\n", ended ? "complete" : "incomplete (no END record: "
           "the recorder was killed or the file is truncated)");
    if (ended) {
        printf("final hash:   %016" PRIx64 "\n", final_hash);
    }
    if (rc < 0) {
        printf("error:        %s\n", tdb_reader_error(r));
    } else if (tdb_reader_warning(r)) {
        printf("warning:      %s\n", tdb_reader_warning(r));
    }
    printf("events:      ");
    for (unsigned k = 1; k < 32; k++) {
        if (counts[k]) {
            printf(" %s=%" PRIu64, tdb_kind_name(k), counts[k]);
        }
    }
    printf("\n");
    const TdbCheckpoint *ck;
    size_t nck = tdb_reader_checkpoints(r, &ck);
    uint64_t ev_bytes = file_size(dir, "events.zst");
    uint64_t ck_bytes = file_size(dir, "checkpoints.zst");
    uint64_t ix_bytes = file_size(dir, "index.sqlite");
    printf("checkpoints:  %" PRIu64 " announced, %zu in checkpoints.zst", announced,
           nck);
    if (nck > 1) {
        printf(", every %" PRIu64 " instructions", ck[1].icount - ck[0].icount);
    }
    if (bad_ckpts) {
        printf(", %" PRIu64 " missing or damaged", bad_ckpts);
    }
    printf("\n");
    /* A complete trace announces every record; a killed recorder may have
       written one record without its event. */
    bool ck_damaged = bad_ckpts > 0 || (ended && nck != announced) ||
                      (ended && tdb_reader_checkpoint_damage(r));
    for (uint64_t i = 0; i < bad_ckpts && i < 5; i++) {
        printf("warning:      %s\n", ckpt_warn[i]);
    }
    if (ended && !bad_ckpts && nck != announced) {
        printf("warning:      checkpoints.zst holds %zu checkpoints, the event "
               "log announces %" PRIu64 "\n", nck, announced);
    }
    /* (checkpoints.zst damage itself is in the warning line above.) */
    printf("frames:       %" PRIu64 "\n", tdb_reader_frames(r));
    printf("size:         events %.2f MiB (%.1fx compression), checkpoints "
           "%.2f MiB, index %.2f MiB\n", mib(ev_bytes),
           ev_bytes ? (double)raw / (double)ev_bytes : 0.0, mib(ck_bytes),
           mib(ix_bytes));
    printf("index:        %s\n", tdb_index_state_name(tdb_reader_index_state(r)));
    tdb_reader_close(r);
    return rc < 0 || ck_damaged ? 2 : 0;
}

int rr_cmd_trace(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[0], "reindex") == 0) {
        char err[1024];
        if (tdb_reindex(argv[1], err, sizeof(err)) != 0) {
            fprintf(stderr, "rewind: %s\n", err);
            return 2;
        }
        printf("rewind: rebuilt %s/index.sqlite\n", argv[1]);
        return 0;
    }
    fprintf(stderr, "rewind: usage: rewind trace reindex DIR\n");
    return 1;
}
