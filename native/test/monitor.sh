#!/bin/sh
# Tests of koker-monitor against plain programs: logs kept apart per stream, exit status, the
# keeper lock, the sync report, fd pass-through, --tty, --stdin, the on-exit command, a companion.
set -eu
bin=$(realpath "$1")
work=$(mktemp -d /tmp/koker-monitor-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
fresh() { d="$work/$1"; mkdir -p "$d"; echo "$d"; }
wait_exit() { i=0; while [ ! -f "$1/exit.json" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; }

"$bin" --version | grep -q '^koker-monitor ' || fail "--version"

# stdout and stderr apart, in order, with the exit code; a partial last line is a P record.
d=$(fresh streams)
"$bin" --dir "$d" -- sh -c 'echo out1; echo err1 >&2; echo out2; printf tail; exit 3'
grep -q '"exitCode":3,"signal":0,' "$d/exit.json" || fail "exit code 3: $(cat "$d/exit.json")"
[ "$(awk '$2 == "stdout" && $3 == "F" { print $4 }' "$d/container.log" | tr '\n' ,)" = "out1,out2," ] || fail "stdout lines: $(cat "$d/container.log")"
[ "$(awk '$2 == "stderr" { print $3, $4 }' "$d/container.log")" = "F err1" ] || fail "stderr line"
[ "$(awk '$3 == "P" { print $2, $4 }' "$d/container.log")" = "stdout tail" ] || fail "partial line"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z stdout F out1$' "$d/container.log" || fail "record format"
grep -Eq '"finishedAt":"[0-9T:.-]+Z","pid":[0-9]+,"logDropped":0}' "$d/exit.json" || fail "exit.json fields"

# --no-sync (a --rm container's): the same record, written without fsync (strace counts none).
d=$(fresh nosync)
if command -v strace >/dev/null; then
  strace -f -qq -o "$work/nosync.trace" -e trace=fsync,fdatasync "$bin" --dir "$d" --no-sync -- sh -c 'exit 5'
  ! grep -q 'fsync' "$work/nosync.trace" || fail "--no-sync still fsyncs: $(cat "$work/nosync.trace")"
  d2=$(fresh synced)
  strace -f -qq -o "$work/synced.trace" -e trace=fsync,fdatasync "$bin" --dir "$d2" -- sh -c 'exit 5'
  [ "$(grep -c 'fsync' "$work/synced.trace")" = 2 ] || fail "the exit record is fsynced, file and directory: $(cat "$work/synced.trace")"
else
  "$bin" --dir "$d" --no-sync -- sh -c 'exit 5'
fi
grep -q '"exitCode":5,"signal":0,' "$d/exit.json" || fail "--no-sync exit record: $(cat "$d/exit.json")"

# json-file: Docker's format, control characters and quotes escaped, a fragment without \n.
d=$(fresh json)
"$bin" --dir "$d" --log-driver json-file -- sh -c 'echo "a \"q\" b"; printf "t\tx\001\n" >&2; printf end'
python3 - "$d/container-json.log" <<'PY' || fail "json-file records: $(cat "$d/container-json.log")"
import json, re, sys
records = [json.loads(line) for line in open(sys.argv[1])]
assert [r["log"] for r in records if r["stream"] == "stdout"] == ['a "q" b\n', "end"], records
assert [r["log"] for r in records if r["stream"] == "stderr"] == ["t\tx\x01\n"], records
assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", r["time"]) for r in records)
PY
[ ! -e "$d/container.log" ] || fail "json-file wrote container.log"

# Rotation: at most max-file files of at most max-size bytes, the newest lines in the current one.
d=$(fresh rotate)
"$bin" --dir "$d" --log-driver json-file --log-max-size 1000 --log-max-file 3 -- sh -c 'i=0; while [ $i -lt 200 ]; do echo line$i; i=$((i + 1)); done'
[ "$(ls "$d" | grep -c '^container-json.log')" = 3 ] || fail "rotation: $(ls "$d")"
for f in "$d"/container-json.log*; do [ "$(stat -c %s "$f")" -le 1000 ] || fail "rotation: $f is $(stat -c %s "$f") bytes"; done
tail -n 1 "$d/container-json.log" | grep -q '"log":"line199\\n"' || fail "rotation: last line $(tail -n 1 "$d/container-json.log")"
d=$(fresh truncate)
"$bin" --dir "$d" --log-max-size 200 --log-max-file 1 -- sh -c 'i=0; while [ $i -lt 100 ]; do echo line$i; i=$((i + 1)); done'
[ "$(stat -c %s "$d/container.log")" -le 200 ] && [ ! -e "$d/container.log.1" ] || fail "max-file 1: $(ls -l "$d")"
d=$(fresh none)
"$bin" --dir "$d" --log-driver none -- echo hidden
[ ! -e "$d/container.log" ] && [ ! -e "$d/container-json.log" ] || fail "log-driver none wrote a log"

# Attach: output live from when the client connected (--attach-wait: from the start), stdin
# through the socket (closed once with --stdin-once), the exit code last.
d=$(fresh attach)
"$bin" --dir "$d" --stdin --stdin-once --attach --attach-wait 5000 --log-driver json-file -- sh -c 'echo hello; echo oops >&2; cat; exit 7' &
i=0; while [ ! -S "$d/attach.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ "$(stat -c %a "$d/attach.sock")" = 600 ] || fail "attach.sock mode $(stat -c %a "$d/attach.sock")"
python3 - "$d/attach.sock" > "$d/attached" <<'PY' || fail "attach client: $(cat "$d/attached")"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def frame(kind, data): s.sendall(struct.pack(">B3xI", kind, len(data)) + data)
frame(0, b"typed\n"); frame(1, b"")
got, data = [], b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
while data:
    kind, length = struct.unpack(">B3xI", data[:8]); got.append((kind, data[8:8 + length])); data = data[8 + length:]
out = b"".join(p for k, p in got if k == 1); err = b"".join(p for k, p in got if k == 2)
assert out == b"hello\ntyped\n" and err == b"oops\n" and got[-1] == (3, b"7"), got
print("ok")
PY
wait
grep -q '"exitCode":7,' "$d/exit.json" || fail "attach exit: $(cat "$d/exit.json")"
[ ! -e "$d/attach.sock" ] || fail "attach.sock left behind"

# --attach-wait: a program that ended before the client came still gives it all its output.
d=$(fresh attach-late)
"$bin" --dir "$d" --attach --attach-wait 5000 -- sh -c 'echo early; exit 3' &
sleep 0.5
python3 - "$d/attach.sock" > "$d/attached" <<'PY' || fail "late attach client: $(cat "$d/attached")"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
assert data == struct.pack(">B3xI", 1, 6) + b"early\n" + struct.pack(">B3xI", 3, 1) + b"3", data
PY
wait

# Killed by a signal: 128 + n, and the signal.
d=$(fresh signal)
"$bin" --dir "$d" -- sh -c 'kill -9 $$'
grep -q '"exitCode":137,"signal":9,' "$d/exit.json" || fail "signal status: $(cat "$d/exit.json")"

# Not found: 127, reported like a shell does.
d=$(fresh missing)
"$bin" --dir "$d" -- /no/such/program
grep -q '"exitCode":127,' "$d/exit.json" || fail "missing program: $(cat "$d/exit.json")"

# The sync report, the keeper lock while it runs, fds >= 3 passed through, --stdin kept open,
# SIGTERM to the monitor forwarded, the on-exit command run once it ended.
d=$(fresh lifecycle)
"$bin" --dir "$d" --stdin --sync-fd 3 --on-exit sh --on-exit -c --on-exit "echo cleaned > $d/cleaned" \
  -- sh -c 'echo via-fd4 >&4; read line; echo never' 3>"$d/sync" 4>"$d/fd4" &
monitor=$!
i=0; while [ ! -s "$d/sync" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -Eq '^pid [0-9]+$' "$d/sync" || fail "sync report: $(cat "$d/sync")"
sleep 0.2
if flock -n "$d/keeper.lock" true; then fail "keeper lock not held while running"; fi
[ ! -f "$d/exit.json" ] || fail "--stdin did not keep the program waiting"
[ "$(cat "$d/fd4")" = via-fd4 ] || fail "fd 4 not passed through"
kill -TERM "$monitor"
wait "$monitor" || true
wait_exit "$d"
grep -q '"exitCode":143,"signal":15,' "$d/exit.json" || fail "forwarded SIGTERM: $(cat "$d/exit.json")"
[ "$(cat "$d/cleaned" 2>/dev/null)" = cleaned ] || fail "on-exit command not run"
flock -n "$d/keeper.lock" true || fail "keeper lock held after exit"
! grep -q never "$d/container.log" || fail "stdin was not kept open"

# --tty: a terminal for stdin/stdout/stderr, logged as stdout.
d=$(fresh tty)
"$bin" --dir "$d" --tty -- sh -c 'tty; test -t 0 && test -t 2 && echo all-tty; stty size; exit 4'
grep -Eq ' stdout F /dev/pts/[0-9]+.?$' "$d/container.log" || fail "tty: $(cat "$d/container.log")"
grep -q ' stdout F all-tty' "$d/container.log" || fail "tty on 0 and 2"
grep -q ' stdout F 24 80' "$d/container.log" || fail "tty size"
grep -q '"exitCode":4,' "$d/exit.json" || fail "tty exit code"
d=$(fresh tty-raw)
"$bin" --dir "$d" --tty --tty-raw --tty-size 33,101 -- sh -c 'stty size; stty -a | grep -q -- "-icanon" && echo raw'
grep -q ' stdout F 33 101' "$d/container.log" || fail "tty size given: $(cat "$d/container.log")"
grep -q ' stdout F raw$' "$d/container.log" || fail "tty raw: $(cat "$d/container.log")"

# Crash points: killed after reaping (no exit.json, no on-exit), or after writing exit.json.
d=$(fresh crash-reaped)
KOKER_CRASH_AT=monitor:reaped "$bin" --dir "$d" --on-exit touch --on-exit "$d/ran" -- true || true
[ ! -f "$d/exit.json" ] && [ ! -f "$d/ran" ] || fail "crash at monitor:reaped"
d=$(fresh crash-exit-file)
KOKER_CRASH_AT=monitor:exit-file "$bin" --dir "$d" --on-exit touch --on-exit "$d/ran" -- true || true
[ -f "$d/exit.json" ] && [ ! -f "$d/ran" ] || fail "crash at monitor:exit-file"

# A companion beside the container with the log and attach options: started after the
# program, SIGTERMed once it ended, before the on-exit command; the log as without it.
d=$(fresh companion)
"$bin" --dir "$d" --log-driver json-file --log-max-size 1000 --log-max-file 2 --attach \
    --on-exit sh --on-exit -c --on-exit "if test -f $d/companion.term; then touch $d/cleanup; fi" \
    --companion sh --companion -c --companion "trap 'touch $d/companion.term; exit 0' TERM; touch $d/companion.up; while :; do sleep 0.05; done" \
    -- sh -c 'sleep 0.3; echo logged'
i=0; while [ ! -f "$d/cleanup" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -f "$d/companion.up" ] && [ -f "$d/companion.term" ] || fail "companion: $(ls "$d")"
[ -f "$d/cleanup" ] || fail "companion: the on-exit command ran before it ended"
grep -q '"log":"logged\\n"' "$d/container-json.log" || fail "companion: log $(cat "$d/container-json.log")"

# Settled by the attached client: after the exit frame it names the directories it moved aside;
# the monitor lets go of the keeper lock, removes them (a symlink removed, never followed; an
# unwritable directory too) and ends without the on-exit command. A directory with a mount
# beneath is not entered: the on-exit command is left to remove it.
cat > "$work/settle.py" <<'PY'
import fcntl, os, socket, struct, sys
d, paths = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX); s.connect(d + "/attach.sock")
def frame(kind, data): s.sendall(struct.pack(">B3xI", kind, len(data)) + data)
frame(4, b"")  # hold: wait for this client after the exit
data, kinds = b"", []
while 3 not in kinds:
    chunk = s.recv(65536)
    if not chunk: sys.exit("closed before the exit frame: %r" % data)
    data += chunk
    while len(data) >= 8 and len(data) >= 8 + struct.unpack(">I", data[4:8])[0]:
        kinds.append(data[0]); data = data[8 + struct.unpack(">I", data[4:8])[0]:]
lock = os.open(d + "/keeper.lock", os.O_RDWR)
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB); sys.exit("keeper lock free before the client settled")
except BlockingIOError:
    pass
frame(5, b"\0".join(p.encode() for p in paths))
s.close()
PY
settled_run() { # DIR PATH...: the monitor on `true`, settled by the client; prints its exit code
  d=$1; shift
  "$bin" --dir "$d" --attach --attach-wait 5000 --no-sync --on-exit touch --on-exit "$d/ran" -- true &
  monitor=$!
  i=0; while [ ! -S "$d/attach.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  python3 "$work/settle.py" "$d" "$@" >&2 || fail "settle client"
  rc=0; wait "$monitor" || rc=$?
  echo "$rc"
}
d=$(fresh settled)
mkdir -p "$d/aside/upper/a/b/c" "$d/aside/work/work" "$d/outside"
echo keep > "$d/outside/file"
ln -s "$d/outside" "$d/aside/upper/a/link"
ln -s "$d/outside/file" "$d/aside/upper/a/b/c/file-link"
echo x > "$d/aside/upper/a/b/c/file"
chmod 000 "$d/aside/work/work"
rc=$(settled_run "$d" "$d/aside" "$d/never-made")
[ "$rc" = 0 ] || fail "settled: monitor exit $rc"
[ ! -e "$d/aside" ] || fail "settled: aside left: $(find "$d/aside")"
[ "$(cat "$d/outside/file")" = keep ] || fail "settled: a symlink was followed"
[ ! -f "$d/ran" ] || fail "settled: the on-exit command ran"
flock -n "$d/keeper.lock" true || fail "settled: keeper lock held after the end"
d=$(fresh settled-nothing)
[ "$(settled_run "$d")" = 0 ] && [ ! -f "$d/ran" ] || fail "settled with no directory: the on-exit command ran"
# Two clients settle (`run` and an `attach`): the one that found nothing to move names nothing.
d=$(fresh settled-two)
mkdir -p "$d/aside/x"
"$bin" --dir "$d" --attach --no-sync --on-exit touch --on-exit "$d/ran" -- sleep 2 &
monitor=$!
i=0; while [ ! -S "$d/attach.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
# Both attached before the end (python3 may take a while to start on a busy machine).
python3 "$work/settle.py" "$d" "$d/aside" & first=$!
python3 "$work/settle.py" "$d" & second=$!
wait "$first" && wait "$second" || fail "settled by two: a client failed"
rc=0; wait "$monitor" || rc=$?
[ "$rc" = 0 ] && [ ! -e "$d/aside" ] && [ ! -f "$d/ran" ] || fail "settled by two: exit $rc, $(ls "$d")"
# The mount case needs a mount namespace of its own (root): the tmpfs is seen by nobody else.
d=$(fresh settled-mount)
mkdir -p "$d/aside/mnt"
if unshare --mount --propagation private true 2>/dev/null; then
  export bin work d
  unshare --mount --propagation private sh -c '
    mount -t tmpfs tmpfs "$d/aside/mnt" && echo inside > "$d/aside/mnt/file" || exit 1
    "$bin" --dir "$d" --attach --attach-wait 5000 --on-exit touch --on-exit "$d/ran" -- true 2>"$d/monitor.err" &
    i=0; while [ ! -S "$d/attach.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    python3 "$work/settle.py" "$d" "$d/aside" || exit 1
    wait $! || exit 1
    [ "$(cat "$d/aside/mnt/file")" = inside ] || exit 2
    [ -f "$d/ran" ] || exit 3
    grep -q "remove $d/aside: Invalid cross-device link" "$d/monitor.err" || exit 4' ||
    fail "settled with a mount beneath: exit $? (2: entered it, 3: no on-exit, 4: no reason given)"
else
  fail "unshare --mount: the settled-with-a-mount case needs root"
fi

# Bad usage: 125 and a reason.
rc=0; "$bin" --dir "$work" 2>/dev/null || rc=$?
[ "$rc" = 125 ] || fail "usage error exit $rc"

[ "$failures" = 0 ] || exit 1
echo "monitor: ok"
