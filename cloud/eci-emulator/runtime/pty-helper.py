#!/usr/bin/env python3
# PTY relay for exec with TTY in the process runtime (stdlib only).
# usage: pty-helper.py COLS ROWS CMD [ARGS...]; stdin -> pty, pty -> stdout, fd 3 carries JSON lines
# {"cols":N,"rows":N} (resize) or {"op":"close-stdin"}; exits with the command's exit code (signal -> 128+signo).
import errno, fcntl, json, os, select, struct, sys, termios

def set_size(fd, cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

def has_fd(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False

def login_tty(fd):
    if hasattr(os, 'login_tty'):
        os.login_tty(fd)
        return
    os.setsid()
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
    for target in (0, 1, 2):
        os.dup2(fd, target)
    if fd > 2:
        os.close(fd)

def main():
    cols, rows, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    # Size the terminal before the child exists, so an early resize message cannot be overwritten.
    master, slave = os.openpty()
    set_size(master, cols, rows)
    pid = os.fork()
    if pid == 0:
        try:
            os.close(master)
            os.close(3) if has_fd(3) else None
            login_tty(slave)
            os.execvp(cmd[0], cmd)
        except OSError as e:
            os.write(2, ('exec %s: %s\r\n' % (cmd[0], e.strerror)).encode())
            os._exit(126 if e.errno == errno.EACCES else 127)
    os.close(slave)
    readers = [0, master]
    if has_fd(3):
        readers.append(3)
    ctl_buf = b''
    status = None
    while True:
        if status is None:
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                status = st
        try:
            ready, _, _ = select.select(readers, [], [], 0.05)
        except InterruptedError:
            continue
        if not ready and status is not None:
            break
        for fd in ready:
            if fd == master:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b''
                if not data:
                    readers.remove(master)
                    if status is None:
                        _, status = os.waitpid(pid, 0)
                else:
                    os.write(1, data)
            elif fd == 0:
                data = os.read(0, 65536)
                if data:
                    os.write(master, data)
                else:
                    readers.remove(0)
                    os.write(master, b'\x04')
            elif fd == 3:
                data = os.read(3, 65536)
                if not data:
                    readers.remove(3)
                    continue
                ctl_buf += data
                while b'\n' in ctl_buf:
                    line, ctl_buf = ctl_buf.split(b'\n', 1)
                    try:
                        msg = json.loads(line)
                        if msg.get('op') == 'close-stdin':
                            os.write(master, b'\x04')
                        elif "cols" in msg and "rows" in msg:
                            set_size(master, int(msg['cols']), int(msg['rows']))
                    except (ValueError, OSError) as e:
                        os.write(2, ('pty-helper: bad control message: %s\n' % e).encode())
        if master not in readers and status is not None:
            break
    code = os.waitstatus_to_exitcode(status)
    sys.exit(128 - code if code < 0 else code)

main()
