/*
 * The block back ends (backends/block.c, block_spec.c) without a guest:
 * -drive and -blockdev parsing and their errors, image locks (a writer
 * excludes everyone, readers share), the copy-on-write overlay (reads
 * see the writes, the image stays untouched, zero blocks cost no data)
 * and its log: a recording's log in the trace directory, a replay that
 * goes back and forth in it (also after writing something else), and
 * hostile states and logs (wrong hash, past the end, a corrupted or
 * truncated or missing log) refused with a message naming the log.
 */
#include "backends/block.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[64];

static void make_image(void)
{
    snprintf(path, sizeof(path), "/tmp/rewind-block-test-%d.img", getpid());
    FILE *f = fopen(path, "wb");
    for (unsigned i = 0; i < 64 * 1024; i++) {
        fputc((int)(i * 3 & 0xff), f);
    }
    fclose(f);
}

static void parse_tests(void)
{
    CoreConfig cfg;
    char err[300];
    const char *id = NULL;
    char arg[128];
    memset(&cfg, 0, sizeof(cfg));
    snprintf(arg, sizeof(arg), "file=%s,format=raw,if=none,id=d0", path);
    CHECK(be_drive_parse(arg, &cfg, &id, err, sizeof(err)) == BE_DRIVE_OK);
    CHECK(be_drive_find(&cfg, "d0") && !be_drive_find(&cfg, "d1"));
    CHECK(strcmp(cfg.drives[0].input_name, "drive:d0") == 0);
    snprintf(arg, sizeof(arg), "file=%s,if=virtio", path);
    CHECK(be_drive_parse(arg, &cfg, &id, err, sizeof(err)) == BE_DRIVE_VIRTIO);
    CHECK(id && strcmp(id, "virtio0") == 0);
    const struct { const char *arg, *want; } bad[] = {
        { "file=x,format=qcow2,id=a", "qemu-img convert -O raw" },
        { "file=x,format=vmdk,id=a", "format=vmdk" },
        { "file=x,id=a,cache=none", "unknown option 'cache'" },
        { "file=x,if=none", "needs id=" },
        { "file=x,if=ide,id=a", "if=ide" },
        { "format=raw,id=a", "file= is required" },
        { "file=x,id=d0", "duplicate drive id" },
        { "file=x,id=a,readonly=maybe", "readonly" },
        { "file=x,id=a b", "id=a b" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK(be_drive_parse(bad[i].arg, &cfg, &id, err, sizeof(err)) ==
              BE_DRIVE_ERROR && strstr(err, bad[i].want),
              "-drive %s: '%s'", bad[i].arg, err);
    }
    snprintf(arg, sizeof(arg), "driver=file,filename=%s,node-name=f0", path);
    CHECK(be_blockdev_parse(arg, &cfg, err, sizeof(err)));
    CHECK(be_blockdev_parse("driver=raw,file=f0,node-name=r0,read-only=on",
                            &cfg, err, sizeof(err)));
    CHECK(!be_drive_find(&cfg, "f0"));            /* consumed by r0 */
    const CoreDriveOpt *r0 = be_drive_find(&cfg, "r0");
    CHECK(r0 && r0->readonly && strcmp(r0->filename, path) == 0);
    const struct { const char *arg, *want; } badb[] = {
        { "driver=qcow2,file=f0,node-name=q", "qemu-img convert" },
        { "driver=raw,file=f0,node-name=r1", "file=f0" },   /* taken */
        { "driver=raw,file=zz,node-name=r1", "file=zz" },
        { "driver=file,node-name=x", "filename=" },
        { "driver=file,filename=x", "node-name=" },
        { "driver=nbd,node-name=x", "driver=nbd" },
        { "driver=file,filename=x,node-name=y,aio=native", "'aio'" },
        { "filename=x,node-name=y", "driver=" },
    };
    for (size_t i = 0; i < sizeof(badb) / sizeof(badb[0]); i++) {
        err[0] = '\0';
        CHECK(!be_blockdev_parse(badb[i].arg, &cfg, err, sizeof(err)) &&
              strstr(err, badb[i].want), "-blockdev %s: '%s'", badb[i].arg,
              err);
    }
    be_drive_opts_free(&cfg);
    CHECK(cfg.ndrives == 0);
}

static void lock_tests(void)
{
    char err[512];
    CoreDriveOpt w = { .id = "w", .filename = path };
    CoreDriveOpt r = { .id = "r", .filename = path, .readonly = true };
    BeBlock *a = be_block_open(&w, false, err, sizeof(err));
    CHECK(a != NULL, ": %s", err);
    err[0] = '\0';
    CHECK(!be_block_open(&w, false, err, sizeof(err)) && strstr(err, path) &&
          strstr(err, "locked"), ": '%s'", err);
    CHECK(!be_block_open(&r, false, err, sizeof(err)) && strstr(err, "locked"));
    CHECK(!be_block_open(&w, true, err, sizeof(err)));   /* record, too */
    be_block_close(a);
    BeBlock *r1 = be_block_open(&r, false, err, sizeof(err));
    BeBlock *r2 = be_block_open(&w, true, err, sizeof(err));
    CHECK(r1 && r2, ": readers share: %s", err);
    CHECK(!be_block_open(&w, false, err, sizeof(err)));
    be_block_close(r1);
    be_block_close(r2);
    CoreDriveOpt missing = { .id = "m", .filename = "/nonexistent/x.img" };
    CHECK(!be_block_open(&missing, true, err, sizeof(err)) &&
          strstr(err, "/nonexistent/x.img"));
}

static void overlay_tests(void)
{
    char err[512];
    CoreDriveOpt w = { .id = "w", .filename = path };
    char dir[64], logpath[96];
    snprintf(dir, sizeof(dir), "/tmp/rewind-block-test-%d.rwd", getpid());
    snprintf(logpath, sizeof(logpath), "%s/overlay-w.log", dir);
    CHECK(mkdir(dir, 0777) == 0);
    BeBlock *b = be_block_open(&w, true, err, sizeof(err));
    CHECK(b && be_block_size(b) == 64 * 1024);
    CHECK(be_block_set_log(b, dir, true));     /* recording into dir */
    uint8_t buf[10000], want[10000];
    memset(buf, 0xee, sizeof(buf));
    CHECK(be_block_write(b, 5000, buf, 10000) == 0);   /* blocks 1..3 */
    CHECK(be_block_write_zeroes(b, 8192 * 4, 8192) == 0);   /* 8, 9 */
    CHECK(be_block_overlay_blocks(b) == 5);
    CHECK(be_block_read(b, 0, buf, sizeof(buf)) == 0);
    for (unsigned i = 0; i < sizeof(want); i++) {
        want[i] = i < 5000 ? (uint8_t)(i * 3) : 0xee;
    }
    CHECK(memcmp(buf, want, sizeof(buf)) == 0);
    CHECK(be_block_read(b, 8192 * 4 - 10, buf, 30) == 0);
    CHECK(buf[0] == (uint8_t)((8192 * 4 - 10) * 3) && buf[10] == 0);
    CoreBuf s1 = { 0 }, s2 = { 0 }, s0 = { 0 };
    be_block_overlay_save(b, &s1);
    CHECK(s1.len == 16);                   /* a point in the log, no data */
    struct stat st;
    CHECK(stat(logpath, &st) == 0 &&
          st.st_size == 32 + 3 * (16 + 4096 + 8) + 2 * (16 + 8));
    /* A replay (own temporary log) rebuilds that point from the recorded
       log, goes back to the empty disk and forward again. */
    BeBlock *c = be_block_open(&w, true, err, sizeof(err));
    CHECK(c && be_block_set_log(c, dir, false));
    be_block_overlay_save(c, &s0);
    CHECK(be_block_overlay_load(c, s1.data, s1.len, err, sizeof(err)) == 0,
          ": %s", err);
    be_block_overlay_save(c, &s2);
    CHECK(s2.len == s1.len && memcmp(s1.data, s2.data, s1.len) == 0);
    CHECK(be_block_read(c, 0, buf, sizeof(buf)) == 0 &&
          memcmp(buf, want, sizeof(buf)) == 0);
    CHECK(be_block_overlay_load(c, s0.data, s0.len, err, sizeof(err)) == 0 &&
          be_block_overlay_blocks(c) == 0);
    CHECK(be_block_read(c, 0, buf, 100) == 0 && buf[99] == (uint8_t)(99 * 3));
    CHECK(be_block_overlay_load(c, s1.data, s1.len, err, sizeof(err)) == 0 &&
          be_block_overlay_blocks(c) == 5);
    /* Another history (the replay wrote something else): the recorded
       log again, from the start. */
    CHECK(be_block_overlay_load(c, s0.data, s0.len, err, sizeof(err)) == 0);
    CHECK(be_block_write(c, 0, buf, 100) == 0);
    CHECK(be_block_overlay_load(c, s1.data, s1.len, err, sizeof(err)) == 0);
    CHECK(be_block_read(c, 0, buf, sizeof(buf)) == 0 &&
          memcmp(buf, want, sizeof(buf)) == 0);
    /* Hostile states and logs: an error naming the log, nothing crashes. */
    uint8_t h[17];
    memcpy(h, s1.data, 16);
    CHECK(be_block_overlay_load(c, h, 15, err, sizeof(err)) != 0);
    CHECK(be_block_overlay_load(c, NULL, 0, err, sizeof(err)) != 0);
    h[8] ^= 1;                                     /* wrong hash */
    CHECK(be_block_overlay_load(c, h, 16, err, sizeof(err)) != 0 &&
          strstr(err, logpath));
    memcpy(h, s1.data, 16);
    h[0] += 24;                                    /* past the log */
    CHECK(be_block_overlay_load(c, h, 16, err, sizeof(err)) != 0 &&
          strstr(err, logpath) && strstr(err, "truncated"));
    be_block_close(c);
    FILE *lf = fopen(logpath, "r+b");
    CHECK(lf && fseek(lf, 32 + 16 + 4096 + 8 + 16 + 100, SEEK_SET) == 0);
    fputc(0x5a, lf);                               /* a data byte */
    fclose(lf);
    c = be_block_open(&w, true, err, sizeof(err));
    CHECK(c && be_block_set_log(c, dir, false));
    CHECK(be_block_overlay_load(c, s1.data, s1.len, err, sizeof(err)) != 0 &&
          strstr(err, logpath) && strstr(err, "corrupt"), ": %s", err);
    CHECK(be_block_overlay_blocks(c) == 0);
    CHECK(truncate(logpath, 32 + 16 + 4096) == 0);
    CHECK(be_block_overlay_load(c, s1.data, s1.len, err, sizeof(err)) != 0 &&
          strstr(err, "truncated"), ": %s", err);
    be_block_close(c);
    unlink(logpath);
    c = be_block_open(&w, true, err, sizeof(err));
    CHECK(c && be_block_set_log(c, dir, false));
    CHECK(be_block_overlay_load(c, s1.data, s1.len, err, sizeof(err)) != 0 &&
          strstr(err, logpath));
    core_buf_free(&s0);
    core_buf_free(&s1);
    core_buf_free(&s2);
    be_block_close(b);
    be_block_close(c);
    rmdir(dir);
    /* The image itself was never written. */
    FILE *f = fopen(path, "rb");
    CHECK(fread(buf, 1, sizeof(buf), f) == sizeof(buf));
    fclose(f);
    for (unsigned i = 0; i < sizeof(buf); i++) {
        if (buf[i] != (uint8_t)(i * 3)) {
            CHECK(0, ": image byte %u changed", i);
            break;
        }
    }
}

int main(void)
{
    make_image();
    parse_tests();
    lock_tests();
    overlay_tests();
    unlink(path);
    return check_done("block");
}
