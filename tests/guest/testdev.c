/*
 * testdev - drives rewind's test device (hw/misc/testdev.c) from a guest.
 * Run with
 *     -device testdev,reg=0x1234,step=3,id=td0 -device testdev,reg=7,locked=on
 * the board places them on its platform bus in command-line order, at
 * 0x4000000 and 0x4001000. The guest checks the properties arrived
 * (REG's reset value, STEP, the lock), then writes REG many times while a
 * model in RAM predicts REG and COUNT: if a checkpoint failed to restore
 * the device's state, a replay that seeks through it sees the model and
 * the device disagree and fails here.
 */
#include "rt.h"

#define TD0 0x4000000UL
#define TD1 0x4001000UL
#define MAGIC 0x00
#define REG   0x08
#define COUNT 0x10
#define STEP  0x18
#define ROUNDS 200000

static uint64_t rd(unsigned long base, unsigned off)
{
    return *(volatile uint64_t *)(base + off);
}

static void wr(unsigned long base, unsigned off, uint64_t v)
{
    *(volatile uint64_t *)(base + off) = v;
}

int main(void)
{
    CHECK_EQ(rd(TD0, MAGIC), 0x52574454);
    CHECK_EQ(rd(TD0, REG), 0x1234);
    CHECK_EQ(rd(TD0, COUNT), 0);
    CHECK_EQ(rd(TD0, STEP), 3);
    CHECK_EQ(*(volatile uint32_t *)(TD0 + REG), 0x1234);   /* 4-byte reads */

    CHECK_EQ(rd(TD1, MAGIC), 0x52574454);
    CHECK_EQ(rd(TD1, REG), 7);
    CHECK_EQ(rd(TD1, STEP), 1);
    wr(TD1, REG, 99);                     /* locked: ignored, but counted */
    CHECK_EQ(rd(TD1, REG), 7);
    CHECK_EQ(rd(TD1, COUNT), 1);

    uint64_t reg = 0x1234, count = 0, sum = 0;
    for (unsigned long i = 0; i < ROUNDS; i++) {
        uint64_t v = reg * 6364136223846793005ULL + i;
        wr(TD0, REG, v);
        reg = v;
        count += 3;
        uint64_t dreg = rd(TD0, REG), dcount = rd(TD0, COUNT);
        if (dreg != reg || dcount != count) {
            CHECK_EQ(dreg, reg);
            CHECK_EQ(dcount, count);
        }
        sum = sum * 31 + dreg + dcount;
    }
    CHECK_EQ(rd(TD0, COUNT), 3 * ROUNDS);
    rt_puts("testdev: REG ");
    rt_put_hex(rd(TD0, REG));
    rt_puts(" COUNT ");
    rt_put_dec(rd(TD0, COUNT));
    rt_puts(" sum ");
    rt_put_hex(sum);
    rt_putc('\n');
    return rt_pass("testdev");
}
