"""Runs a command on a pseudo-terminal of its own, as a user's terminal would be, and plays steps.

    python3 pty-session.py ROWS COLS -- COMMAND [ARG...] < steps.json

Steps (JSON list): {"wait": TEXT} until the output contains TEXT (since the last wait),
{"send": TEXT}, {"resize": [ROWS, COLS]}. Then the output is read to its end. Prints one JSON
object: {"output": ..., "code": exit code, "error": a step that timed out, if any}.
"""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time

rows, cols = int(sys.argv[1]), int(sys.argv[2])
argv = sys.argv[4:]
steps = json.load(sys.stdin)
size = struct.pack("HHHH", rows, cols, 0, 0)
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, size)
    os.execvp(argv[0], argv)

output = b""
mark = 0
error = None


def read_some(deadline):
    global output
    left = deadline - time.time()
    if left <= 0:
        return None
    ready, _, _ = select.select([fd], [], [], left)
    if not ready:
        return None
    try:
        data = os.read(fd, 65536)
    except OSError:
        data = b""
    output += data
    return data


for step in steps:
    if "wait" in step:
        want = step["wait"].encode()
        deadline = time.time() + 30
        while want not in output[mark:]:
            if not read_some(deadline):
                error = f"waiting for {step['wait']!r}"
                break
        if error:
            break
        mark = output.index(want, mark) + len(want)
    elif "send" in step:
        os.write(fd, step["send"].encode())
    elif "resize" in step:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", step["resize"][0], step["resize"][1], 0, 0))

deadline = time.time() + 30
while not error and read_some(deadline):
    pass
if error or time.time() >= deadline:
    os.kill(pid, signal.SIGKILL)
    error = error or "the end of the output"
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": output.decode("utf8", "replace"), "code": os.waitstatus_to_exitcode(status), "error": error}))
