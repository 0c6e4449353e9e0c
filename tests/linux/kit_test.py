"""The guest kit's virtio parts, checked as files (rewind has no virtio
devices to boot them on yet; scripts/guest-kit.sh --check boots them in
qemu-system-riscv64): initrd-virtio.gz holds the modules of its load order,
each after the modules it depends on (their own "depends=" field), and the
/init stages; rootfs.ext4 is a clean ext4 with the kit's /init and test
scripts, owned by root; kit.env lists both; a second build from the same
packages is byte-identical; a module that does not exist is a clear error;
a kit made before is kept when nothing it is made from changed and every
file is intact, and built again otherwise (--status says which)."""
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, ensure_kit  # noqa: E402

repo, kit = sys.argv[1:3]
t = Suite("linux-kit")
ensure_kit("the guest kit checks", repo, kit)
script = os.path.join(repo, "scripts", "guest-kit.sh")


def src(name):
    return open(os.path.join(repo, "scripts", name), "rb").read()


def cpio_files(data):
    """newc archives (concatenated): name -> (mode, data)."""
    files, i = {}, 0
    while i + 110 <= len(data):
        if data[i:i + 6] != b"070701":
            i += 1          # padding between archives
            continue
        f = [int(data[i + 6 + 8 * k:i + 14 + 8 * k], 16) for k in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = data[i + 110:i + 110 + namesize - 1].decode()
        j = i + 110 + namesize
        j += (4 - j % 4) % 4
        files[name] = (mode, data[j:j + size])
        i = j + size
        i += (4 - i % 4) % 4
    return files


def modinfo(ko, field):
    for s in ko.split(b"\0"):
        if s.startswith(field.encode() + b"="):
            return s.split(b"=", 1)[1].decode()
    return None


env = dict(line.split("=", 1) for line in open(os.path.join(kit, "kit.env")).read().splitlines()
           if "=" in line and not line.startswith("#"))
sha = lambda p: subprocess.run(["sha256sum", p], capture_output=True, text=True).stdout.split()[0]  # noqa: E731
t.check(env.get("KIT_INITRD_VIRTIO_SHA256") == sha(os.path.join(kit, "initrd-virtio.gz")),
        "kit.env lists initrd-virtio.gz's sha256")
t.check(env.get("KIT_ROOTFS_SHA256") == sha(os.path.join(kit, "rootfs.ext4")),
        "kit.env lists rootfs.ext4's sha256")

files = cpio_files(gzip.open(os.path.join(kit, "initrd-virtio.gz")).read())
t.check(files.get("init", (0, b""))[1] == src("initramfs-virtio.sh") and files["init"][0] & 0o111,
        "initrd-virtio.gz: /init is scripts/initramfs-virtio.sh, executable")
t.check(files.get("lib/rewind/init", (0, b""))[1] == src("initramfs-init.sh")
        and files["lib/rewind/init"][0] & 0o111,
        "initrd-virtio.gz: /lib/rewind/init is scripts/initramfs-init.sh, executable")
t.check("usr/share/udhcpc/default.script" in files, "initrd-virtio.gz: udhcpc default.script")
order = files.get("lib/modules/load-order", (0, b""))[1].decode().split()
names = [os.path.basename(p)[:-3].replace("-", "_") for p in order]
print("load order:", " ".join(names))
for want in ("virtio_mmio", "virtio_blk", "virtio_net", "virtio_rng", "ext4", "jbd2",
             "mbcache", "crc32c_generic"):
    t.check(want in names, f"initrd-virtio.gz loads {want}", f"order: {names}")
for k, p in enumerate(order):
    ko = files.get("lib/modules/" + p, (0, None))[1]
    t.check(ko is not None and ko[:4] == b"\x7fELF", f"{p} is in initrd-virtio.gz, uncompressed")
    if ko is None:
        continue
    for dep in filter(None, (modinfo(ko, "depends") or "").split(",")):
        t.check(dep.replace("-", "_") in names[:k], f"{p}: its dependency {dep} is loaded before it",
                f"order: {names}")

rootfs = os.path.join(kit, "rootfs.ext4")
fsck = subprocess.run(["e2fsck", "-fn", rootfs], capture_output=True, text=True)
t.check(fsck.returncode == 0, "rootfs.ext4: e2fsck -fn finds it clean", fsck.stdout[-800:])


def debugfs(req):
    return subprocess.run(["debugfs", "-R", req, rootfs], capture_output=True).stdout


t.check(debugfs("cat /init") == src("initramfs-init.sh"), "rootfs.ext4: /init is scripts/initramfs-init.sh")
t.check(debugfs("cat /etc/rewind-disk-test.sh") == src("guest-disk-test.sh"),
        "rootfs.ext4: /etc/rewind-disk-test.sh")
st = debugfs("stat /bin/busybox").decode()
t.check("User:     0   Group:     0" in st and "Mode:  0755" in st,
        "rootfs.ext4: /bin/busybox is root's and executable", st[:300])

for link in ("/bin/mount", "/sbin/switch_root", "/usr/sbin/udhcpc", "/usr/bin/wget"):
    t.check('Fast link dest: "/bin/busybox"' in debugfs("stat " + link).decode(),
            f"rootfs.ext4: {link} links to busybox (so /init writes no links)")

with tempfile.TemporaryDirectory() as tmp:
    # A kit made before is taken as it is only when this run would make the
    # same bytes: same inputs, every file as kit.env lists it (--status
    # says whether a run would build it, and builds nothing).
    copy = os.path.join(tmp, "copy")
    shutil.copytree(kit, copy)

    def kit_run(*args, **env):
        return subprocess.run(["bash", script, *args], capture_output=True, text=True,
                              timeout=1800,
                              env=dict(os.environ, REWIND_KIT_DIR=copy, **env))
    r = kit_run()
    t.check(r.returncode == 0 and "is up to date" in r.stderr,
            "a kit made before is up to date (not built again)", r.stderr[-1500:])
    r = kit_run("--status")
    t.check(r.returncode == 0 and "is up to date" in r.stderr, "--status: up to date",
            r.stderr[-1500:])
    r = kit_run("--status", REWIND_KIT_EXTRA_MODULES="virtio_input")
    t.check(r.returncode == 1 and "not up to date: made from other inputs" in r.stderr,
            "--status with one more module: not up to date (other inputs)",
            f"rc={r.returncode} {r.stderr[-800:]}")
    with open(os.path.join(copy, "initrd-shell.gz"), "ab") as f:
        f.write(b"\0")
    r = kit_run("--status")
    t.check(r.returncode == 1 and "not up to date: initrd-shell.gz is missing or not the file"
            in r.stderr, "--status after initrd-shell.gz changed: not up to date",
            f"rc={r.returncode} {r.stderr[-800:]}")
    t.check(sha(os.path.join(copy, "initrd-shell.gz")) != sha(os.path.join(kit, "initrd-shell.gz")),
            "--status builds nothing")

    # First: a mutant build that goes on without the module fails here,
    # one build sooner.
    bad = os.path.join(tmp, "bad")
    r = subprocess.run(["bash", script], capture_output=True, text=True, timeout=1800,
                       env=dict(os.environ, REWIND_KIT_DIR=bad,
                                REWIND_KIT_EXTRA_MODULES="no_such_module"))
    t.check(r.returncode == 1 and "kernel module no_such_module: neither built in" in r.stderr
            and not os.path.exists(os.path.join(bad, "initrd-virtio.gz")),
            "a module that does not exist: exit 1, named, no initrd-virtio.gz",
            f"rc={r.returncode} {r.stderr[-800:]}")

    again = os.path.join(tmp, "kit")
    r = subprocess.run(["bash", script], env=dict(os.environ, REWIND_KIT_DIR=again),
                       capture_output=True, text=True, timeout=1800)
    t.check(r.returncode == 0, "a second kit build succeeds", r.stderr[-1500:])
    for f in ("Image", "initrd.gz", "initrd-shell.gz", "initrd-virtio.gz", "rootfs.ext4"):
        t.check(r.returncode == 0 and sha(os.path.join(again, f)) == sha(os.path.join(kit, f)),
                f"{f} is byte-identical when built again")
t.finish()
