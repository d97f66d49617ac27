# Runs a command on a pseudo-terminal (100 columns, 24 rows) and prints everything it wrote there,
# exiting with its status: for testing what a command shows on a terminal.
import fcntl, os, pty, struct, subprocess, sys, termios

master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0))
child = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True)
os.close(slave)
out = bytearray()
while True:
    try:
        data = os.read(master, 65536)
    except OSError:  # EIO: every holder of the terminal's other end has closed it
        break
    if not data:
        break
    out += data
sys.stdout.buffer.write(bytes(out))
sys.exit(child.wait())
