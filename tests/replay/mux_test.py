"""One mux'd chardev shared by two front ends, through a real terminal.

The mux_echo guest (tests/guest/mux_echo.c) echoes each line its UART
receives as "uart got: [LINE]" (on the UART) and each line its virtconsole
receives as "hvc got: [LINE]" (on the console); both front ends share
`-chardev stdio,id=s0,mux=on`. As in QEMU, the front end attached last
(the virtconsole) has the input at start and Ctrl-A c moves it to the
next in attach order (the UART, then back). The test types a line to
each in turn and checks that each received only its own bytes, that
Ctrl-A Ctrl-A gives the focused front end one Ctrl-A, that Ctrl-A h lists
the keys, and that the mux's notices stay out of the recorded console.
Then the recording verifies, and its SERIAL_RX events name the port that
had the focus.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from rwtest import Suite, run  # noqa: E402
from ptyterm import Terminal  # noqa: E402

exe, elf = sys.argv[1:3]
t = Suite("mux")
tmp = tempfile.mkdtemp()
trace = os.path.join(tmp, "mux.rwd")
term = Terminal([exe, "record", "-o", trace, "-M", "virt", "-bios", "none",
                 "-kernel", elf, "-serial", "chardev:s0",
                 "-chardev", "stdio,id=s0,mux=on",
                 "-device", "virtio-serial-device",
                 "-device", "virtconsole,chardev=s0"])


term.typed(t, b"", b"mux_echo: ready", "the guest is up", 60)
term.typed(t, b"one\r", b"hvc got: [one]", "at start the virtconsole (attached "
      "last) takes the input")
term.typed(t, b"\x01c", b"input goes to input port 0 (the UART)",
      "Ctrl-A c moves the input to the UART")
term.typed(t, b"two\r", b"uart got: [two]", "the UART gets what is typed now")
start = term.mark()
term.type(b"\x01h")
for key in (b"C-a h", b"C-a x", b"C-a c", b"C-a C-a"):
    at = term.expect(key, t.limit(20), start)
    t.check(at is not None, f"Ctrl-A h lists {key.decode()}", term.text(start))
term.typed(t, b"\x01c", b"input goes to input port 1 (virtio-serial)",
      "Ctrl-A c again wraps round to the virtconsole")
term.typed(t, b"\x01\x01three\r", b"hvc got: [\\x01three]",
      "Ctrl-A Ctrl-A gives the focused front end one Ctrl-A")
term.typed(t, b"q\r", b"hvc got: [q]", "the virtconsole is done")
term.typed(t, b"\x01cq\r", b"PASS mux_echo", "the UART is done, the guest passes")
status = term.wait(t.limit(60))
screen = term.text()
t.check(status == 0 and "rewind: recorded" in screen,
        "the recorder exits 0", f"status {status}; {screen[-600:]!r}")
for wrong in ("uart got: [one]", "hvc got: [two]", "uart got: [\\x01three]",
              "got: [\\x01\\x01", "uart got: [h", "got: [c"):
    t.check(wrong not in screen, f"no {wrong!r}: each front end got only "
            "its own bytes, no escape reached a guest", screen)

if t.failed:
    t.finish()   # the recording is no use (and may be long): stop here

rc, out, err = run(exe, "verify", trace)
t.check(rc == 0 and "replay identical" in err, "verify passes", out + err)
rc, out, err = run(exe, "query", trace, "SELECT summary FROM events WHERE "
                   "kind = 'SERIAL_RX' ORDER BY id")
ports = [line.split(":")[0] for line in out.splitlines()[1:]]
t.check(rc == 0 and ports == ["port 1", "port 0", "port 1", "port 1",
                              "port 0"],
        "SERIAL_RX events name the port that had the input", out + err)
rc, out, err = run(exe, "query", trace, "SELECT count(*) FROM console "
                   "WHERE text LIKE '%C-a%' OR text LIKE '%input goes%'")
t.check(rc == 0 and out.split()[-1:] == ["0"],
        "the mux's notices are not in the recorded console", out + err)
rc, out, err = run(exe, "replay", trace)
t.check(rc == 0 and "uart got: [two]" in out and "input goes" not in out,
        "replay prints the console without the notices",
        out + err)
t.finish()
